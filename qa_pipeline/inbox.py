"""The inbox of recordings a scheduled run scores, and the ledger of what is done.

An inbox is a local folder or an fsspec URL (``s3://bucket/calls``, ``file:///mnt/nfs``),
with recordings in nested folders (by date, by agent). A recording is identified by its
content hash together with the rubric and ASR model that score it
(`qa_pipeline.identity.processing_key`), so a renamed or moved file is not scored twice
and a changed one is scored again.

The ledger (``OUT/ledger.jsonl``) holds one JSON line per finished call, appended and
fsynced only after the call's outputs are on disk, so a run killed at any point loses
nothing and a re-run does only the calls that have no line yet. A line torn by a kill
mid-write is ignored. Nothing here imports Prefect: the flow in ``flows/`` only calls it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Mapping

from qa_pipeline.batch import AUDIO_EXTENSIONS
from qa_pipeline.identity import content_hash, processing_key
from qa_pipeline.records import Scorecard

LEDGER_NAME = "ledger.jsonl"
QUARANTINE_NAME = "quarantine.json"
QUARANTINE_SCHEMA = "qa-pipeline.quarantine/1"
SCORED = "scored"
QUARANTINED = "quarantined"


@dataclass(frozen=True)
class InboxFile:
    """A recording found in the inbox, before its content is read."""

    url: str  # what to open: a local path, or a URL with its protocol
    relpath: str  # posix path below the inbox root, e.g. "2026-11-02/anna/C01.flac"
    size: int
    stamp: str  # modification time as the file system reports it; "" when unknown


@dataclass(frozen=True)
class Call:
    """An inbox recording with its identity, ready to be scored."""

    file: InboxFile
    content_sha256: str
    key: str


@dataclass(frozen=True)
class LedgerEntry:
    """One finished call: scored (with its outputs and results) or quarantined (with why)."""

    key: str
    content_sha256: str
    relpath: str
    size: int
    stamp: str
    status: str
    finished_at: str
    score: float | None = None
    verdicts: Mapping[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    """What a run has to do: calls to score, and what it skips and why."""

    pending: tuple[Call, ...]
    already_done: tuple[Call, ...] = ()
    duplicates: tuple[tuple[Call, str], ...] = ()  # (call, relpath of the same content)


def is_local(inbox: str) -> bool:
    """True for a plain path or a ``file://`` URL."""
    return "://" not in inbox or inbox.startswith("file://")


def list_inbox(inbox: str, suffixes: Iterable[str] = AUDIO_EXTENSIONS) -> list[InboxFile]:
    """All recordings under `inbox`, sorted by relative path; hidden files and folders skipped."""
    import fsspec

    wanted = tuple(s.lower() for s in suffixes)
    fs, root = fsspec.core.url_to_fs(inbox)
    root = root.rstrip("/")
    if not fs.isdir(root):
        raise FileNotFoundError(f"{inbox}: inbox folder not found")
    found = []
    for path, info in fs.find(root, detail=True).items():
        rel = PurePosixPath(path).relative_to(PurePosixPath(root)).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        if not rel.lower().endswith(wanted):
            continue
        url = path if is_local(inbox) else fs.unstrip_protocol(path)
        found.append(InboxFile(url, rel, int(info.get("size") or 0), _stamp(info)))
    return sorted(found, key=lambda f: f.relpath)


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

    digest = hashlib.sha256()
    with fsspec.open(file.url, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def identify(
    files: Iterable[InboxFile],
    known: Iterable[LedgerEntry],
    rubric: str,
    asr_model: str,
    hasher: Callable[[InboxFile], str] = hash_inbox_file,
) -> list[Call]:
    """Give each file its processing key, hashing only files that are new or changed.

    A file whose path, size and modification stamp match a ledger line reuses that
    line's hash: a nightly rescan of a large inbox reads only the new recordings.
    """
    seen = {(e.relpath, e.size, e.stamp): e.content_sha256 for e in known if e.stamp}
    calls = []
    for file in files:
        sha = seen.get((file.relpath, file.size, file.stamp)) if file.stamp else None
        sha = sha or hasher(file)
        calls.append(Call(file, sha, processing_key(sha, rubric, asr_model)))
    return calls


def plan_run(calls: Iterable[Call], ledger: Mapping[str, LedgerEntry], retry_quarantined: bool = False) -> Plan:
    """Split identified calls into pending, already done, and duplicate content (pure)."""
    pending, done, duplicates = [], [], []
    first_of: dict[str, str] = {}
    for call in calls:
        if call.key in first_of:
            duplicates.append((call, first_of[call.key]))
            continue
        first_of[call.key] = call.file.relpath
        entry = ledger.get(call.key)
        if entry is None or (retry_quarantined and entry.status == QUARANTINED):
            pending.append(call)
        else:
            done.append(call)
    return Plan(tuple(pending), tuple(done), tuple(duplicates))


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
    for folder, paths in folders.items():
        names = output_stems([Path(p.name) for p in paths])
        stems.update({p.as_posix(): names[Path(p.name)] for p in paths})
    return stems


def stage(call: Call, staging: str | Path) -> Path:
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


def scored_entry(call: Call, card: Scorecard, outputs: Iterable[str]) -> LedgerEntry:
    """The ledger line of a scored call: its score and each criterion's verdict."""
    verdicts = {result.id: result.verdict for result in card.criteria}
    score = None if card.score is None else round(card.score, 1)
    return entry_for(call, SCORED, score=score, verdicts=verdicts, outputs=tuple(outputs))


def entry_for(call: Call, status: str, **results) -> LedgerEntry:
    """A ledger line for `call`, stamped now."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return LedgerEntry(
        key=call.key,
        content_sha256=call.content_sha256,
        relpath=call.file.relpath,
        size=call.file.size,
        stamp=call.file.stamp,
        status=status,
        finished_at=now,
        **results,
    )


class Ledger:
    """Append-only JSON-lines record of finished calls in an output folder."""

    def __init__(self, out: str | Path):
        self.path = Path(out) / LEDGER_NAME

    def entries(self) -> dict[str, LedgerEntry]:
        """The latest line per processing key; a torn or foreign line is skipped."""
        latest: dict[str, LedgerEntry] = {}
        if not self.path.exists():
            return latest
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            entry = _parse_line(line)
            if entry is not None:
                latest[entry.key] = entry
        return latest

    def repair(self) -> None:
        """End a line torn by a kill, so the next append starts on a line of its own."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":
                return
        self._write(b"\n")

    def append(self, entry: LedgerEntry) -> None:
        """Add one line and fsync it: after this returns the call counts as done."""
        record = asdict(entry)
        record["outputs"] = list(entry.outputs)
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        self._write(line.encode("utf-8"))

    def _write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write() on an O_APPEND descriptor: concurrent appenders never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def _parse_line(line: str) -> LedgerEntry | None:
    try:
        record = json.loads(line)
        record["outputs"] = tuple(record.get("outputs", ()))
        return LedgerEntry(**record)
    except (ValueError, TypeError):
        return None


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
    _fsync_dir(path.parent)
    return path


def publish(staged: Iterable[Path], dest: str | Path) -> tuple[str, ...]:
    """Move finished files from a staging folder into `dest`, each atomically."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    moved = []
    for src in staged:
        with open(src, "rb") as fh:
            os.fsync(fh.fileno())
        target = dest / Path(src).name
        os.replace(src, target)
        moved.append(str(target))
    _fsync_dir(dest)
    return tuple(moved)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_quarantine(out: str | Path, entries: Iterable[LedgerEntry]) -> Path:
    """Write ``OUT/quarantine.json``: every recording that could not be scored, and why."""
    bad = sorted((e for e in entries if e.status == QUARANTINED), key=lambda e: e.relpath)
    document = {
        "schema": QUARANTINE_SCHEMA,
        "recordings": [
            {
                "recording": e.relpath,
                "reason": e.reason,
                "content_sha256": e.content_sha256,
                "key": e.key,
                "quarantined_at": e.finished_at,
            }
            for e in bad
        ],
    }
    return write_atomic(Path(out) / QUARANTINE_NAME, json.dumps(document, indent=2) + "\n")


def current_quarantine(calls: Iterable[Call], ledger: Mapping[str, LedgerEntry]) -> list[LedgerEntry]:
    """Quarantined ledger lines for recordings still in the inbox as they are now."""
    keys = {c.key for c in calls}
    return [e for k, e in ledger.items() if k in keys and e.status == QUARANTINED]


@dataclass(frozen=True)
class RunSummary:
    """What one run did, for the run's report artifact."""

    scored: int
    failed: tuple[tuple[str, str], ...]  # (recording, reason)
    skipped: int
    duplicates: int
    mean_score: float | None
    pass_rates: Mapping[str, tuple[int, int]]  # criterion -> (passed, applicable)


def summarize(finished: Iterable[LedgerEntry], plan: Plan) -> RunSummary:
    """Scores, failures and per-criterion pass rates over this run's finished calls."""
    finished = list(finished)
    scored = [e for e in finished if e.status == SCORED]
    scores = [e.score for e in scored if e.score is not None]
    rates: dict[str, list[int]] = {}
    for entry in scored:
        for criterion, verdict in entry.verdicts.items():
            counts = rates.setdefault(criterion, [0, 0])
            if verdict in ("pass", "fail"):
                counts[0] += verdict == "pass"
                counts[1] += 1
    return RunSummary(
        scored=len(scored),
        failed=tuple((e.relpath, e.reason) for e in finished if e.status == QUARANTINED),
        skipped=len(plan.already_done),
        duplicates=len(plan.duplicates),
        mean_score=round(sum(scores) / len(scores), 1) if scores else None,
        pass_rates={k: (v[0], v[1]) for k, v in rates.items()},
    )


def pass_rate_rows(summary: RunSummary) -> list[dict[str, object]]:
    """One row per criterion: passed, applicable, and the pass rate in percent."""
    return [
        {
            "criterion": criterion,
            "passed": passed,
            "applicable": applicable,
            "pass_rate_pct": round(100 * passed / applicable, 1) if applicable else None,
        }
        for criterion, (passed, applicable) in summary.pass_rates.items()
    ]


def summary_markdown(summary: RunSummary, title: str = "Call scoring run") -> str:
    """The run summary as Markdown: counts, mean score, pass rates, failures with reasons."""
    mean = "n/a" if summary.mean_score is None else f"{summary.mean_score:.1f}"
    lines = [
        f"# {title}",
        "",
        f"- calls scored: **{summary.scored}**",
        f"- calls failed: **{len(summary.failed)}**",
        f"- already done (skipped): {summary.skipped}",
        f"- duplicate content (skipped): {summary.duplicates}",
        f"- mean score: **{mean}**",
    ]
    if summary.pass_rates:
        lines += ["", "| criterion | passed | applicable | pass rate |", "|---|---|---|---|"]
    for row in pass_rate_rows(summary):
        rate = "n/a" if row["pass_rate_pct"] is None else f"{row['pass_rate_pct']:.1f}%"
        lines.append(f"| {row['criterion']} | {row['passed']} | {row['applicable']} | {rate} |")
    if summary.failed:
        lines += ["", "## Failed calls", "", "| recording | reason |", "|---|---|"]
        lines += [f"| {rec} | {reason.replace('|', '/')} |" for rec, reason in summary.failed]
    return "\n".join(lines) + "\n"
