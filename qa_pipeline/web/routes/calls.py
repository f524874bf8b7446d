"""The calls list (with CSV export), the call page, its audio, and verdict overrides."""

from __future__ import annotations

import io
import logging

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from qa_pipeline import safe_csv
from qa_pipeline.records import FAIL, VERDICTS
from qa_pipeline.store.views import REVIEW_STATUSES, CallDetail
from qa_pipeline.web import filters
from qa_pipeline.web.audio import audio_problem, media_type, playable_recording
from qa_pipeline.web.auth import Viewer, check_csrf, require, viewer
from qa_pipeline.web.downloads import attachment
from qa_pipeline.web.formatting import when

router = APIRouter()
# Who opened which call, when: user id and scorecard id only (also stored: Store.access_log).
access_log = logging.getLogger("qa_pipeline.web.access")
CSV_COLUMNS = ("scorecard_id", "call_id", "agent_id", "call_time", "score", "duration_s", "failed", "overridden",
               "rubric", "review_status")


@router.get("/")
def home() -> Response:
    return RedirectResponse("/calls", status_code=303)


def _filter(request: Request, who: Viewer):
    return filters.parse(request.query_params, forced_agent=who.user.agent_id if who.is_agent else None)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico before reading the page's icon link; the same SVG answers."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/calls")
def calls_list(request: Request, who: Viewer = Depends(viewer)) -> Response:
    store = request.app.state.store
    call_filter = _filter(request, who)
    page = store.list_calls(call_filter)
    if call_filter.page > page.pages:
        raise HTTPException(status_code=404, detail=f"no page {call_filter.page}: the list has {page.pages}")
    context = {
        "viewer": who,
        "filter": call_filter,
        "page": page,
        "agents": store.agent_ids() if not who.is_agent else [who.user.agent_id],
        "criteria": store.criterion_ids(),
        "rubrics": store.rubric_ids(),
        "statuses": REVIEW_STATUSES,
        "query": lambda **changes: filters.query_string(call_filter, **changes),
    }
    return request.app.state.templates.TemplateResponse(request, "calls.html", context)


@router.get("/calls.csv")
def calls_csv(request: Request, who: Viewer = Depends(viewer)) -> Response:
    page = request.app.state.store.list_calls(_filter(request, who), paginate=False)
    out = io.StringIO()
    writer = safe_csv.writer(out)  # call ids and agent ids come from file names: no live formulas
    writer.writerow(CSV_COLUMNS)
    for row in page.rows:
        writer.writerow(
            [row.scorecard_id, row.call_label, row.agent_id or "", when(row.when), "" if row.score is None else row.score,
             round(row.duration_s, 1), " ".join(row.failed), " ".join(row.overridden), row.rubric, row.status]
        )
    headers = {"Content-Disposition": attachment("calls.csv")}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def visible_call(request: Request, who: Viewer, scorecard_id: int) -> CallDetail:
    """The call, if it exists and this viewer may see it (404 / 403 otherwise)."""
    store = request.app.state.store
    exists, agent_id = store.scorecard_agent(scorecard_id)
    if not exists:
        raise HTTPException(status_code=404, detail=f"no scored call {scorecard_id}")
    require(who, who.may_see(agent_id))
    return store.call_detail(scorecard_id)


def record_access(request: Request, who: Viewer, scorecard_id: int, action: str) -> None:
    """The access log: in the store (the call page shows it to supervisors) and a log line; ids only."""
    request.app.state.store.log_access(who.user.id, scorecard_id, action)
    access_log.info("user=%s call=%d action=%s", who.user.id, scorecard_id, action)


def serious_errors(detail: CallDetail) -> list:
    """The criteria the rubric marks serious whose effective verdict is fail, in rubric order."""
    return [r for r in detail.card.criteria if r.serious_error and detail.effective_verdict(r.id) == FAIL]


@router.get("/calls/{scorecard_id}")
def call_page(request: Request, scorecard_id: int, who: Viewer = Depends(viewer)) -> Response:
    detail = visible_call(request, who, scorecard_id)
    problem = audio_problem(request.app.state.audio_root, detail, staff=not who.is_agent)
    record_access(request, who, scorecard_id, "page")
    context = {"viewer": who, "call": detail, "card": detail.card, "has_audio": not problem, "audio_problem": problem,
               "verdicts": VERDICTS, "serious_errors": serious_errors(detail),
               "opened": request.app.state.store.access_log(scorecard_id) if who.may_override() else []}
    return request.app.state.templates.TemplateResponse(request, "call.html", context)


@router.get("/calls/{scorecard_id}/audio")
def call_audio(request: Request, scorecard_id: int, who: Viewer = Depends(viewer)) -> Response:
    detail = visible_call(request, who, scorecard_id)
    recording = playable_recording(request.app.state.audio_root, detail)
    if recording is None:
        raise HTTPException(status_code=404, detail="the recording is not inside the audio root")
    if request.headers.get("range", "bytes=0-").startswith("bytes=0-"):  # a play, not each seek
        record_access(request, who, scorecard_id, "audio")
    # FileResponse answers Range requests with 206 partial content, which the player needs to seek.
    return FileResponse(recording, media_type=media_type(recording))


@router.post("/calls/{scorecard_id}/overrides")
def override(
    request: Request,
    scorecard_id: int,
    criterion: str = Form(...),
    verdict: str = Form(...),
    comment: str = Form(""),
    csrf: str = Form(""),
    who: Viewer = Depends(viewer),
) -> Response:
    check_csrf(who.csrf, csrf)
    require(who, who.may_override())
    visible_call(request, who, scorecard_id)
    try:
        request.app.state.store.add_override(scorecard_id, criterion, verdict, comment, who.user.id)
    except (ValueError, LookupError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return RedirectResponse(f"/calls/{scorecard_id}#criterion-{criterion}", status_code=303)
