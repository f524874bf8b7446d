"""Re-score stored calls with another rubric, from their stored transcripts, and diff the verdicts.

No ASR runs: the store keeps each call's utterances (speaker, start, end, text), its
speaker roles and the scorecard's metrics. It does not keep word timings or the call's
metadata names (customer name, roster name), so criteria that use them judge from the
utterance times and text alone; on the four Whisper transcripts in tests/data/scoring
that gives the same verdicts as scoring with words and metadata (measured when this
was written). The metrics (talk time, pace, interruptions) and the outcome are kept as
stored, since they were measured with word timings. Scoring is the pipeline's
(`pipeline.score_transcript_with_models`: the rules and the classifiers the rubric asks for).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from qa_pipeline.criteria.i18n import card_text
from qa_pipeline.errors import ConfigError
from qa_pipeline.pipeline import score_transcript_with_models
from qa_pipeline.records import CallMetadata, Scorecard
from qa_pipeline.rubric import Rubric

ABSENT = "absent"  # the verdict of a criterion one of the two rubrics does not have


@dataclass(frozen=True)
class Flip:
    """One verdict that re-scoring changes."""

    criterion: str
    before: str
    after: str
    call: str
    scorecard_id: int

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "before": self.before, "after": self.after, "call": self.call,
                "scorecard_id": self.scorecard_id}


def rescored(stored: Scorecard, rubric: Rubric) -> Scorecard:
    """The stored call scored with `rubric` from its stored transcript; outcome, metrics, warnings and
    the versions that produced the transcript are kept."""
    metadata = CallMetadata(stored.call_id, stored.agent_id, call_time=stored.call_time)
    fresh = score_transcript_with_models(stored.transcript, rubric, metadata, stored.recording)
    return replace(
        fresh,
        outcome=stored.outcome,
        outcome_confidence=stored.outcome_confidence,
        metrics=stored.metrics,
        # Stored warnings in the rubric's language first: a card stored with English ones keeps each once.
        warnings=tuple(dict.fromkeys(tuple(card_text(w, rubric.language) for w in stored.warnings) + fresh.warnings)),
        versions={**stored.versions, **fresh.versions, "rescored_from": "stored transcript"},
    )


def flips(before: Scorecard, after: Scorecard, scorecard_id: int) -> list[Flip]:
    """The criteria whose verdict differs between two cards of one call, in `after`'s order then `before`'s."""
    old = {c.id: c.verdict for c in before.criteria}
    new = {c.id: c.verdict for c in after.criteria}
    order = [*new, *(cid for cid in old if cid not in new)]
    return [
        Flip(cid, old.get(cid, ABSENT), new.get(cid, ABSENT), before.call_id, scorecard_id)
        for cid in order
        if old.get(cid, ABSENT) != new.get(cid, ABSENT)
    ]


def summary(changes: list[Flip]) -> dict[str, Counter]:
    """Criterion -> Counter of (before, after) -> number of calls."""
    out: dict[str, Counter] = {}
    for f in changes:
        out.setdefault(f.criterion, Counter())[(f.before, f.after)] += 1
    return out


def diff_stored(store, rubric: Rubric, since: datetime | None = None) -> tuple[list[tuple], list[Flip]]:
    """Re-score the calls `store.rescore_sources` gives: ([(stored CallDetail, new card)], flips)."""
    pairs = [(detail, rescored(detail.card, rubric)) for detail in store.rescore_sources(rubric.id, since)]
    return pairs, [f for detail, card in pairs for f in flips(detail.card, card, detail.scorecard_id)]


@dataclass(frozen=True)
class Applied:
    """What `apply` did: cards saved; supervisor overrides carried to the new cards (criterion
    verdict unchanged); (call, criterion) whose verdict changed under an override, flagged for review."""

    saved: int
    carried: int
    flagged: tuple[tuple[str, str], ...]


def overrides_to_carry(detail, card: Scorecard) -> tuple[list[str], list[str]]:
    """(criteria whose latest override carries over, criteria flagged for review): an override
    stays where re-scoring leaves the machine verdict it judged unchanged; where the verdict
    changed (or the criterion is gone), a supervisor must look again."""
    keep: list[str] = []
    flag: list[str] = []
    for result in detail.card.criteria:
        if detail.latest_override(result.id) is None:
            continue
        new = card.result(result.id)
        (keep if new is not None and new.verdict == result.verdict else flag).append(result.id)
    return keep, flag


def apply(store, rubric: Rubric, pairs: list[tuple]) -> Applied:
    """Save the re-scored cards and carry their overrides (`overrides_to_carry`); `ConfigError`,
    before any write, when stored cards of this rubric's id and version were scored with other content."""
    other = store.rubric_conflict(rubric.id, rubric.version, rubric.sha256)
    if other:
        raise ConfigError(f"rubric {rubric.id}/{rubric.version} has changed since stored cards were scored with it "
                          f"(content {rubric.sha256[:12]}, stored {other[:12]}): give it a new version")
    carried, flagged = 0, []
    for detail, card in pairs:
        new_id = store.save_scorecard(card, detail.content_sha256, detail.audio_path,
                                      call_time=detail.call_time.isoformat() if detail.call_time else None,
                                      redacted_audio=detail.redacted_audio_path)
        keep, flag = overrides_to_carry(detail, card)
        store.carry_overrides(detail.scorecard_id, new_id, keep, flag)
        carried += len(keep)
        flagged += [(card.call_id, criterion) for criterion in flag]
    return Applied(len(pairs), carried, tuple(flagged))


def report(rubric: Rubric, calls: int, changes: list[Flip]) -> str:
    """The diff as text: per criterion, each kind of change with its count and calls."""
    lines = [(f"rescore with {rubric.id}/{rubric.version} (sha256 {rubric.sha256[:12]}) over {calls} stored "
              f"call{'s' if calls != 1 else ''}, from their stored transcripts (no ASR)")]
    if not changes:
        return "\n".join([*lines, "no verdict changes"])
    for criterion, counts in summary(changes).items():
        for (before, after), n in sorted(counts.items()):
            which = ", ".join(f.call for f in changes
                              if f.criterion == criterion and (f.before, f.after) == (before, after))
            lines.append(f"  {criterion}: {before} -> {after}: {n} call{'s' if n != 1 else ''} ({which})")
    return "\n".join(lines)
