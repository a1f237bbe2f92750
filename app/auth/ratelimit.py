"""The failed-authentication limit per client address. Failures are counted in the database,
so the limit holds across workers and machines; past the limit, failing attempts from that
address get 429 until the window ends.

The limit is for guessing, not for the callers who share an address (a municipal proxy, a
NAT): a valid key or token still gets through from a blocked address. A credential that has
already failed is answered with 429 from memory, without a database look-up."""

from __future__ import annotations

import time
from datetime import timedelta

from app.auth import repository
from app.core.db import database
from app.core.errors import TooManyRequests
from app.core.models import utcnow

_MAX_ENTRIES = 10_000


def _too_many(remaining: float) -> TooManyRequests:
    return TooManyRequests(
        "Too many failed authentication attempts from this client; wait before retrying.",
        retry_after=int(max(remaining, 1.0)) + 1,
    )


class FailureLimit:
    """What this worker remembers of the limit; the limit itself is the caller's setting."""

    def __init__(self) -> None:
        # Addresses this worker knows to be blocked, and until when (monotonic seconds).
        self._blocked: dict[str, float] = {}
        # Credentials (their digests) that failed from a blocked address, and until when.
        self._failing: dict[str, float] = {}

    def blocked_for(self, client: str | None) -> float | None:
        """Seconds left of this address's block, or None when it is not blocked here."""
        if client is None:
            return None
        until = self._blocked.get(client)
        if until is None:
            return None
        remaining = until - time.monotonic()
        if remaining <= 0:
            self._blocked.pop(client, None)
            return None
        return remaining

    def refuse_known_failure(self, client: str | None, digest: str) -> None:
        """429 for a credential that already failed from a blocked address (no look-up)."""
        remaining = self.blocked_for(client)
        if remaining is None:
            return
        until = self._failing.get(digest)
        if until is not None and until > time.monotonic():
            raise _too_many(remaining)

    async def record_failure(
        self, client: str | None, digest: str, limit: int, window_seconds: int
    ) -> None:
        """Count one failure; raise 429 once the address is over `limit` in its window."""
        if client is None:
            return
        window = timedelta(seconds=window_seconds)
        now = utcnow()
        async with database.engine.begin() as conn:
            failures, window_start = await repository.count_failure(conn, client, now, window)
        if failures > limit:
            remaining = max((window_start + window - now).total_seconds(), 1.0)
            until = time.monotonic() + remaining
            if len(self._blocked) > _MAX_ENTRIES or len(self._failing) > _MAX_ENTRIES:
                self.forget()
            self._blocked[client] = until
            self._failing[digest] = until
            raise _too_many(remaining)

    def forget(self) -> None:
        self._blocked.clear()
        self._failing.clear()


failure_limit = FailureLimit()


def forget_blocks() -> None:
    failure_limit.forget()
