"""Who is asking, and may they: session cookies, roles, CSRF and the agent's own-calls rule."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request

from qa_pipeline.errors import ConfigError
from qa_pipeline.store.views import UserView

SESSION_COOKIE = "qa_session"
LOGIN_CSRF_COOKIE = "qa_login_csrf"
SUPERVISOR, TRAINER, AGENT = "supervisor", "trainer", "agent"


class LoginRequired(Exception):
    """Raised by `viewer` when there is no live session; the app answers with a redirect."""

    def __init__(self, next_path: str):
        self.next_path = next_path


@dataclass(frozen=True)
class Viewer:
    user: UserView
    csrf: str

    @property
    def is_agent(self) -> bool:
        return self.user.role == AGENT

    def may_see(self, agent_id: str | None) -> bool:
        """Supervisors and trainers see every call; an agent only calls made under their id."""
        return not self.is_agent or (agent_id is not None and agent_id == self.user.agent_id)

    def may_override(self) -> bool:
        return self.user.role == SUPERVISOR

    def may_export_clips(self) -> bool:
        return self.user.role in (TRAINER, SUPERVISOR)


def viewer(request: Request) -> Viewer:
    """FastAPI dependency: the logged-in user, or a redirect to the login page."""
    token = request.cookies.get(SESSION_COOKIE)
    found = request.app.state.store.session_user(token) if token else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return Viewer(*found)


def require(viewer_: Viewer, allowed: bool) -> None:
    if not allowed:
        raise HTTPException(status_code=403, detail=f"{viewer_.user.role} accounts may not do this")


def require_staff(viewer_: Viewer) -> None:
    require(viewer_, not viewer_.is_agent)


def check_csrf(expected: str, sent: str | None) -> None:
    """Forms carry the session's CSRF token; a missing or wrong one is refused."""
    if not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(status_code=403, detail="the form's security token is missing or stale; reload the page")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def safe_next(target: str | None) -> str:
    """Only same-site paths: `//evil.example` or absolute URLs fall back to the calls list."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/calls"
    return target


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def proxy_networks(addresses: Sequence[str]) -> tuple:
    """The trusted proxies' networks ("127.0.0.1", "10.0.0.0/8"); ConfigError for a malformed one."""
    try:
        return tuple(ipaddress.ip_network(a.strip(), strict=False) for a in addresses if a.strip())
    except ValueError as exc:
        raise ConfigError(f"trusted proxy: {exc}") from exc


def client_address(request: Request) -> str:
    """The client's address for the per-address login limit.

    The peer's own address, unless the peer is a trusted proxy (`create_app(trusted_proxies=...)`,
    none by default): then the right-most X-Forwarded-For entry that is not itself a trusted
    proxy (entries further left are whatever the client chose to send).
    """
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.trusted_proxies
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return peer


def _within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
