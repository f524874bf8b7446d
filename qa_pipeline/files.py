"""Atomic writes of output files: readers see the old content or the new, never a part."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write a file so that readers see the old content or the new, never a part.

    The bytes go to a temporary file in the same folder, are fsynced, and replace
    the target with `os.replace`, which is atomic on POSIX file systems.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def publish(staged: Iterable[Path], dest: str | Path) -> tuple[str, ...]:
    """Move finished files from a staging folder into `dest`, each atomically; their new paths."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    moved = []
    for src in staged:
        with open(src, "rb") as fh:
            os.fsync(fh.fileno())
        target = dest / Path(src).name
        os.replace(src, target)
        moved.append(str(target))
    fsync_dir(dest)
    return tuple(moved)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX: fsync the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
