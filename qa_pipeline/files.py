"""Files at the edge: where the bundled rubrics and models are, and writing outputs atomically.

The rubrics and models a site reads and edits are the top-level `rubrics/` and `models/`
folders of a checkout. The wheel carries the same files as the package data of
`qa_pipeline.rubrics` and `qa_pipeline.models` (a build mapping in pyproject.toml), so a
checkout (editable install or PYTHONPATH) and an installed worker read the same files.
"""

from __future__ import annotations

import importlib.resources
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
BUNDLED = ("rubrics", "models")


def source_checkout() -> Path | None:
    """The checkout this package runs from (its pyproject.toml names qa-pipeline), or None when installed."""
    try:
        text = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    return PROJECT_ROOT if 'name = "qa-pipeline"' in text else None


def bundled_dir(name: str) -> Path:
    """The folder of the bundled `rubrics` or `models`.

    An installed wheel has them as package data (`qa_pipeline/<name>/`); a checkout has
    them at its top level (`<checkout>/<name>/`), which a wheel built from it carries.
    Raises ValueError for any other name.
    """
    if name not in BUNDLED:
        raise ValueError(f"{name!r}: the bundled folders are {', '.join(BUNDLED)}")
    packaged = Path(str(importlib.resources.files("qa_pipeline") / name))
    if packaged.is_dir():
        return packaged
    checkout = source_checkout()
    return checkout / name if checkout is not None else packaged


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write a file so that readers see the old content or the new, never a part.

    The bytes (str is written as UTF-8) go to a temporary file in the same folder, are
    fsynced, and replace the target with `os.replace`, which is atomic on POSIX file
    systems. The parent folder is created if missing. Returns the path.
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


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
