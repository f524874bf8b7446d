"""Failed-login throttling per account and per client address, with the `limits` library.

Each failed log-in is one hit on two moving windows: one keyed by the account name
(without case), one by the client address (`auth.client_address`: X-Forwarded-For only
from trusted proxies). While either window is full, every log-in for
that account or from that address (the right password included) is answered with
429 and a Retry-After, until the oldest failure leaves the window. A successful
log-in clears the account's window (not the address's). The counters live in the
server process's memory (`limits`' MemoryStorage): they reset when the server restarts.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("qa_pipeline.web.throttle")

# OWASP's authentication cheat sheet: lock after a few failures, for a limited time.
DEFAULT_PER_ACCOUNT = "5 per 15 minutes"
# Higher, so that colleagues behind one office address do not lock each other out at once.
DEFAULT_PER_ADDRESS = "20 per 15 minutes"
_STRIPES = 64


@dataclass(frozen=True)
class Lockout:
    """Why a log-in is refused: which key is locked and for how many more seconds."""

    scope: str  # "account" or "address"
    retry_after_s: int


class LoginThrottle:
    """Counts failed log-ins; `locked` says whether to refuse before checking a password."""

    def __init__(self, per_account: str = DEFAULT_PER_ACCOUNT, per_address: str = DEFAULT_PER_ADDRESS):
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limits = {"account": parse(per_account), "address": parse(per_address)}
        # Striped locks: a bounded set, however many names and addresses are tried.
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]

    @contextmanager
    def attempt(self, account: str, address: str) -> Iterator[None]:
        """Hold while checking `locked`, the password and `failed`, so that parallel guesses
        at one account or from one address are counted one after another, never past the limit."""
        indexes = sorted({zlib.crc32(f"{scope}:{key}".encode()) % _STRIPES
                          for scope, key in self._keys(account, address).items()})
        for index in indexes:
            self._stripes[index].acquire()
        try:
            yield
        finally:
            for index in reversed(indexes):
                self._stripes[index].release()

    def _keys(self, account: str, address: str) -> dict[str, str]:
        # Account names are compared without case, so "SAM" and "sam" share one window.
        return {"account": account.casefold(), "address": address}

    def _lockout(self, scope: str, key: str) -> Lockout | None:
        item = self._limits[scope]
        if self._limiter.test(item, scope, key):
            return None
        reset = self._limiter.get_window_stats(item, scope, key).reset_time
        return Lockout(scope, max(1, math.ceil(reset - time.time())))

    def locked(self, account: str, address: str) -> Lockout | None:
        """The lockout in force for this account or address, or None when a log-in may be tried."""
        found = (self._lockout(scope, key) for scope, key in self._keys(account, address).items())
        return next((lockout for lockout in found if lockout), None)

    def failed(self, account: str, address: str) -> Lockout | None:
        """Count one failure (call only when `locked` was None); log and return the lockout it starts."""
        started = None
        for scope, key in self._keys(account, address).items():
            item = self._limits[scope]
            self._limiter.hit(item, scope, key)
            lockout = self._lockout(scope, key)
            if lockout:
                log.warning(
                    "login locked for %s %r: %d failed log-ins within %s (last: account %r from %s); retry in %d s",
                    scope, key, item.amount, _window(item), account, address, lockout.retry_after_s,
                )
                started = started or lockout
        return started

    def succeeded(self, account: str) -> None:
        self._limiter.clear(self._limits["account"], "account", account.casefold())


def _window(item) -> str:
    multiples = item.multiples
    return f"{multiples} {item.GRANULARITY.name}{'s' if multiples != 1 else ''}"
