"""Failed authentication per client, counted in the database so the limit holds across workers
and machines: past the limit a client gets 429 until its window ends."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.core.config import get_settings
from app.core.db import database
from app.core.errors import TooManyRequests
from app.core.models import Base, UTCDateTime, table_of, utcnow


class AuthFailure(Base):
    __tablename__ = "auth_failures"

    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)


# Clients this worker knows to be blocked, and until when (monotonic seconds): spares the
# database a look-up for every request of a client that keeps hammering.
_blocked: dict[str, float] = {}


def check_not_blocked(client: str | None) -> None:
    if client is None:
        return
    until = _blocked.get(client)
    if until is None:
        return
    remaining = until - time.monotonic()
    if remaining <= 0:
        _blocked.pop(client, None)
        return
    raise TooManyRequests(
        "Too many failed authentication attempts from this client; wait before retrying.",
        retry_after=int(remaining) + 1,
    )


async def record_failure(client: str | None) -> None:
    """Count one failure; raise 429 once the client is over the limit in this window."""
    if client is None:
        return
    settings = get_settings()
    window = timedelta(seconds=settings.auth_failure_window_seconds)
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
    if row.failures > settings.auth_failure_limit:
        remaining = (row.window_start + window - now).total_seconds()
        _blocked[client] = time.monotonic() + max(remaining, 1.0)
        if len(_blocked) > 10_000:
            _blocked.clear()
        raise TooManyRequests(
            "Too many failed authentication attempts from this client; wait before retrying.",
            retry_after=int(max(remaining, 1.0)) + 1,
        )


def forget_blocks() -> None:
    _blocked.clear()
