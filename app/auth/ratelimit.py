"""The failed-authentication limit per client address. Failures are counted in the database,
so the limit holds across workers and machines; past the limit, failing attempts from that
address get 429 until the window ends.

The limit is for guessing, not for the callers who share an address (a municipal proxy, a
NAT): a valid key or token still gets through from a blocked address. A credential that has
already failed is answered with 429 from memory, without a database look-up."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.auth.models import AuthFailure
from app.core.db import database
from app.core.errors import TooManyRequests
from app.core.models import table_of, utcnow

_MAX_ENTRIES = 10_000


def _too_many(remaining: float) -> TooManyRequests:
    return TooManyRequests(
        "Too many failed authentication attempts from this client; wait before retrying.",
        retry_after=int(max(remaining, 1.0)) + 1,
    )


class FailureLimit:
    def __init__(self, limit: int = 20, window_seconds: int = 300) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
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

    async def record_failure(self, client: str | None, digest: str) -> None:
        """Count one failure; raise 429 once the address is over the limit in this window."""
        if client is None:
            return
        window = timedelta(seconds=self.window_seconds)
        now = utcnow()
        table = table_of(AuthFailure)
        insert = pg_insert if not database.sqlite else sqlite_insert
        statement = insert(table).values(client=client, window_start=now, failures=1)
        # A window that has ended starts over; otherwise the count goes up by one.
        expired = table.c.window_start < now - window
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.client],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        async with database.engine.begin() as conn:
            await conn.execute(statement)
            row = (
                await conn.execute(
                    select(table.c.failures, table.c.window_start).where(table.c.client == client)
                )
            ).one()
        if row.failures > self.limit:
            remaining = max((row.window_start + window - now).total_seconds(), 1.0)
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
