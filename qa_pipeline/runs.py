"""A scheduled run, on one machine or fanned out: its plan, its chunks and its summary (pure).

Both flows (``flows/score_calls.py`` on one machine, ``flows/nightly.py`` over a work pool)
keep track of calls the same way, in the claims of a results store
(`qa_pipeline.store.claims`), and plan and summarize a run here: `plan_run` keeps the
calls no run has finished, `cut_chunks` cuts them for the workers of a pool, and
`summarize` counts what became of them from their claims. The flows do the I/O; everything
they decide is decided here, without Prefect, so it is tested directly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import mean

from qa_pipeline.inbox import output_stems_for
from qa_pipeline.records import Scorecard
from qa_pipeline.run_records import DONE, QUARANTINED, Call, InboxFile, Plan


def plan_run(calls: Sequence[Call], finished: Collection[str]) -> Plan:
    """Keep the first call of each content whose key is not in `finished`; output names over the whole inbox.

    `finished` holds the processing keys a run need not do again
    (`qa_pipeline.store.claims.finished_keys`: done, and quarantined unless retried).
    """
    pending: list[Call] = []
    done: list[Call] = []
    duplicates: list[tuple[Call, str]] = []
    first_of: dict[str, str] = {}
    for call in calls:
        if call.key in first_of:
            duplicates.append((call, first_of[call.key]))
            continue
        first_of[call.key] = call.file.relpath
        (done if call.key in finished else pending).append(call)
    return Plan(tuple(pending), tuple(done), tuple(duplicates), output_stems_for(calls))


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

    @classmethod
    def of(cls, call: Call, stem: str) -> ChunkCall:
        f = call.file
        return cls(f.url, f.relpath, f.size, f.stamp, call.content_sha256, call.key, stem, call.fault)

    def call(self) -> Call:
        return Call(InboxFile(self.url, self.relpath, self.size, self.stamp), self.content_sha256, self.key, self.fault)


@dataclass(frozen=True)
class Chunk:
    index: int  # from 1
    calls: tuple[ChunkCall, ...]


def cut_chunks(plan: Plan, size: int) -> list[Chunk]:
    """The pending calls in order, in chunks of at most `size` (>= 1)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    calls = tuple(ChunkCall.of(c, plan.stems[c.file.relpath]) for c in plan.pending)
    return [Chunk(n + 1, calls[start:start + size]) for n, start in enumerate(range(0, len(calls), size))]


@dataclass(frozen=True)
class ChunkReport:
    """One chunk after the run: its flow run's final state and who ran its calls."""

    chunk: int
    calls: int
    state: str
    workers: str  # the worker names that hold or finished its claims, comma separated
    scored: int
    quarantined: int
    unfinished: int


@dataclass(frozen=True)
class RunSummary:
    """A run in numbers, as its summary artifact shows it (either flow)."""

    to_score: int  # the run's calls, and the files still being written that it left for the next run
    scored: int
    quarantined: tuple[tuple[str, str], ...]  # (recording, reason), by recording
    unfinished: int  # to score, but neither done nor quarantined: left to the next run (waiting ones too)
    already_done: int  # finished by an earlier run
    duplicates: int
    mean_score: float | None
    pass_rates: Mapping[str, tuple[int, int]]  # criterion -> (passed, applicable)
    chunks: tuple[ChunkReport, ...] = ()  # a fanned-out run's chunks; () on one machine
    waiting: int = 0  # of the unfinished, files still being written (`Plan.waiting`): not claimed, not tried


def _worker(owner: str) -> str:
    return owner.split("/", 1)[0]


def _chunk_report(chunk: Chunk, state: str, claims: Mapping) -> ChunkReport:
    rows = [claims[c.key] for c in chunk.calls if c.key in claims]
    status = Counter(r.status for r in rows)
    workers = ", ".join(sorted({_worker(r.owner) for r in rows}))
    unfinished = len(chunk.calls) - status[DONE] - status[QUARANTINED]
    return ChunkReport(chunk.index, len(chunk.calls), state, workers, status[DONE], status[QUARANTINED], unfinished)


def summarize(plan: Plan, claims: Mapping, pass_rates: Mapping[str, tuple[int, int]],
              chunks: Sequence[Chunk] = (), states: Sequence[str] = ()) -> RunSummary:
    """Count the run from the claims (`qa_pipeline.store.claims.Claim` by key) of its pending calls.

    `pass_rates` is (passed, applicable) per criterion over the run's scorecards; `states`
    is each chunk's final flow-run state, in the order of `chunks`. The files the plan left
    for the next run because they are still being written (`Plan.waiting`) count as to
    score and unfinished.
    """
    rows = {c.file.relpath: claims[c.key] for c in plan.pending if c.key in claims}
    scores = [r.score for r in rows.values() if r.status == DONE and r.score is not None]
    quarantined = tuple(sorted((path, r.reason) for path, r in rows.items() if r.status == QUARANTINED))
    scored = sum(r.status == DONE for r in rows.values())
    to_score = len(plan.pending) + len(plan.waiting)
    return RunSummary(
        to_score=to_score,
        scored=scored,
        quarantined=quarantined,
        unfinished=to_score - scored - len(quarantined),
        already_done=len(plan.already_done),
        duplicates=len(plan.duplicates),
        mean_score=round(mean(scores), 1) if scores else None,
        pass_rates=dict(pass_rates),
        chunks=tuple(_chunk_report(chunk, state, claims) for chunk, state in zip(chunks, states)),
        waiting=len(plan.waiting),
    )


def pass_rate_counts(cards: Iterable[Scorecard]) -> dict[str, tuple[int, int]]:
    """(passed, applicable) per criterion over these scorecards' pass and fail verdicts."""
    tally: dict[str, tuple[int, int]] = {}
    for card in cards:
        for result in card.criteria:
            if result.verdict in ("pass", "fail"):
                passed, applicable = tally.get(result.id, (0, 0))
                tally[result.id] = (passed + (result.verdict == "pass"), applicable + 1)
    return tally


def pass_rate_rows(summary: RunSummary) -> list[dict[str, object]]:
    """One row per criterion: passed, applicable, and the pass rate in percent."""
    return [
        {"criterion": criterion, "passed": passed, "applicable": applicable,
         "pass_rate_pct": round(100 * passed / applicable, 1) if applicable else None}
        for criterion, (passed, applicable) in sorted(summary.pass_rates.items())
    ]


def summary_markdown(summary: RunSummary, title: str = "Call scoring run") -> str:
    """The run's summary artifact: totals, pass rates, quarantined calls, and chunks with their workers."""
    mean_text = "n/a" if summary.mean_score is None else f"{summary.mean_score:.1f}"
    lines = [
        f"# {title}", "",
        f"- to score: {summary.to_score} (already done before: {summary.already_done}, "
        f"duplicate content: {summary.duplicates})",
        f"- scored: **{summary.scored}**",
        f"- quarantined: **{len(summary.quarantined)}**",
        f"- unfinished (left to the next run): {summary.unfinished}"
        + (f" ({summary.waiting} still being written)" if summary.waiting else ""),
        f"- mean score: **{mean_text}**",
    ]
    if summary.pass_rates:
        lines += ["", "| criterion | passed | applicable | pass rate |", "|---|---|---|---|"]
        for row in pass_rate_rows(summary):
            rate = "n/a" if row["pass_rate_pct"] is None else f"{row['pass_rate_pct']:.1f}%"
            lines.append(f"| {row['criterion']} | {row['passed']} | {row['applicable']} | {rate} |")
    if summary.quarantined:
        lines += ["", "## Quarantined", "", "| recording | reason |", "|---|---|"]
        lines += [f"| {path} | {reason.replace('|', '/')} |" for path, reason in summary.quarantined]
    if summary.chunks:
        lines += ["", "## Chunks", "", "| chunk | calls | state | workers | scored | quarantined | unfinished |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {c.chunk} | {c.calls} | {c.state} | {c.workers or '-'} | {c.scored} | {c.quarantined} "
                  f"| {c.unfinished} |" for c in summary.chunks]
    return "\n".join(lines) + "\n"


def workers_needed(calls: int, call_s: float, window_h: float, call_s_per_wall_s: float) -> int:
    """Worker processes to score `calls` of `call_s` seconds within `window_h` hours.

    `call_s_per_wall_s` is one worker process's measured throughput (call-seconds of audio
    per wall-clock second, from ``bench/``). Rounds up.
    """
    return math.ceil(calls * call_s / (window_h * 3600.0 * call_s_per_wall_s))
