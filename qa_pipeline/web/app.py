"""Assemble the review app: store, templates, static files, error pages, headers and routes.

Templates and static files are package data, read through the package (jinja2's
PackageLoader, Starlette's StaticFiles(packages=...)), so an installed wheel serves
them as a checkout does.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa_pipeline.errors import RecordingError
from qa_pipeline.store import open_store
from qa_pipeline.web import formatting, i18n
from qa_pipeline.web.auth import LoginRequired, login_url, proxy_networks
from qa_pipeline.web.throttle import DEFAULT_PER_ACCOUNT, DEFAULT_PER_ADDRESS, LoginThrottle

log = logging.getLogger("qa_pipeline.web")

DEFAULT_SESSION_TTL_S = 8 * 3600
STATIC_PREFIX = "/static"
# Only the app's own scripts, styles, audio and images; no inline script or style, no framing.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "media-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def templates() -> Jinja2Templates:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("qa_pipeline.web", "templates"), autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(clock=formatting.clock, pct=formatting.pct, when=formatting.when, label=formatting.label,
                       criterion=formatting.criterion_title, failed=formatting.failed_title,
                       agent=formatting.agent_name, highlight=formatting.highlight,
                       span=formatting.span, tr=i18n.gettext_)
    return Jinja2Templates(env=env, context_processors=[_rubric_words])


def _rubric_words(request: Request) -> dict:
    """Every page may name criteria: their titles and the serious errors, as stored rubrics give them."""
    store = request.app.state.store
    return {"titles": store.criterion_titles(), "serious_kinds": store.serious_error_kinds(),
            "failed_titles": store.failed_titles(), "agent_names": store.agent_names(),
            "ui_lang": i18n.current(), "languages": i18n.LANGUAGES}


def create_app(
    store_url: str | None = None,
    audio_root: str | Path = ".",
    session_ttl_s: float = DEFAULT_SESSION_TTL_S,
    secure_cookies: bool = False,
    login_limits: tuple[str, str] = (DEFAULT_PER_ACCOUNT, DEFAULT_PER_ADDRESS),
    trusted_proxies: Sequence[str] = (),
    review_settings=None,
) -> FastAPI:
    """The app over the existing store at `store_url`; recordings are served only from inside `audio_root`.

    `login_limits` are the failed-login limits (per account, per client address) in the
    `limits` library's notation, e.g. "5 per 15 minutes". `trusted_proxies`: the addresses
    or networks ("10.0.0.0/8") of reverse proxies whose X-Forwarded-For names the client;
    empty (the default): the header is ignored, the peer address counts. `review_settings`
    (a `qa_pipeline.web.routes.review.ReviewSettings`) sets the review queue. Raises
    ConfigError when the store does not exist (`qa-pipeline db init` creates one) or a
    proxy address is malformed.
    """
    from qa_pipeline.web.routes import accounts, agents, calls, kpis, library, rescores, review

    app = FastAPI(title="qa-pipeline review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = open_store(store_url, create=False)
    app.state.audio_root = Path(audio_root).resolve()
    app.state.session_ttl_s = session_ttl_s
    app.state.secure_cookies = secure_cookies
    app.state.templates = templates()
    app.state.login_throttle = LoginThrottle(*login_limits)
    app.state.trusted_proxies = proxy_networks(trusted_proxies)
    app.mount(STATIC_PREFIX, StaticFiles(packages=[("qa_pipeline.web", "static")]), name="static")
    app.state.review_settings = review_settings or review.ReviewSettings()
    for module in (accounts, review, rescores, calls, agents, library, kpis):
        app.include_router(module.router)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(StarletteHTTPException, _error_page)
    app.add_exception_handler(RecordingError, _unreadable_recording)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        asked = request.query_params.get("lang")
        language = i18n.choose(asked, request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))
        token = i18n.activate(language)
        try:
            response = await call_next(request)
        except Exception:  # an error page with the headers, never a bare 500 from the server
            log.exception("error answering %s %s", request.method, request.url.path)
            response = _plain_error(500, "the server could not answer this request")
        finally:
            i18n.deactivate(token)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(STATIC_PREFIX + "/"):
            # Pages, exports and audio hold call data: no copy in browser or proxy caches.
            response.headers["Cache-Control"] = "no-store"
        if asked in i18n.LANGUAGES:
            response.set_cookie(i18n.COOKIE, asked, max_age=365 * 86400, httponly=True, samesite="lax",
                                secure=request.app.state.secure_cookies)
        return response

    return app


async def _to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def _unreadable_recording(request: Request, exc: RecordingError) -> HTMLResponse:
    return await _error_page(request, StarletteHTTPException(422, "the recording cannot be read"))


def _plain_error(status: int, detail: str) -> HTMLResponse:
    """An error page that needs neither the store nor the templates (they may be what failed)."""
    body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{html.escape(detail)}</p>"
    return HTMLResponse(body, status_code=status)


async def _error_page(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
    page = request.app.state.templates.TemplateResponse(
        request, "error.html", {"status": exc.status_code, "detail": exc.detail, "viewer": None},
        status_code=exc.status_code,
    )
    return page
