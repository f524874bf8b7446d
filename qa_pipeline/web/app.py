"""Assemble the review app: store, templates, static files, error pages and routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa_pipeline.store import open_store
from qa_pipeline.web import formatting
from qa_pipeline.web.auth import LoginRequired, login_url

HERE = Path(__file__).resolve().parent
DEFAULT_SESSION_TTL_S = 8 * 3600


def templates() -> Jinja2Templates:
    env = Jinja2Templates(directory=str(HERE / "templates"), context_processors=[_rubric_words])
    env.env.filters.update(
        clock=formatting.clock, pct=formatting.pct, when=formatting.when, label=formatting.label,
        criterion=formatting.criterion_title,
    )
    return env


def _rubric_words(request: Request) -> dict:
    """Every page may name criteria: their titles and the serious errors, as stored rubrics give them."""
    store = request.app.state.store
    return {"titles": store.criterion_titles(), "serious_kinds": store.serious_error_kinds()}


def create_app(
    store_url: str | None = None,
    audio_root: str | Path = ".",
    session_ttl_s: float = DEFAULT_SESSION_TTL_S,
    secure_cookies: bool = False,
) -> FastAPI:
    """The app over the store at `store_url`; recordings are served only from inside `audio_root`."""
    from qa_pipeline.web.routes import accounts, agents, calls, library

    app = FastAPI(title="qa-pipeline review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = open_store(store_url)
    app.state.audio_root = Path(audio_root).resolve()
    app.state.session_ttl_s = session_ttl_s
    app.state.secure_cookies = secure_cookies
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (accounts, calls, agents, library):
        app.include_router(module.router)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(StarletteHTTPException, _error_page)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


async def _to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def _error_page(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
    page = request.app.state.templates.TemplateResponse(
        request, "error.html", {"status": exc.status_code, "detail": exc.detail, "viewer": None},
        status_code=exc.status_code,
    )
    return page
