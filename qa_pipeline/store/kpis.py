"""Team KPIs per agent and period, against the agent's own trailing average, and callbacks due.

Definitions (docs/review-app.md, "Team KPIs"):

- a **call** is one recording (a call scored with two rubrics counts once; its sales card,
  when it has one, gives the status). Calls of unknown time are left out (no day to count them in);
- a **connection** is a call in which the customer was reached and spoke: at least one
  customer turn with words in the stored transcript, and a status other than those that say
  the person sought was not reached (`invalid_number`, `gatekeeper_refused`, `contact_absent`);
- **talk time** is the recording's length (`duration_s`), from answer to hang-up;
- **status shares** come from the sales block's `status`; calls without one count as calls
  without status (`NO_STATUS`);
- a **successful** call has status `meeting_booked`; the Korean telesales playbook expects one
  to last about 3.5 minutes (`SUCCESSFUL_REFERENCE_S`, shown as a reference line);
- the **trailing average** is the agent's own, over the `BASELINE_DAYS` (28) days before the
  period starts, per working day: a working day is a day on which the agent made at least one
  call, so a short week (a holiday, leave) is read by its activity per day it worked, as the
  inside-sales guide reads a team on short weeks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_pipeline.store.schema import Call, ScorecardRow

SUCCESSFUL = "meeting_booked"
# The Korean telesales playbook: a successful call takes about three and a half minutes.
SUCCESSFUL_REFERENCE_S = 210.0
NOT_REACHED = ("invalid_number", "gatekeeper_refused", "contact_absent")
NO_STATUS = "no_status"
BASELINE_DAYS = 28
# The taxonomy in display order (issue 26; docs/sales.md), grouped as the sales block groups them.
STATUS_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("do_not_call", ("no_need", "no_authority", "has_comparable_service", "invalid_number")),
    ("not_decided", ("gatekeeper_refused", "refused_no_reason", "contact_absent")),
    ("call_again", ("bad_timing", "replaceable_service", "comparing_vendors", "wants_materials", "meeting_booked")),
    ("unknown", ("unknown",)),
)
STATUSES = tuple(s for _, members in STATUS_GROUPS for s in members) + (NO_STATUS,)
GROUP_OF = {s: g for g, members in STATUS_GROUPS for s in members}
GROUPS = tuple(g for g, _ in STATUS_GROUPS) + (NO_STATUS,)


def group_of(status: str) -> str:
    """The status group; a status outside the taxonomy counts as unknown."""
    return NO_STATUS if status == NO_STATUS else GROUP_OF.get(status, "unknown")


@dataclass(frozen=True)
class KpiCall:
    """One call as the KPIs count it."""

    scorecard_id: int
    agent_id: str
    day: date
    duration_s: float
    customer_turns: int
    status: str  # a sales status, or NO_STATUS

    @property
    def connected(self) -> bool:
        return self.customer_turns > 0 and self.status not in NOT_REACHED

    @property
    def successful(self) -> bool:
        return self.status == SUCCESSFUL


@dataclass(frozen=True)
class Figures:
    """Totals over some calls; `working_days` the distinct days they fall on."""

    calls: int = 0
    connections: int = 0
    talk_s: float = 0.0
    successful: int = 0
    successful_s: float = 0.0
    working_days: int = 0
    statuses: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, calls: Iterable[KpiCall]) -> Figures:
        calls = list(calls)
        wins = [c for c in calls if c.successful]
        return cls(len(calls), sum(c.connected for c in calls), sum(c.duration_s for c in calls), len(wins),
                   sum(c.duration_s for c in wins), len({c.day for c in calls}), dict(Counter(c.status for c in calls)))

    def per_day(self, value: float) -> float | None:
        """`value` per working day; None without working days."""
        return value / self.working_days if self.working_days else None

    @property
    def connection_rate(self) -> float | None:
        return self.connections / self.calls if self.calls else None

    @property
    def avg_successful_s(self) -> float | None:
        return self.successful_s / self.successful if self.successful else None

    def share(self, status: str) -> float | None:
        return self.statuses.get(status, 0) / self.calls if self.calls else None

    def group_share(self, group: str) -> float | None:
        if not self.calls:
            return None
        return sum(n for s, n in self.statuses.items() if group_of(s) == group) / self.calls


@dataclass(frozen=True)
class AgentPeriod:
    """One agent's figures over one day or ISO week, and their trailing baseline."""

    agent_id: str
    start: date
    end: date  # inclusive
    figures: Figures
    baseline: Figures  # the BASELINE_DAYS before `start`

    def versus(self, name: str) -> tuple[float | None, float | None]:
        """(this period per working day, baseline per working day) of `calls`, `connections` or `talk_s`."""
        return (self.figures.per_day(getattr(self.figures, name)), self.baseline.per_day(getattr(self.baseline, name)))


@dataclass(frozen=True)
class Callback:
    """A call whose agreed next contact date has come."""

    scorecard_id: int
    call_label: str
    agent_id: str | None
    call_time: datetime | None
    due: date
    words: str
    quote: str
    customer: str
    status: str | None
    language: str | None = None  # the card's language, for the quote's lang attribute


def kpi_calls(session: Session, agent_id: str | None = None) -> list[KpiCall]:
    """Every dated call, one per recording: its latest card with a sales status, else its latest card."""
    query = (select(ScorecardRow.id, ScorecardRow.call_id, ScorecardRow.sales_status, ScorecardRow.customer_turns,
                    Call.agent_id, Call.call_time, Call.duration_s)
             .join(Call, Call.id == ScorecardRow.call_id)
             .where(Call.call_time.is_not(None), Call.agent_id.is_not(None))
             .order_by(ScorecardRow.call_id, ScorecardRow.sales_status.is_(None), ScorecardRow.scored_at.desc(),
                       ScorecardRow.id.desc()))
    if agent_id is not None:
        query = query.where(Call.agent_id == agent_id)
    chosen: dict[int, KpiCall] = {}
    for row in session.execute(query):
        chosen.setdefault(row.call_id, KpiCall(row.id, row.agent_id, row.call_time.date(), row.duration_s,
                                               row.customer_turns or 0, row.sales_status or NO_STATUS))
    return list(chosen.values())


def period_start(day: date, period: str) -> date:
    return day - timedelta(days=day.weekday()) if period == "week" else day


def agent_periods(calls: list[KpiCall], first: date, last: date, period: str = "day") -> list[AgentPeriod]:
    """Per agent and period ("day" or "week") from `first` to `last` with calls, each with its baseline;
    sorted by agent, then period."""
    by_agent: dict[str, list[KpiCall]] = defaultdict(list)
    for call in calls:
        by_agent[call.agent_id].append(call)
    span = 7 if period == "week" else 1
    out = []
    for agent_id in sorted(by_agent):
        own = by_agent[agent_id]
        starts = sorted({period_start(c.day, period) for c in own if first <= c.day <= last})
        for start in starts:
            end = start + timedelta(days=span - 1)
            inside = [c for c in own if start <= c.day <= end and first <= c.day <= last]
            before = [c for c in own if start - timedelta(days=BASELINE_DAYS) <= c.day < start]
            out.append(AgentPeriod(agent_id, start, end, Figures.of(inside), Figures.of(before)))
    return out


def callbacks_due(session: Session, today: date, agent_id: str | None = None) -> list[Callback]:
    """Cards whose sales block's next contact date is `today` or earlier, the oldest due first."""
    query = (select(ScorecardRow, Call).join(Call, Call.id == ScorecardRow.call_id)
             .where(ScorecardRow.next_contact_date.is_not(None), ScorecardRow.next_contact_date <= today)
             .order_by(ScorecardRow.next_contact_date, Call.call_time, ScorecardRow.id))
    if agent_id is not None:
        query = query.where(Call.agent_id == agent_id)
    return [Callback(row.id, call.call_label, call.agent_id, call.call_time, row.next_contact_date,
                     row.next_contact_words, row.next_contact_quote, row.customer_ref or call.call_label,
                     row.sales_status, row.language)
            for row, call in session.execute(query).all()]
