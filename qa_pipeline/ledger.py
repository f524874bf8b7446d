"""The ledger of finished calls, publishing staged outputs, quarantine and the run summary.

The ledger (``OUT/ledger.jsonl``) holds one JSON line per finished call, appended and
fsynced only after the call's outputs are on disk, so a run killed at any point loses
nothing and a re-run does only the calls that have no line yet. A line torn by a kill
mid-write is ignored. Nothing here imports Prefect: the flow in ``flows/`` only calls it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

from qa_pipeline.files import fsync_dir, write_atomic
from qa_pipeline.records import Scorecard
from qa_pipeline.run_records import QUARANTINED, SCORED, Call, LedgerEntry, Plan

LEDGER_NAME = "ledger.jsonl"
QUARANTINE_NAME = "quarantine.json"
QUARANTINE_SCHEMA = "qa-pipeline.quarantine/1"


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
    fsync_dir(dest)
    return tuple(moved)


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
