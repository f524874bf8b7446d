"""The inbox of recordings a scheduled run scores, and the plan of what a run has to do.

An inbox is a local folder or an fsspec URL (``s3://bucket/calls``, ``file:///mnt/nfs``),
with recordings in nested folders (by date, by agent). A recording is identified by its
content hash together with the rubric and ASR model that score it
(`qa_pipeline.identity.processing_key`), so a renamed or moved file is not scored twice
and a changed one is scored again. What is already done comes from the claims in the
results store (`qa_pipeline.store.claims`); `qa_pipeline.runs.plan_run` plans a run from
them. Nothing here imports Prefect: the flows in ``flows/`` only call it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath

from qa_pipeline.discovery import AUDIO_EXTENSIONS
from qa_pipeline.growing import DEFAULT_SETTLE_S, settled
from qa_pipeline.identity import content_hash, processing_key, stream_hash
from qa_pipeline.run_records import Call, InboxFile, KnownFile

# The kind given to a local folder the inbox listing could not enter.
UNLISTABLE = "unlistable"


def is_local(inbox: str) -> bool:
    """True for a plain path or a ``file://`` URL."""
    return "://" not in inbox or inbox.startswith("file://")


def list_inbox(inbox: str, suffixes: Iterable[str] = AUDIO_EXTENSIONS) -> list[InboxFile]:
    """All recordings under `inbox`, sorted by relative path; hidden files and folders skipped.

    Every entry with an audio extension is listed, whatever its kind (a folder named
    ``x.wav``, a broken link), and so is a local folder that cannot be read (kind
    `UNLISTABLE`), so that `identify` can report each instead of skipping it.
    """
    import fsspec

    wanted = tuple(s.lower() for s in suffixes)
    fs, root = fsspec.core.url_to_fs(inbox)
    root = root.rstrip("/")
    if not fs.isdir(root):
        raise FileNotFoundError(f"{inbox}: inbox folder not found")
    found = []
    for path, info in fs.find(root, withdirs=True, detail=True).items():
        rel = PurePosixPath(path).relative_to(PurePosixPath(root)).as_posix()
        if rel == "." or any(part.startswith(".") for part in rel.split("/")):
            continue
        url = path if is_local(inbox) else fs.unstrip_protocol(path)
        kind = str(info.get("type") or "file")
        if kind == "directory" and is_local(inbox) and not os.access(path, os.R_OK | os.X_OK):
            kind = UNLISTABLE  # fsspec skips what it cannot list without a word
        elif not rel.lower().endswith(wanted):
            continue
        found.append(InboxFile(url, rel, int(info.get("size") or 0), _stamp(info), kind))
    return sorted(found, key=lambda f: f.relpath)


def split_settled(files: Iterable[InboxFile], settle_s: float = DEFAULT_SETTLE_S
                  ) -> tuple[list[InboxFile], list[tuple[InboxFile, str]]]:
    """(files to score now, (file, reason) of those still being written, left for the next run).

    Local files only (`qa_pipeline.growing.settled`): an object store shows an upload
    only once it is complete. A waiting file is neither scored nor entered in the ledger.
    """
    ready, waiting = [], []
    for file in files:
        reason = settled(file.url, settle_s) if "://" not in file.url and file.kind == "file" else None
        if reason:
            waiting.append((file, reason))
        else:
            ready.append(file)
    return ready, waiting


def _stamp(info: Mapping) -> str:
    for name in ("mtime", "LastModified", "last_modified", "updated", "created"):
        if info.get(name) is not None:
            return str(info[name])
    return ""


def hash_inbox_file(file: InboxFile) -> str:
    """SHA-256 of a recording's bytes, read locally or through fsspec."""
    if "://" not in file.url:
        return content_hash(file.url)
    import fsspec

    with fsspec.open(file.url, "rb") as fh:
        return stream_hash(fh)


def identify(
    files: Iterable[InboxFile],
    known: Iterable[KnownFile],
    rubric: str,
    asr_model: str,
    hasher: Callable[[InboxFile], str] = hash_inbox_file,
) -> list[Call]:
    """Give each file its processing key, hashing only files that are new or changed.

    A file whose path, size and modification stamp match a known one (a claim) reuses
    its hash: a nightly rescan of a large inbox reads only the new recordings.
    """
    seen = {(e.relpath, e.size, e.stamp): e.content_sha256 for e in known if e.stamp}
    calls = []
    for file in files:
        sha = seen.get((file.relpath, file.size, file.stamp)) if file.stamp else None
        fault = "" if sha else entry_fault(file)
        if not (sha or fault):
            try:
                sha = hasher(file)
            except OSError as exc:
                fault = read_fault(file, exc)
        if fault:
            # No content to key on: the entry's path stands in, so a fault that persists is
            # quarantined once, and the file once repaired is new content, scored anew.
            calls.append(Call(file, "", processing_key(f"unreadable:{file.relpath}", rubric, asr_model), fault))
        else:
            calls.append(Call(file, sha, processing_key(sha, rubric, asr_model)))
    return calls


def entry_fault(file: InboxFile) -> str:
    """Why a listed entry is no recording, before anything opens it; "" for a file.

    An entry the file system does not list as a file (a folder, a broken link, a pipe)
    is never opened: a reader of a pipe would block. A local one gets the reason the CLI
    gives for the same entry.
    """
    if file.kind == "file":
        return ""
    if file.kind == "directory":
        return "is a folder, not an audio file"
    if file.kind == UNLISTABLE:
        return "is a folder that cannot be read, so its recordings cannot be listed"
    if "://" not in file.url:  # a broken link, a link loop, a pipe: say which
        from qa_pipeline.errors import RecordingError
        from qa_pipeline.speech.audio import check_path

        try:
            check_path(file.url)
        except RecordingError as exc:
            return exc.reason
        return ""  # a link to a regular file: reading it tells the rest
    return f"is not a regular file ({file.kind})"


def read_fault(file: InboxFile, exc: OSError) -> str:
    """The reason an entry that listed as a file could not be read."""
    if isinstance(exc, FileNotFoundError):
        return "file not found (it disappeared after the inbox was listed)"
    return f"cannot be read ({exc.strerror or exc})"


def output_dir_for(out: str | Path, call: Call) -> Path:
    """Where a call's outputs go: the inbox's folder layout mirrored under `out`.

    Mirroring keeps ``2026-11-02/C01.flac`` and ``2026-11-03/C01.flac`` apart while
    each scorecard keeps the contract name ``<recording stem>.json``.
    """
    return Path(out).joinpath(*PurePosixPath(call.file.relpath).parent.parts)


def output_stems_for(calls: Iterable[Call]) -> dict[str, str]:
    """A distinct output file stem per recording within its folder (``C01.wav`` -> ``C01``).

    Names are chosen over every recording in the inbox, done ones included, so a new
    ``C01.mp3`` beside a scored ``C01.wav`` never overwrites its scorecard.
    """
    from qa_pipeline.batch import output_stems

    folders: dict[str, list[PurePosixPath]] = {}
    for call in calls:
        rel = PurePosixPath(call.file.relpath)
        folders.setdefault(rel.parent.as_posix(), []).append(rel)
    stems = {}
    for paths in folders.values():
        names = output_stems([Path(p.name) for p in paths])
        stems.update({p.as_posix(): names[Path(p.name)] for p in paths})
    return stems


def fetch(call: Call, staging: str | Path) -> Path:
    """A local path to read the recording from: itself when local, else a fetched copy.

    A remote recording is copied with its folder's ``metadata.csv`` and its
    ``<stem>.meta.json`` sidecar (when present), so metadata is read the same way.
    """
    if "://" not in call.file.url:
        return Path(call.file.url)
    import fsspec

    from qa_pipeline.metadata import METADATA_CSV, SIDECAR_SUFFIX

    fs, remote = fsspec.core.url_to_fs(call.file.url)
    folder = Path(staging) / call.key
    folder.mkdir(parents=True, exist_ok=True)
    name = PurePosixPath(remote).name
    parent = PurePosixPath(remote).parent
    for extra in (METADATA_CSV, PurePosixPath(name).stem + SIDECAR_SUFFIX):
        if fs.exists(str(parent / extra)):
            fs.get_file(str(parent / extra), str(folder / extra))
    fs.get_file(remote, str(folder / name))
    return folder / name
