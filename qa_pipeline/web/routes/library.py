"""The trainer library (find calls by criterion verdict, export clips) and the calibration report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from qa_pipeline.records import FAIL, PASS, Evidence
from qa_pipeline.store.views import CallDetail
from qa_pipeline.web.audio import clip_bundle, cut_wav, playable_recording
from qa_pipeline.web.auth import Viewer, require, require_staff, viewer
from qa_pipeline.web.downloads import attachment, clean_filename
from qa_pipeline.web.formatting import clock, label
from qa_pipeline.web.routes.calls import record_access, visible_call

router = APIRouter()


@router.get("/library")
def library(request: Request, criterion: str = "", verdict: str = FAIL, who: Viewer = Depends(viewer)) -> Response:
    require_staff(who)
    store = request.app.state.store
    verdict = verdict if verdict in (PASS, FAIL) else FAIL
    hits = store.library(criterion, verdict) if criterion else []
    context = {"viewer": who, "criteria": store.criterion_ids(), "criterion": criterion, "verdict": verdict, "hits": hits}
    return request.app.state.templates.TemplateResponse(request, "library.html", context)


def clip_transcript(detail: CallDetail, criterion: str, evidence: Evidence) -> str:
    """The clip's text: what was judged, the evidence, and every line spoken during the span."""
    card = detail.card
    lines = [
        f"call {card.call_id}  agent {card.agent_id or '-'}  criterion {criterion}",
        f"machine verdict {card.result(criterion).verdict}; effective verdict {detail.effective_verdict(criterion)}",
        f"evidence {clock(evidence.start)}-{clock(evidence.end)} ({evidence.speaker}): {evidence.text}",
        "",
    ]
    for u in card.transcript.utterances:
        if u.end >= evidence.start and u.start <= evidence.end:
            lines.append(f"[{clock(u.start)}-{clock(u.end)}] {label(u.speaker)}: {u.text}")
    return "\n".join(lines) + "\n"


@router.get("/calls/{scorecard_id}/clip")
def export_clip(
    request: Request, scorecard_id: int, criterion: str, item: int = 0, who: Viewer = Depends(viewer)
) -> Response:
    require(who, who.may_export_clips())
    detail = visible_call(request, who, scorecard_id)
    result = detail.card.result(criterion)
    if result is None or not 0 <= item < len(result.evidence):
        raise HTTPException(status_code=404, detail=f"no evidence item {item} for {criterion!r}")
    recording = playable_recording(request.app.state.audio_root, detail)
    if recording is None:
        raise HTTPException(status_code=404, detail="the recording is not inside the audio root")
    evidence = result.evidence[item]
    stem = clean_filename(f"{detail.card.call_id}_{criterion}_{evidence.start:.1f}s")
    bundle = clip_bundle(stem, cut_wav(recording, evidence.start, evidence.end), clip_transcript(detail, criterion, evidence))
    record_access(request, who, scorecard_id, "clip")
    headers = {"Content-Disposition": attachment(f"{stem}.zip")}
    return Response(bundle, media_type="application/zip", headers=headers)


@router.get("/calibration")
def calibration(request: Request, who: Viewer = Depends(viewer)) -> Response:
    require_staff(who)
    store = request.app.state.store
    context = {"viewer": who, "rows": store.calibration(), "agreement": store.agreement(),
               "alert_rate": request.app.state.review_settings.alert_override_rate}
    return request.app.state.templates.TemplateResponse(request, "calibration.html", context)
