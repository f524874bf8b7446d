"""Agent pages: pass rate per criterion over time, weakest criteria, links to the calls."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from qa_pipeline.store.views import CallFilter
from qa_pipeline.web.auth import Viewer, require, require_staff, viewer
from qa_pipeline.web.charts import pass_rate_chart
from qa_pipeline.web.filters import query_string

router = APIRouter()


@router.get("/agents")
def agents_index(request: Request, who: Viewer = Depends(viewer)) -> Response:
    if who.is_agent:
        return RedirectResponse(f"/agents/{who.user.agent_id}", status_code=303)
    require_staff(who)
    store = request.app.state.store
    reports = [store.agent_report(agent_id) for agent_id in store.agent_ids()]
    team = store.agent_report(None)

    def period_link(first: date, last: date) -> str:
        return "/calls?" + query_string(CallFilter(date_from=first, date_to=last))

    context = {"viewer": who, "reports": reports, "team": team, "weeks": store.team_weeks(),
               "chart": Markup(pass_rate_chart(team, period_link, store.criterion_titles()))}
    return request.app.state.templates.TemplateResponse(request, "agents.html", context)


def calls_link(agent_id: str, **filter_fields) -> str:
    return "/calls?" + query_string(CallFilter(agent_id=agent_id, **filter_fields))


@router.get("/agents/{agent_id}")
def agent_page(request: Request, agent_id: str, who: Viewer = Depends(viewer)) -> Response:
    require(who, who.may_see(agent_id))
    store = request.app.state.store
    report = store.agent_report(agent_id)

    def point_link(first: date, last: date) -> str:
        return calls_link(agent_id, date_from=first, date_to=last)

    context = {
        "viewer": who,
        "report": report,
        "chart": Markup(pass_rate_chart(report, point_link, store.criterion_titles())),
        "calls_link": lambda **fields: calls_link(agent_id, **fields),
        "review_counts": store.review_counts(agent_id),
    }
    return request.app.state.templates.TemplateResponse(request, "agent.html", context)
