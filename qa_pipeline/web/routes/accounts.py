"""Logging in and out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from qa_pipeline.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    check_csrf,
    new_login_token,
    safe_next,
    viewer,
)

router = APIRouter()


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    token = new_login_token()
    page = request.app.state.templates.TemplateResponse(
        request, "login.html", {"viewer": None, "csrf": token, "next": next_path, "error": error},
        status_code=status,
    )
    page.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return page


@router.get("/login")
def login_form(request: Request, next: str = "/calls") -> Response:
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/calls"),
) -> Response:
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf)
    state = request.app.state
    user = state.store.authenticate(name.strip(), password)
    if user is None:
        return _login_page(request, safe_next(next), "Unknown name or wrong password.", status=401)
    token, _ = state.store.start_session(user.id, state.session_ttl_s)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(state.session_ttl_s), httponly=True, samesite="lax",
        secure=state.secure_cookies, path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), who: Viewer = Depends(viewer)) -> Response:
    check_csrf(who.csrf, csrf)
    request.app.state.store.end_session(request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
