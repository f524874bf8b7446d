"""Plain frozen records the store hands out, so callers never hold live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from qa_pipeline.records import Evidence, Scorecard

ROLES = ("supervisor", "trainer", "agent")
SORTS = ("date", "score")
SERIOUS_ANY = "any"
UNREVIEWED, IN_REVIEW, REVIEWED = "unreviewed", "in review", "reviewed"
REVIEW_STATUSES = (UNREVIEWED, IN_REVIEW, REVIEWED)
TEAM = "team"  # the agent id of the whole team's report


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    role: str
    agent_id: str | None = None


@dataclass(frozen=True)
class OverrideView:
    id: int
    criterion_id: str
    machine_verdict: str
    verdict: str
    comment: str
    user_name: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewEventView:
    """One step of a scorecard's review (`qa_pipeline.store.schema.EVENT_KINDS`)."""

    id: int
    kind: str
    criterion_id: str
    verdict: str
    comment: str
    user_name: str
    created_at: datetime
    resolves_id: int | None = None
    open: bool = False  # a dispute no supervisor has resolved yet


@dataclass(frozen=True)
class QueueItem:
    """A scorecard waiting for review, with the reasons it needs a person."""

    scorecard_id: int
    call_label: str
    agent_id: str | None
    call_time: datetime | None
    score: float | None
    status: str
    open_disputes: int = 0
    serious_errors: int = 0
    low_confidence: int = 0  # machine verdicts below the queue's confidence setting, not overridden
    below_target: int = 0  # reviews the agent still lacks this week to reach the weekly target
    needs_review: tuple[str, ...] = ()  # criteria the card flags (confidence stage, or a re-score under an override)


@dataclass(frozen=True)
class StoredAudio:
    """Where a call's recording was scored from, and its redacted copy."""

    call_label: str
    audio_path: str
    redacted_audio_path: str | None = None


@dataclass(frozen=True)
class CallDetail:
    """One stored scorecard with its call, the machine result and the audit trail of overrides."""

    scorecard_id: int
    content_sha256: str
    audio_path: str
    call_time: datetime | None
    scored_at: datetime
    times_saved: int
    card: Scorecard
    overrides: tuple[OverrideView, ...] = ()
    redacted_audio_path: str | None = None
    history: tuple[ReviewEventView, ...] = ()
    agent_name: str | None = None  # from the roster, when it has one
    needs_review: tuple[str, ...] = ()  # criterion ids the card, or a re-score under an override, flags
    language: str | None = None  # the card's language code ("en", "ja", ...), when it gives one

    @property
    def status(self) -> str:
        """unreviewed, in review or reviewed: the latest started/reviewed step decides."""
        steps = [e.kind for e in self.history if e.kind in ("started", "reviewed")]
        return {"started": IN_REVIEW, "reviewed": REVIEWED}.get(steps[-1], UNREVIEWED) if steps else UNREVIEWED

    @property
    def open_disputes(self) -> tuple[ReviewEventView, ...]:
        return tuple(e for e in self.history if e.open)

    def timeline(self) -> list[OverrideView | ReviewEventView]:
        """Overrides and review steps in time order; an override made by overruling a dispute
        is shown once, as the overrule (they share criterion, user and time)."""
        overrules = {(e.criterion_id, e.user_name, e.created_at) for e in self.history if e.kind == "overruled"}
        overrides = [o for o in self.overrides if (o.criterion_id, o.user_name, o.created_at) not in overrules]
        return sorted([*overrides, *self.history], key=lambda item: item.created_at)

    def latest_override(self, criterion_id: str) -> OverrideView | None:
        return next((o for o in reversed(self.overrides) if o.criterion_id == criterion_id), None)

    def effective_verdict(self, criterion_id: str) -> str | None:
        latest = self.latest_override(criterion_id)
        if latest is not None:
            return latest.verdict
        result = self.card.result(criterion_id)
        return result.verdict if result else None

    def reviewed_score(self) -> float | None:
        """The score recomputed with supervisors' verdicts; None when no criterion applies."""
        weights = {"pass": 0.0, "fail": 0.0}
        for result in self.card.criteria:
            verdict = self.effective_verdict(result.id)
            if verdict in weights:
                weights[verdict] += result.weight
        applicable = weights["pass"] + weights["fail"]
        return 100 * weights["pass"] / applicable if applicable else None


@dataclass(frozen=True)
class CallFilter:
    """What the calls list shows. Dates are inclusive; `failed` uses the effective verdict."""

    agent_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    score_min: float | None = None
    score_max: float | None = None
    failed: str | None = None
    passed: str | None = None
    serious: str | None = None  # SERIOUS_ANY, or the id of a criterion the rubric marks serious
    text: str | None = None  # call id, agent, or words of the transcript (full-text search)
    rubric: str | None = None  # a rubric id
    status: str | None = None  # a review status (REVIEW_STATUSES)
    sort: str = "date"
    descending: bool = True
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class TranscriptHit:
    """The utterance a transcript search matched: where to play from and what to show."""

    speaker: str
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class CallRow:
    """One scorecard in the calls list; `when` is None when the call's time is unknown."""

    scorecard_id: int
    call_label: str
    agent_id: str | None
    when: datetime | None
    score: float | None
    duration_s: float
    failed: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    serious: tuple[str, ...] = ()  # failed criteria the rubric marks as serious errors
    rubric: str = ""  # rubric id/version
    hit: TranscriptHit | None = None  # the first transcript line the search matched
    status: str = UNREVIEWED


@dataclass(frozen=True)
class CallPage:
    rows: tuple[CallRow, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class _PassRate:
    """`rate`: passed over applicable, or None when nothing applied."""

    passed: int
    applicable: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.applicable if self.applicable else None


@dataclass(frozen=True)
class RatePoint(_PassRate):
    """Pass rate of one criterion over the calls of one period (day or ISO week)."""

    criterion_id: str
    period_start: date
    period_end: date
    passed: int
    applicable: int


@dataclass(frozen=True)
class ScorePoint:
    """The mean machine score of the cards of one period (day or ISO week)."""

    period_start: date
    period_end: date
    mean: float
    cards: int


@dataclass(frozen=True)
class WeekChange:
    """A criterion's team fails in one ISO week (`week`, its Monday) and the week before."""

    criterion_id: str
    week: date
    failed: int
    judged: int
    failed_before: int
    judged_before: int

    @property
    def rate(self) -> float | None:
        return self.failed / self.judged if self.judged else None

    @property
    def rate_before(self) -> float | None:
        return self.failed_before / self.judged_before if self.judged_before else None


@dataclass(frozen=True)
class CriterionRate(_PassRate):
    criterion_id: str
    passed: int
    applicable: int


@dataclass(frozen=True)
class AgentReport:
    agent_id: str
    calls: int
    mean_score: float | None
    period: str
    series: tuple[RatePoint, ...] = ()
    overall: tuple[CriterionRate, ...] = ()
    scores: tuple[ScorePoint, ...] = ()  # mean score per period

    @property
    def weakest(self) -> tuple[CriterionRate, ...]:
        """Up to three criteria the agent fails most often (fully passed ones never count)."""
        failing = [r for r in self.overall if r.rate is not None and r.rate < 1]
        return tuple(sorted(failing, key=lambda r: (r.rate, -r.applicable))[:3])


@dataclass(frozen=True)
class CalibrationRow:
    """How often supervisors overrode the machine on one criterion."""

    criterion_id: str
    results: int
    reviewed: int
    disagreements: int
    pass_to_fail: int
    fail_to_pass: int
    other: int = 0

    @property
    def disagreement_rate(self) -> float | None:
        return self.disagreements / self.results if self.results else None


@dataclass(frozen=True)
class SeriousErrorKind:
    """A criterion some stored rubric marks as a serious error, and the error in words."""

    criterion_id: str
    error: str


@dataclass(frozen=True)
class LibraryHit:
    scorecard_id: int
    call_label: str
    agent_id: str | None
    when: datetime
    verdict: str
    overridden: bool
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
