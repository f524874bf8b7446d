"""Team KPIs (per agent and day or week, against the agent's trailing average), their CSV, and callbacks due.

Supervisors and trainers see every agent; an agent sees only their own figures and callbacks.
The definitions are in `qa_pipeline.store.kpis`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from qa_pipeline import safe_csv
from qa_pipeline.store.kpis import (
    BASELINE_DAYS,
    GROUPS,
    STATUS_GROUPS,
    STATUSES,
    SUCCESSFUL_REFERENCE_S,
    AgentPeriod,
    Figures,
    KpiCall,
    agent_periods,
)
from qa_pipeline.web.auth import Viewer, viewer
from qa_pipeline.web.downloads import attachment
from qa_pipeline.web.filters import parse_date
from qa_pipeline.web.kpi_charts import agent_kpi_chart

router = APIRouter()
DEFAULT_DAYS = 14
CSV_COLUMNS = ("agent_id", "period_start", "period_end", "working_days", "calls", "connections", "talk_s",
               "successful_calls", "avg_successful_s", *(f"status_{s}" for s in STATUSES),
               "baseline_working_days", "baseline_calls_per_day", "baseline_connections_per_day",
               "baseline_talk_s_per_day", "baseline_avg_successful_s")


@dataclass(frozen=True)
class KpiView:
    first: date
    last: date
    period: str
    agent_id: str | None
    rows: list[AgentPeriod]
    calls: list[KpiCall]


def _view(request: Request, who: Viewer) -> KpiView:
    params = request.query_params
    agent_id = who.user.agent_id if who.is_agent else (params.get("agent") or None)
    calls = request.app.state.store.kpi_calls(agent_id)
    latest = max((c.day for c in calls), default=_today())
    last = parse_date(params.get("to")) or latest
    first = parse_date(params.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    first, last = min(first, last), max(first, last)
    period = "week" if params.get("period") == "week" else "day"
    return KpiView(first, last, period, agent_id, agent_periods(calls, first, last, period), calls)


def _today() -> date:
    return datetime.now(UTC).date()


def _totals(view: KpiView) -> dict[str, Figures]:
    """Per agent with calls in the range, the figures over the whole range (for the status shares)."""
    agents = dict.fromkeys(r.agent_id for r in view.rows)
    inside = [c for c in view.calls if view.first <= c.day <= view.last]
    return {agent: Figures.of(c for c in inside if c.agent_id == agent) for agent in agents}


@router.get("/kpi")
def kpi_page(request: Request, who: Viewer = Depends(viewer)) -> Response:
    view = _view(request, who)
    charts = {}
    if view.rows:
        days = agent_periods(view.calls, view.first, view.last, "day")
        for agent in dict.fromkeys(r.agent_id for r in view.rows):
            own = [d for d in days if d.agent_id == agent]
            charts[agent] = Markup(agent_kpi_chart(agent, own, view.first, view.last))
    context = {"viewer": who, "view": view, "charts": charts, "totals": _totals(view),
               "groups": GROUPS, "status_groups": STATUS_GROUPS, "baseline_days": BASELINE_DAYS,
               "reference_min": SUCCESSFUL_REFERENCE_S / 60,
               "agents": request.app.state.store.agent_ids() if not who.is_agent else [who.user.agent_id]}
    return request.app.state.templates.TemplateResponse(request, "kpi.html", context)


def _round(value: float | None, digits: int = 1) -> float | str:
    return "" if value is None else round(value, digits)


@router.get("/kpi.csv")
def kpi_csv(request: Request, who: Viewer = Depends(viewer)) -> Response:
    view = _view(request, who)
    out = io.StringIO()
    writer = safe_csv.writer(out)  # agent ids come from file names: no live formulas
    writer.writerow(CSV_COLUMNS)
    for row in view.rows:
        f, b = row.figures, row.baseline
        start, end = max(row.start, view.first), min(row.end, view.last)  # a week cut by the range
        writer.writerow([row.agent_id, start.isoformat(), end.isoformat(), f.working_days,
                         f.calls, f.connections, round(f.talk_s, 1), f.successful, _round(f.avg_successful_s),
                         *(f.statuses.get(s, 0) for s in STATUSES), b.working_days,
                         _round(b.per_day(b.calls), 2), _round(b.per_day(b.connections), 2),
                         _round(b.per_day(b.talk_s)), _round(b.avg_successful_s)])
    name = f"kpi_{view.period}_{view.first.isoformat()}_{view.last.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": attachment(name)})


@router.get("/callbacks")
def callbacks_page(request: Request, who: Viewer = Depends(viewer)) -> Response:
    today = _today()
    due = request.app.state.store.callbacks_due(today, who.user.agent_id if who.is_agent else None)
    context = {"viewer": who, "due": due, "today": today}
    return request.app.state.templates.TemplateResponse(request, "callbacks.html", context)
