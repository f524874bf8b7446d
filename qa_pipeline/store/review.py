"""The review loop: review states, agent acknowledgements and disputes, and the review queue.

Every step is a `ReviewEvent` row, never updated or deleted, so the history is the audit
trail. A scorecard's status is its latest `started` or `reviewed` event (none: unreviewed).
A dispute is open until a later `upheld` or `overruled` event names it in `resolves_id`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from qa_pipeline.records import FAIL
from qa_pipeline.store.effective import effective_results
from qa_pipeline.store.schema import (
    ACKNOWLEDGED,
    DISPUTED,
    OVERRULED,
    REVIEWED,
    STARTED,
    UPHELD,
    Call,
    CriterionRow,
    ReviewEvent,
    ScorecardRow,
)
from qa_pipeline.store.views import IN_REVIEW, UNREVIEWED, QueueItem, ReviewEventView
from qa_pipeline.store.views import REVIEWED as REVIEWED_STATUS

_STATUS_OF_KIND = {STARTED: IN_REVIEW, REVIEWED: REVIEWED_STATUS}


def _latest_state():
    """Subquery: per scorecard, its latest started/reviewed event's kind, user and time."""
    latest = (
        select(ReviewEvent.scorecard_id, func.max(ReviewEvent.id).label("event_id"))
        .where(ReviewEvent.kind.in_(tuple(_STATUS_OF_KIND)))
        .group_by(ReviewEvent.scorecard_id)
        .subquery()
    )
    return (
        select(latest.c.scorecard_id, ReviewEvent.kind, ReviewEvent.user_id, ReviewEvent.created_at)
        .join(ReviewEvent, ReviewEvent.id == latest.c.event_id)
        .subquery("state")
    )


def status_is(status: str):
    """A WHERE clause on ScorecardRow.id: scorecards whose review status is `status`."""
    state = _latest_state()
    if status == UNREVIEWED:
        return ScorecardRow.id.not_in(select(state.c.scorecard_id))
    kinds = [k for k, s in _STATUS_OF_KIND.items() if s == status]
    return ScorecardRow.id.in_(select(state.c.scorecard_id).where(state.c.kind.in_(kinds)))


def statuses(session: Session, ids: list[int]) -> dict[int, str]:
    """Scorecard id -> review status, for the given scorecards (unreviewed when no event)."""
    out: dict[int, str] = defaultdict(lambda: UNREVIEWED)
    if ids:
        state = _latest_state()
        for scorecard_id, kind in session.execute(select(state.c.scorecard_id, state.c.kind)
                                                  .where(state.c.scorecard_id.in_(ids))):
            out[scorecard_id] = _STATUS_OF_KIND[kind]
    return out


def add_event(session: Session, event: ReviewEvent) -> int:
    session.add(event)
    session.flush()
    return event.id


def history(session: Session, scorecard_id: int) -> tuple[ReviewEventView, ...]:
    events = session.scalars(
        select(ReviewEvent).where(ReviewEvent.scorecard_id == scorecard_id).order_by(ReviewEvent.id)
    ).all()
    resolved = {e.resolves_id for e in events if e.resolves_id is not None}
    return tuple(
        ReviewEventView(e.id, e.kind, e.criterion_id, e.verdict, e.comment, e.user.name, e.created_at,
                        e.resolves_id, e.kind == DISPUTED and e.id not in resolved)
        for e in events
    )


def _open_disputes():
    resolution = aliased(ReviewEvent)
    return (
        select(ReviewEvent.scorecard_id, ReviewEvent.id)
        .outerjoin(resolution, resolution.resolves_id == ReviewEvent.id)
        .where(ReviewEvent.kind == DISPUTED, resolution.id.is_(None))
        .subquery("open_disputes")
    )


def agent_counts(session: Session, agent_id: str) -> dict[str, int]:
    """An agent's acknowledged scorecards, disputes raised, still open, upheld and overruled."""
    base = (
        select(ReviewEvent.kind, func.count())
        .join(ScorecardRow, ScorecardRow.id == ReviewEvent.scorecard_id)
        .join(Call, Call.id == ScorecardRow.call_id)
        .where(Call.agent_id == agent_id)
        .group_by(ReviewEvent.kind)
    )
    counts: dict[str, int] = {kind: n for kind, n in session.execute(base).all()}
    still_open = _open_disputes()
    open_count = session.scalar(
        select(func.count()).select_from(still_open)
        .join(ScorecardRow, ScorecardRow.id == still_open.c.scorecard_id)
        .join(Call, Call.id == ScorecardRow.call_id)
        .where(Call.agent_id == agent_id)
    )
    return {"acknowledged": counts.get(ACKNOWLEDGED, 0), "disputed": counts.get(DISPUTED, 0),
            "open": open_count or 0, "upheld": counts.get(UPHELD, 0), "overruled": counts.get(OVERRULED, 0)}


def _week_start(now: datetime) -> datetime:
    return datetime.combine((now - timedelta(days=now.weekday())).date(), datetime.min.time())


def queue(session: Session, now: datetime, weekly_target: int, low_confidence: float, limit: int) -> list[QueueItem]:
    """Scorecards not yet reviewed, those that most need a person first.

    Order: cards that flag criteria for review (`needs_review`: the scorer's unsure verdicts, or
    a re-score that changed a verdict a supervisor had overridden), then open disputes, then
    serious errors (effective fails of criteria the rubric marks
    serious), then machine verdicts below `low_confidence` that no supervisor has
    overridden, then calls of agents with fewer than `weekly_target` scorecards reviewed
    since Monday 00:00 UTC, then the newest call (unknown times last).
    """
    state = _latest_state()
    done = select(state.c.scorecard_id).where(state.c.kind == REVIEWED)
    candidates = session.execute(
        select(ScorecardRow.id, Call.call_label, Call.agent_id, Call.call_time, ScorecardRow.score,
               ScorecardRow.needs_review)
        .join(Call, Call.id == ScorecardRow.call_id)
        .where(ScorecardRow.id.not_in(done))
    ).all()
    ids = [c.id for c in candidates]
    if not ids:
        return []
    eff = effective_results()
    disputes = _count_by(session, select(_open_disputes().c.scorecard_id), ids)
    serious = _count_by(session, select(eff.c.scorecard_id).where(eff.c.verdict == FAIL, eff.c.serious_error != ""),
                        ids)
    unsure = _count_by(
        session,
        select(eff.c.scorecard_id).join(CriterionRow, and_(CriterionRow.scorecard_id == eff.c.scorecard_id,
                                                           CriterionRow.criterion_id == eff.c.criterion_id))
        .where(CriterionRow.confidence < low_confidence, eff.c.overridden == 0),
        ids,
    )
    reviewed_this_week: dict[str | None, int] = dict(session.execute(  # type: ignore[arg-type]
        select(Call.agent_id, func.count(func.distinct(ReviewEvent.scorecard_id)))
        .join(ScorecardRow, ScorecardRow.id == ReviewEvent.scorecard_id)
        .join(Call, Call.id == ScorecardRow.call_id)
        .where(ReviewEvent.kind == REVIEWED, ReviewEvent.created_at >= _week_start(now))
        .group_by(Call.agent_id)
    ).all())
    status = statuses(session, ids)
    items = [
        QueueItem(c.id, c.call_label, c.agent_id, c.call_time, c.score, status[c.id], disputes[c.id], serious[c.id],
                  unsure[c.id], max(0, weekly_target - reviewed_this_week.get(c.agent_id, 0)),
                  tuple(c.needs_review or ()))
        for c in candidates
    ]
    items.sort(key=lambda i: i.call_time or datetime.min, reverse=True)  # newest first, unknown times last
    items.sort(key=lambda i: (not i.needs_review, -i.open_disputes, -i.serious_errors, -i.low_confidence,
                              i.below_target == 0))
    return items[:limit]


def _count_by(session: Session, query, ids: list[int]) -> dict[int, int]:
    rows = query.subquery()
    column = rows.c[0]
    found = session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column)).all()
    return defaultdict(int, {k: n for k, n in found})
