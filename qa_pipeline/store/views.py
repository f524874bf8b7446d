"""Plain frozen records the store hands out, so callers never hold live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from qa_pipeline.records import Evidence, Scorecard

ROLES = ("supervisor", "trainer", "agent")
SORTS = ("date", "score")
SERIOUS_ANY = "any"


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
    sort: str = "date"
    descending: bool = True
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class CallRow:
    scorecard_id: int
    call_label: str
    agent_id: str | None
    when: datetime
    score: float | None
    duration_s: float
    failed: tuple[str, ...] = ()
    overridden: tuple[str, ...] = ()
    serious: tuple[str, ...] = ()  # failed criteria the rubric marks as serious errors


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
