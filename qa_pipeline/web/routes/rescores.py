"""Stored `qa-pipeline rescore` diffs: what a rubric change would flip, and applying one.

Applying re-loads the rubric from the file the diff was made with and re-scores the
same calls; it is refused when the file's content hash or the diff itself changed since
(the store got new calls or verdicts), so a supervisor applies exactly what they read.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from qa_pipeline.errors import QAPipelineError
from qa_pipeline.web.auth import Viewer, check_csrf, require, require_staff, viewer

router = APIRouter()


def _grouped(flips: list[dict]) -> list[tuple[str, str, str, list[dict]]]:
    """(criterion, before, after, flips) groups in first-seen order."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for f in flips:
        groups.setdefault((f["criterion"], f["before"], f["after"]), []).append(f)
    return [(*key, items) for key, items in groups.items()]


@router.get("/rescores")
def rescores_page(request: Request, who: Viewer = Depends(viewer)) -> Response:
    require_staff(who)
    runs = [run | {"groups": _grouped(run["flips"])} for run in request.app.state.store.rescore_runs()]
    return request.app.state.templates.TemplateResponse(request, "rescores.html", {"viewer": who, "runs": runs})


@router.post("/rescores/{run_id}/apply")
def apply_run(request: Request, run_id: int, csrf: str = Form(""), who: Viewer = Depends(viewer)) -> Response:
    from qa_pipeline import rescore
    from qa_pipeline.rubric import load_rubric

    check_csrf(who.csrf, csrf)
    require(who, who.may_override())
    store = request.app.state.store
    run = next((r for r in store.rescore_runs(limit=1000) if r["id"] == run_id), None)
    if run is None:
        raise HTTPException(status_code=404, detail=f"no rescore run {run_id}")
    if run["applied_at"] is not None:
        raise HTTPException(status_code=400, detail=f"rescore run {run_id} is already applied")
    try:
        rubric = load_rubric(run["rubric_source"])
        if rubric.sha256 != run["rubric_sha256"]:
            raise HTTPException(status_code=409, detail=f"{run['rubric_source']} changed since the diff was made: "
                                                        "run `qa-pipeline rescore` again")
        pairs, changes = rescore.diff_stored(store, rubric, run["since"])
        if [f.as_dict() for f in changes] != run["flips"]:
            raise HTTPException(status_code=409, detail="the stored calls changed since the diff was made: "
                                                        "run `qa-pipeline rescore` again")
        rescore.apply(store, rubric, pairs)
    except QAPipelineError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    store.mark_rescore_applied(run_id)
    return RedirectResponse(f"/rescores#run-{run_id}", status_code=303)
