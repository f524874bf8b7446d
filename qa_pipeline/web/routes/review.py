"""The review loop in the app: the queue, review steps, acknowledgements and disputes.

Supervisors start and finish reviews and resolve disputes; an agent acknowledges or
disputes only scorecards of their own calls. Every step lands in the call's review history.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from qa_pipeline.records import VERDICTS
from qa_pipeline.store.schema import ACKNOWLEDGED, REVIEWED, STARTED
from qa_pipeline.store.views import CallDetail
from qa_pipeline.web.auth import Viewer, check_csrf, require, require_staff, viewer

router = APIRouter()


@dataclass(frozen=True)
class ReviewSettings:
    """The queue's settings (`qa-pipeline serve --weekly-target --low-confidence`).

    `weekly_target`: scorecards per agent a site means to review each week (Monday 00:00
    UTC on); calls of agents below it rank above other calls with no dispute, serious error
    or unsure verdict. `low_confidence`: machine verdicts below this confidence (0-1) need a
    person. `alert_override_rate`: the calibration page flags a criterion whose share of
    supervisor-judged verdicts overridden in its latest month is above this. All are a
    site's choice, not measured figures.
    """

    weekly_target: int = 3
    low_confidence: float = 0.6
    alert_override_rate: float = 0.2
    limit: int = 100


@router.get("/queue")
def queue_page(request: Request, who: Viewer = Depends(viewer)) -> Response:
    require_staff(who)
    settings: ReviewSettings = request.app.state.review_settings
    items = request.app.state.store.review_queue(settings.weekly_target, settings.low_confidence, settings.limit)
    context = {"viewer": who, "items": items, "settings": settings}
    return request.app.state.templates.TemplateResponse(request, "queue.html", context)


def _own_call(request: Request, who: Viewer, scorecard_id: int) -> None:
    """The call must exist and be visible to this viewer (404 / 403)."""
    exists, agent_id = request.app.state.store.scorecard_agent(scorecard_id)
    if not exists:
        raise HTTPException(status_code=404, detail=f"no scored call {scorecard_id}")
    require(who, who.may_see(agent_id))


def _back(scorecard_id: int, anchor: str = "review") -> RedirectResponse:
    return RedirectResponse(f"/calls/{scorecard_id}#{anchor}", status_code=303)


def _refused(exc: Exception) -> HTTPException:
    return HTTPException(status_code=400, detail=str(exc))


@router.post("/calls/{scorecard_id}/review")
def review_step(request: Request, scorecard_id: int, step: str = Form(...), comment: str = Form(""),
                csrf: str = Form(""), who: Viewer = Depends(viewer)) -> Response:
    """A supervisor starts (`started`) or finishes (`reviewed`) the review of a scorecard."""
    check_csrf(who.csrf, csrf)
    require(who, who.may_override())
    _own_call(request, who, scorecard_id)
    if step not in (STARTED, REVIEWED):
        raise HTTPException(status_code=400, detail=f"not a review step: {step!r}")
    request.app.state.store.record_review(scorecard_id, step, who.user.id, comment)
    return _back(scorecard_id)


@router.post("/calls/{scorecard_id}/acknowledge")
def acknowledge(request: Request, scorecard_id: int, csrf: str = Form(""), who: Viewer = Depends(viewer)) -> Response:
    """The call's agent has read the scorecard."""
    check_csrf(who.csrf, csrf)
    require(who, who.is_agent)
    _own_call(request, who, scorecard_id)
    request.app.state.store.record_review(scorecard_id, ACKNOWLEDGED, who.user.id)
    return _back(scorecard_id)


@router.post("/calls/{scorecard_id}/disputes")
def dispute(request: Request, scorecard_id: int, criterion: str = Form(...), comment: str = Form(""),
            csrf: str = Form(""), who: Viewer = Depends(viewer)) -> Response:
    """The call's agent disputes one verdict, saying why."""
    check_csrf(who.csrf, csrf)
    require(who, who.is_agent)
    _own_call(request, who, scorecard_id)
    try:
        request.app.state.store.dispute(scorecard_id, criterion, comment, who.user.id)
    except (ValueError, LookupError) as exc:
        raise _refused(exc) from exc
    return _back(scorecard_id, f"criterion-{criterion}")


@router.post("/calls/{scorecard_id}/disputes/{dispute_id}")
def resolve(request: Request, scorecard_id: int, dispute_id: int, action: str = Form(...), verdict: str = Form(""),
            comment: str = Form(""), csrf: str = Form(""), who: Viewer = Depends(viewer)) -> Response:
    """A supervisor upholds the disputed verdict or overrules it with `verdict` (recorded as an override)."""
    check_csrf(who.csrf, csrf)
    require(who, who.may_override())
    _own_call(request, who, scorecard_id)
    detail: CallDetail = request.app.state.store.call_detail(scorecard_id)
    disputed = next((e for e in detail.open_disputes if e.id == dispute_id), None)
    if disputed is None:
        raise HTTPException(status_code=404, detail=f"call {scorecard_id} has no open dispute {dispute_id}")
    if action not in ("uphold", "overrule") or (action == "overrule" and verdict not in VERDICTS):
        raise HTTPException(status_code=400, detail="resolve with action=uphold, or action=overrule and a verdict")
    try:
        request.app.state.store.resolve_dispute(dispute_id, who.user.id, comment,
                                                verdict if action == "overrule" else None)
    except (ValueError, LookupError) as exc:
        raise _refused(exc) from exc
    return _back(scorecard_id, f"criterion-{disputed.criterion_id}")
