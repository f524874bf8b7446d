"""Logging in and out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from qa_pipeline.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    check_csrf,
    client_address,
    new_login_token,
    safe_next,
    viewer,
)
from qa_pipeline.web.throttle import Lockout

router = APIRouter()


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    token = new_login_token()
    page = request.app.state.templates.TemplateResponse(
        request, "login.html", {"viewer": None, "csrf": token, "next": next_path, "error": error},
        status_code=status,
    )
    page.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                    secure=request.app.state.secure_cookies)
    return page


def _locked_out(request: Request, next_path: str, lockout: Lockout) -> Response:
    minutes = -(-lockout.retry_after_s // 60)
    message = (f"Too many failed log-ins for this account or from this address. "
               f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")
    page = _login_page(request, next_path, message, status=429)
    page.headers["Retry-After"] = str(lockout.retry_after_s)
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
    account, address = name.strip(), client_address(request)
    throttle = state.login_throttle
    with throttle.attempt(account, address):
        # A locked account or address is refused before its password is even checked.
        lockout = throttle.locked(account, address)
        user = None if lockout else state.store.authenticate(account, password)
        if lockout is None and user is None:
            lockout = throttle.failed(account, address)
            if lockout is None:
                return _login_page(request, safe_next(next), "Unknown name or wrong password.", status=401)
        if lockout is not None:
            return _locked_out(request, safe_next(next), lockout)
        throttle.succeeded(account)
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
