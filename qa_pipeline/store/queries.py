"""Read-side queries: the calls list, agent reports, the trainer library, calibration.

Every report reads the *effective* verdict: the latest supervisor override of a
criterion if there is one, otherwise the machine's verdict.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from qa_pipeline.records import FAIL, PASS, Evidence
from qa_pipeline.store import review, search
from qa_pipeline.store.effective import WHEN, effective_results
from qa_pipeline.store.schema import Agent, Call, CriterionRow, ScorecardRow
from qa_pipeline.store.views import (
    SERIOUS_ANY,
    TEAM,
    AgentReport,
    CalibrationRow,
    CallFilter,
    CallPage,
    CallRow,
    CriterionRate,
    LibraryHit,
    RatePoint,
    ScorePoint,
    SeriousErrorKind,
    WeekChange,
)


def _filtered(call_filter: CallFilter, dialect: str) -> Select:
    query = select(
        ScorecardRow.id, Call.call_label, Call.agent_id, Call.call_time.label("when"), ScorecardRow.score,
        Call.duration_s, ScorecardRow.rubric_id, ScorecardRow.rubric_version,
    ).join(Call, Call.id == ScorecardRow.call_id)
    f = call_filter
    if f.agent_id:
        query = query.where(Call.agent_id == f.agent_id)
    if f.rubric:
        query = query.where(ScorecardRow.rubric_id == f.rubric)
    if f.text and f.text.strip():
        query = query.where(_text_match(f.text.strip(), dialect))
    if f.status:
        query = query.where(review.status_is(f.status))
    if f.date_from:
        query = query.where(Call.call_time >= datetime.combine(f.date_from, time.min))
    if f.date_to and f.date_to < date.max:
        query = query.where(Call.call_time < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.score_min is not None:
        query = query.where(ScorecardRow.score >= f.score_min)
    if f.score_max is not None:
        query = query.where(ScorecardRow.score <= f.score_max)
    for criterion_id, verdict in ((f.failed, FAIL), (f.passed, PASS)):
        if criterion_id:
            eff = effective_results()
            matching = select(eff.c.scorecard_id).where(eff.c.criterion_id == criterion_id, eff.c.verdict == verdict)
            query = query.where(ScorecardRow.id.in_(matching))
    if f.serious:
        eff = effective_results()
        matching = select(eff.c.scorecard_id).where(eff.c.verdict == FAIL, eff.c.serious_error != "")
        if f.serious != SERIOUS_ANY:
            matching = matching.where(eff.c.criterion_id == f.serious)
        query = query.where(ScorecardRow.id.in_(matching))
    return query


def _text_match(text: str, dialect: str):
    """Call id, agent id or roster name containing `text`, or a transcript line with all its words."""
    matches = search.matching_utterances(dialect, text).subquery()
    roster = select(Agent.id).where(Agent.display_name.icontains(text, autoescape=True))
    return or_(
        Call.call_label.icontains(text, autoescape=True),
        Call.agent_id.icontains(text, autoescape=True),
        Call.agent_id.in_(roster),
        ScorecardRow.id.in_(select(matches.c.scorecard_id)),
    )


def _ordered(query: Select, call_filter: CallFilter) -> Select:
    def direction(column):
        return column.desc() if call_filter.descending else column.asc()

    unknown_last = Call.call_time.is_(None)  # calls without a known time come last either way
    if call_filter.sort == "score":
        # Unscored calls go last whichever way the scores run.
        return query.order_by(ScorecardRow.score.is_(None), direction(ScorecardRow.score), unknown_last,
                              Call.call_time.desc(), ScorecardRow.id)
    return query.order_by(unknown_last, direction(Call.call_time), direction(ScorecardRow.id))


def list_calls(session: Session, call_filter: CallFilter, paginate: bool = True) -> CallPage:
    query = _filtered(call_filter, session.get_bind().dialect.name)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = _ordered(query, call_filter)
    page = max(1, call_filter.page)
    if paginate:
        query = query.limit(call_filter.page_size).offset((page - 1) * call_filter.page_size)
    # A page past the last has no rows; asking the database could overflow its integer offset.
    beyond = paginate and (page - 1) * call_filter.page_size >= max(total, 1)
    found = [] if beyond else session.execute(query).all()
    ids = [r.id for r in found]
    failed, overridden, serious = _verdict_marks(session, ids)
    hits = search.first_hits(session, call_filter.text or "", ids)
    statuses = review.statuses(session, ids)
    rows = tuple(
        CallRow(r.id, r.call_label, r.agent_id, r.when, r.score, r.duration_s, failed[r.id], overridden[r.id],
                serious[r.id], f"{r.rubric_id}/{r.rubric_version}", hits.get(r.id), statuses[r.id])
        for r in found
    )
    size = call_filter.page_size if paginate else max(1, total)
    return CallPage(rows, total, page if paginate else 1, size)


def _verdict_marks(session: Session, ids: list[int]) -> tuple[dict, dict, dict]:
    failed: dict[int, tuple[str, ...]] = defaultdict(tuple)
    overridden: dict[int, tuple[str, ...]] = defaultdict(tuple)
    serious: dict[int, tuple[str, ...]] = defaultdict(tuple)
    if not ids:
        return failed, overridden, serious
    eff = effective_results()
    for row in session.execute(select(eff).where(eff.c.scorecard_id.in_(ids))):
        if row.verdict == FAIL:
            failed[row.scorecard_id] += (row.criterion_id,)
            if row.serious_error:
                serious[row.scorecard_id] += (row.criterion_id,)
        if row.overridden:
            overridden[row.scorecard_id] += (row.criterion_id,)
    return failed, overridden, serious


def criterion_ids(session: Session) -> list[str]:
    """Criterion ids in rubric order (by their usual position on a scorecard)."""
    query = (
        select(CriterionRow.criterion_id)
        .group_by(CriterionRow.criterion_id)
        .order_by(func.min(CriterionRow.position), CriterionRow.criterion_id)
    )
    return list(session.scalars(query))


def criterion_titles(session: Session) -> dict[str, str]:
    """Criterion id -> the title its rubric gives it (ids without a stored title are left out)."""
    query = select(CriterionRow.criterion_id, func.max(CriterionRow.title)).group_by(CriterionRow.criterion_id)
    return {cid: title for cid, title in session.execute(query) if title}


def failed_titles(session: Session) -> dict[str, str]:
    """Criterion id -> the rubric's wording of a fail (ids whose rubric gives none are left out)."""
    query = select(CriterionRow.criterion_id, func.max(CriterionRow.failed_title)).group_by(CriterionRow.criterion_id)
    return {cid: title for cid, title in session.execute(query) if title}


def serious_error_kinds(session: Session) -> list[SeriousErrorKind]:
    """The criteria stored scorecards mark as serious errors, in rubric order."""
    query = (
        select(CriterionRow.criterion_id, func.max(CriterionRow.serious_error))
        .where(CriterionRow.serious_error != "")
        .group_by(CriterionRow.criterion_id)
        .order_by(func.min(CriterionRow.position), CriterionRow.criterion_id)
    )
    return [SeriousErrorKind(cid, error) for cid, error in session.execute(query)]


def _period(day: date, weekly: bool) -> tuple[date, date]:
    if not weekly:
        return day, day
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def agent_report(session: Session, agent_id: str | None) -> AgentReport:
    """Pass rate per criterion and mean score per period (days, or ISO weeks over spans above a
    month), of one agent, or of the whole team when `agent_id` is None."""
    eff = effective_results()
    query = (
        select(WHEN.label("when"), eff.c.criterion_id, eff.c.verdict)
        .select_from(ScorecardRow)
        .join(Call, Call.id == ScorecardRow.call_id)
        .join(eff, eff.c.scorecard_id == ScorecardRow.id)
    )
    cards = select(WHEN.label("when"), ScorecardRow.score).join(Call, Call.id == ScorecardRow.call_id)
    if agent_id is not None:
        query, cards = query.where(Call.agent_id == agent_id), cards.where(Call.agent_id == agent_id)
    results = session.execute(query).all()
    scored = session.execute(cards).all()
    known = [s.score for s in scored if s.score is not None]
    days = [r.when.date() for r in results] + [s.when.date() for s in scored]
    weekly = bool(days) and (max(days) - min(days)).days > 31
    counts: dict[tuple[str, date, date], list[int]] = defaultdict(lambda: [0, 0])
    overall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    order = {c: i for i, c in enumerate(criterion_ids(session))}
    for r in results:
        if r.verdict not in (PASS, FAIL):
            continue
        for tally in (counts[(r.criterion_id, *_period(r.when.date(), weekly))], overall[r.criterion_id]):
            tally[0] += r.verdict == PASS
            tally[1] += 1
    series = tuple(
        RatePoint(c, start, end, passed, applicable)
        for (c, start, end), (passed, applicable) in sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1]))
    )
    rates = tuple(CriterionRate(c, p, a) for c, (p, a) in sorted(overall.items(), key=lambda kv: order.get(kv[0], 99)))
    by_period: dict[tuple[date, date], list[float]] = defaultdict(list)
    for s in scored:
        if s.score is not None:
            by_period[_period(s.when.date(), weekly)].append(s.score)
    scores = tuple(ScorePoint(start, end, sum(v) / len(v), len(v)) for (start, end), v in sorted(by_period.items()))
    return AgentReport(agent_id or TEAM, len(scored), sum(known) / len(known) if known else None,
                       "week" if weekly else "day", series, rates, scores)


def team_weeks(session: Session) -> list[WeekChange]:
    """Per criterion, the team's fails in the week of the latest call against the week before,
    most failed this week first (effective verdicts; ISO weeks, Monday on)."""
    eff = effective_results()
    rows = session.execute(
        select(WHEN.label("when"), eff.c.criterion_id, eff.c.verdict)
        .select_from(ScorecardRow).join(Call, Call.id == ScorecardRow.call_id)
        .join(eff, eff.c.scorecard_id == ScorecardRow.id)
        .where(eff.c.verdict.in_((PASS, FAIL)))
    ).all()
    if not rows:
        return []
    this_week = _period(max(r.when.date() for r in rows), True)[0]
    last_week = this_week - timedelta(days=7)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        week = _period(r.when.date(), True)[0]
        if week in (this_week, last_week):
            offset = 0 if week == this_week else 2
            tally[r.criterion_id][offset] += r.verdict == FAIL
            tally[r.criterion_id][offset + 1] += 1
    changes = [WeekChange(c, this_week, *t) for c, t in tally.items()]
    return sorted(changes, key=lambda w: (-(w.failed / w.judged if w.judged else -1), w.criterion_id))


def calibration(session: Session) -> list[CalibrationRow]:
    """Per criterion: results, how many a supervisor reviewed, and how often they disagreed."""
    eff = effective_results()
    disagree = and_(eff.c.overridden == 1, eff.c.verdict != eff.c.machine)
    query = (
        select(
            eff.c.criterion_id,
            func.count(),
            func.sum(eff.c.overridden),
            func.sum(case((disagree, 1), else_=0)),
            func.sum(case((and_(disagree, eff.c.machine == PASS, eff.c.verdict == FAIL), 1), else_=0)),
            func.sum(case((and_(disagree, eff.c.machine == FAIL, eff.c.verdict == PASS), 1), else_=0)),
        )
        .group_by(eff.c.criterion_id)
    )
    order = {c: i for i, c in enumerate(criterion_ids(session))}
    out = []
    for criterion_id, results, reviewed, disagreements, p2f, f2p in session.execute(query):
        other = (disagreements or 0) - (p2f or 0) - (f2p or 0)
        out.append(CalibrationRow(criterion_id, results, reviewed or 0, disagreements or 0, p2f or 0, f2p or 0, other))
    return sorted(out, key=lambda row: order.get(row.criterion_id, 99))


def library(session: Session, criterion_id: str, verdict: str, limit: int) -> list[LibraryHit]:
    """Calls whose effective verdict on `criterion_id` is `verdict`, newest first, with evidence."""
    eff = effective_results()
    query = (
        select(ScorecardRow.id, Call.call_label, Call.agent_id, WHEN.label("when"), eff.c.verdict, eff.c.overridden)
        .select_from(ScorecardRow)
        .join(Call, Call.id == ScorecardRow.call_id)
        .join(eff, eff.c.scorecard_id == ScorecardRow.id)
        .where(eff.c.criterion_id == criterion_id, eff.c.verdict == verdict)
        .order_by(WHEN.desc(), ScorecardRow.id.desc())
        .limit(limit)
    )
    found = session.execute(query).all()
    evidence = _evidence_for(session, [r.id for r in found], criterion_id)
    return [
        LibraryHit(r.id, r.call_label, r.agent_id, r.when, r.verdict, bool(r.overridden), evidence.get(r.id, ()))
        for r in found
    ]


def _evidence_for(session: Session, ids: list[int], criterion_id: str) -> dict[int, tuple[Evidence, ...]]:
    if not ids:
        return {}
    query = (
        select(CriterionRow)
        .where(CriterionRow.scorecard_id.in_(ids), CriterionRow.criterion_id == criterion_id)
        .options(selectinload(CriterionRow.evidence))
    )
    return {
        c.scorecard_id: tuple(Evidence(e.speaker, e.start_s, e.end_s, e.text) for e in c.evidence)
        for c in session.scalars(query)
    }
