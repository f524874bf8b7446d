"""Review-app accounts and login sessions. Only hashes of secrets are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qa_pipeline.store.passwords import hash_password, verify_password
from qa_pipeline.store.schema import LoginSession, User
from qa_pipeline.store.views import ROLES, UserView

# NIST SP 800-63B asks for at least 8 characters; 12 is the floor the review app sets.
MIN_PASSWORD_LENGTH = 12


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked against when a name is unknown, so a wrong name costs as long as a wrong password.
    return hash_password(secrets.token_hex(8))


def _view(user: User) -> UserView:
    return UserView(user.id, user.name, user.role, user.agent_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    """Raise ValueError unless the password has at least MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters, got {len(password)}")


def add_user(
    session: Session, name: str, role: str, password: str, agent_id: str | None, now: datetime
) -> UserView:
    """Create an account, or reset the role, agent id and password of an existing one.

    Names are unique without regard to case: a name that differs from an existing one
    only in case is refused (ValueError). Resetting an existing account ends all its sessions.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == "agent" and not agent_id:
        raise ValueError("an agent account needs --agent-id")
    if not name.strip():
        raise ValueError("a user needs a name")
    check_password(password)
    user = _named(session, name)
    if user is not None and user.name != name:
        raise ValueError(f"an account named {user.name!r} exists; names differ by more than case")
    if user is None:
        user = User(name=name, created_at=now, active=True)
        session.add(user)
    else:
        end_sessions(session, user.id)
    user.role = role
    user.agent_id = agent_id if role == "agent" else None
    user.password_hash = hash_password(password)
    session.flush()
    return _view(user)


def _named(session: Session, name: str) -> User | None:
    """The account called `name`, compared without case ("SAM" is "sam")."""
    return session.scalar(select(User).where(func.lower(User.name) == name.lower()))


def _existing(session: Session, name: str) -> User:
    user = _named(session, name)
    if user is None:
        raise LookupError(f"no user named {name!r}")
    return user


def set_password(session: Session, name: str, password: str) -> UserView:
    check_password(password)
    user = _existing(session, name)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)
    return _view(user)


def set_active(session: Session, name: str, active: bool) -> UserView:
    user = _existing(session, name)
    user.active = active
    if not active:
        end_sessions(session, user.id)
    return _view(user)


def end_sessions(session: Session, user_id: int) -> None:
    """Log the user out everywhere."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def authenticate(session: Session, name: str, password: str) -> UserView | None:
    user = _named(session, name)
    user = user if user is not None and user.active else None
    if user is None:
        verify_password(password, _dummy_hash())
        return None
    return _view(user) if verify_password(password, user.password_hash) else None


def start_session(session: Session, user_id: int, ttl_s: float, now: datetime) -> tuple[str, str]:
    session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_sha256=_digest(token),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    return token, csrf


def session_user(session: Session, token: str, now: datetime) -> tuple[UserView, str] | None:
    login = session.scalar(select(LoginSession).where(LoginSession.token_sha256 == _digest(token)))
    if login is None or login.expires_at <= now or not login.user.active:
        return None
    return _view(login.user), login.csrf_token


def end_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_sha256 == _digest(token)))
