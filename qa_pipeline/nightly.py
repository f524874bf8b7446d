"""A nightly run fanned out over many workers: its plan, its chunks and its summary (pure).

The Prefect flows in ``flows/nightly.py`` do the I/O: list the inbox, read the claims in
the results store, start one flow run per chunk. Everything they decide is decided here,
without Prefect, so it is tested directly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from statistics import mean
from typing import Mapping, Sequence

from qa_pipeline.inbox import Call, InboxFile, output_stems_for


@dataclass(frozen=True)
class ChunkCall:
    """One call as a chunk's flow-run parameter carries it (JSON-safe, so it crosses machines)."""

    url: str
    relpath: str
    size: int
    stamp: str
    content_sha256: str
    key: str
    stem: str
    fault: str = ""  # why the entry cannot be read (a broken link, a folder named x.wav); "" when readable

    def call(self) -> Call:
        return Call(InboxFile(self.url, self.relpath, self.size, self.stamp), self.content_sha256, self.key, self.fault)


@dataclass(frozen=True)
class Night:
    """What tonight's run has to do: calls to score, how many were finished before, duplicates."""

    pending: tuple[ChunkCall, ...]
    finished: int = 0
    duplicates: tuple[tuple[str, str], ...] = ()  # (relpath, relpath of the same content)


@dataclass(frozen=True)
class Chunk:
    index: int  # from 1
    calls: tuple[ChunkCall, ...]


@dataclass(frozen=True)
class ChunkReport:
    """One chunk after the night: its flow run's final state and who ran its calls."""

    chunk: int
    calls: int
    state: str
    workers: str  # the worker names that hold or finished its claims, comma separated
    scored: int
    quarantined: int
    unfinished: int


@dataclass(frozen=True)
class NightSummary:
    """The night in numbers, as the summary artifact shows it."""

    to_score: int
    scored: int
    quarantined: int
    unfinished: int
    already_finished: int
    duplicates: int
    mean_score: float | None
    pass_rates: Mapping[str, float]
    quarantine_reasons: Mapping[str, str]
    chunks: tuple[ChunkReport, ...]


def plan_night(calls: Sequence[Call], finished: set[str]) -> Night:
    """Keep the first call of each content that is not finished; names come from the whole inbox."""
    stems = output_stems_for(calls)
    first_of: dict[str, str] = {}
    pending, duplicates, done = [], [], 0
    for call in calls:
        if call.key in first_of:
            duplicates.append((call.file.relpath, first_of[call.key]))
            continue
        first_of[call.key] = call.file.relpath
        if call.key in finished:
            done += 1
            continue
        f = call.file
        pending.append(ChunkCall(f.url, f.relpath, f.size, f.stamp, call.content_sha256, call.key, stems[f.relpath],
                                 call.fault))
    return Night(tuple(pending), done, tuple(duplicates))


def cut_chunks(night: Night, size: int) -> list[Chunk]:
    """The pending calls in order, in chunks of at most `size` (>= 1)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    calls = night.pending
    return [Chunk(n + 1, calls[start:start + size]) for n, start in enumerate(range(0, len(calls), size))]


def _worker(owner: str) -> str:
    return owner.split("/", 1)[0]


def summarize_night(night: Night, chunks: Sequence[Chunk], states: Sequence[str], claims: Mapping,
                    pass_rates: Mapping[str, float]) -> NightSummary:
    """Count the night from the claims (`qa_pipeline.store.claims.Claim` by key) of its calls."""
    reports = []
    for chunk, state in zip(chunks, states):
        rows = [claims[c.key] for c in chunk.calls if c.key in claims]
        status = Counter(r.status for r in rows)
        workers = ", ".join(sorted({_worker(r.owner) for r in rows}))
        finished = status["done"] + status["quarantined"]
        reports.append(ChunkReport(chunk.index, len(chunk.calls), state, workers, status["done"],
                                   status["quarantined"], len(chunk.calls) - finished))
    rows = [claims[c.key] for c in night.pending if c.key in claims]
    scores = [r.score for r in rows if r.status == "done" and r.score is not None]
    return NightSummary(
        to_score=len(night.pending),
        scored=sum(r.status == "done" for r in rows),
        quarantined=sum(r.status == "quarantined" for r in rows),
        unfinished=sum(r.unfinished for r in reports),
        already_finished=night.finished,
        duplicates=len(night.duplicates),
        mean_score=round(mean(scores), 1) if scores else None,
        pass_rates=dict(pass_rates),
        quarantine_reasons={r.relpath: r.reason for r in rows if r.status == "quarantined"},
        chunks=tuple(reports),
    )


def summary_markdown(summary: NightSummary, inbox: str) -> str:
    """The night's summary artifact: totals, pass rates, quarantined calls, chunks and workers."""
    mean_text = "n/a" if summary.mean_score is None else f"{summary.mean_score:.1f}"
    lines = [
        f"# Nightly scoring: {inbox}", "",
        f"- to score: {summary.to_score} (already finished before: {summary.already_finished}, "
        f"duplicate content: {summary.duplicates})",
        f"- scored: {summary.scored}", f"- quarantined: {summary.quarantined}",
        f"- unfinished (left to the next run): {summary.unfinished}", f"- mean score: {mean_text}", "",
    ]
    if summary.pass_rates:
        lines += ["| criterion | pass rate |", "|---|---|"]
        lines += [f"| {cid} | {rate:.0%} |" for cid, rate in sorted(summary.pass_rates.items())] + [""]
    if summary.quarantine_reasons:
        lines += ["| quarantined | reason |", "|---|---|"]
        lines += [f"| {path} | {reason} |" for path, reason in sorted(summary.quarantine_reasons.items())] + [""]
    lines += ["| chunk | calls | state | workers | scored | quarantined | unfinished |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {c.chunk} | {c.calls} | {c.state} | {c.workers or '-'} | {c.scored} | {c.quarantined} "
              f"| {c.unfinished} |" for c in summary.chunks]
    return "\n".join(lines) + "\n"


def workers_needed(calls: int, call_s: float, window_h: float, call_s_per_wall_s: float) -> int:
    """Worker processes to score `calls` of `call_s` seconds within `window_h` hours.

    `call_s_per_wall_s` is one worker process's measured throughput (call-seconds of audio
    per wall-clock second, from ``bench/``). Rounds up.
    """
    import math

    return math.ceil(calls * call_s / (window_h * 3600.0 * call_s_per_wall_s))

