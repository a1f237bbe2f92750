"""The change feed: positions (cursors), who may read which changes, and the long poll."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request

from app.audit import feed
from app.changes import repository
from app.changes.schemas import ChangePage, ChangeRead
from app.core.context import Principal
from app.core.db import database
from app.core.errors import Forbidden, Gone, InvalidInput, InvalidParam
from app.core.models import utcnow
from app.core.pagination import decode_cursor, encode_cursor, next_page_url

# How often a long poll looks again: a follower sees a change within this (plus the time the
# oldest transaction still running takes to end).
POLL_SECONDS = 0.2
MAX_WAIT_SECONDS = 30
# The start of the feed: before every change (Postgres transaction ids are above 2, event ids
# start at 1, and SQLite's transaction id is always 0).
_START = (0, 0, 0)
_MARK = "changes"


def _position(txid: int, event_id: int, occurred_at: datetime) -> str:
    """An opaque position, in the lists' cursor form: the change's place in the feed, and its
    time (for retention)."""
    return encode_cursor(_MARK, [txid, int(occurred_at.timestamp())], event_id)


def _bad_position() -> InvalidInput:
    return InvalidInput(
        [
            InvalidParam(
                "after",
                "This is not a position the change feed handed out; start again without it.",
                code="invalid_cursor",
                where="query",
            )
        ]
    )


def read_position(after: str | None) -> tuple[int, int, int]:
    """(transaction id, event id, seconds since the epoch) of an `after` parameter."""
    if after is None:
        return _START
    try:
        mark, value, event_id = decode_cursor(after)
    except InvalidInput:
        raise _bad_position() from None
    if mark != _MARK or not isinstance(value, list) or len(value) != 2:
        raise _bad_position()
    txid, seconds = value
    if not all(type(number) is int and number >= 0 for number in (txid, event_id, seconds)):
        raise _bad_position()
    return txid, event_id, seconds


def readable(principal: Principal, asked: Sequence[str] | None) -> tuple[str, ...]:
    """The resource types whose changes this caller reads: those asked for (all it may read
    when none are), each one it may read."""
    allowed = feed.readable_types(principal.role)
    if not asked:
        return tuple(allowed)
    unknown = sorted(set(asked) - set(feed.RESOURCES))
    if unknown:
        raise InvalidInput(
            [
                InvalidParam(
                    "types",
                    f"Unknown resource type(s) {', '.join(unknown)}; the feed has "
                    f"{', '.join(sorted(feed.RESOURCES))}.",
                    code="enum",
                    where="query",
                )
            ]
        )
    refused = sorted(set(asked) - set(allowed))
    if refused:
        raise Forbidden(f"The role '{principal.role}' may not read {', '.join(refused)}.")
    return tuple(sorted(set(asked)))


def _item(row: Sequence[Any]) -> ChangeRead:
    """A change as the feed shows it, from a row of `repository.page`."""
    (
        event_id,
        txid,
        occurred_at,
        actor_role,
        actor_member_id,
        object_type,
        object_id,
        change,
        version,
        detail,
    ) = row
    return {
        "position": _position(txid, event_id, occurred_at),
        "type": object_type,
        "resourceId": object_id,
        "change": change,
        "version": version,
        "occurredAt": occurred_at,
        "actor": {"role": actor_role, "memberId": actor_member_id},
        "href": "/v1" + feed.RESOURCES[object_type].href(object_id, detail),
    }


@dataclass
class Follower:
    """Where one reader of the feed stands, and what it may see."""

    types: tuple[str, ...]
    txid: int
    event_id: int
    kept_since: datetime

    @classmethod
    def start(
        cls, principal: Principal, after: str | None, types: Sequence[str] | None
    ) -> Follower:
        """A reader at `after` (the start of the feed when None): 400 for a position the
        feed did not hand out, 410 for one older than it keeps, 403/400 for `types`."""
        txid, event_id, seconds = read_position(after)
        shown = readable(principal, types)
        days = database.settings.change_retention_days
        kept_since = utcnow() - timedelta(days=days)
        if after is not None and datetime.fromtimestamp(seconds, UTC) < kept_since:
            raise Gone(
                f"The feed keeps changes for {days} days and this position is older. Read "
                "the lists again, then follow the feed from a new position."
            )
        return cls(shown, txid, event_id, kept_since)

    async def read(
        self, limit: int, wait: float, gone: Callable[[], Awaitable[bool]]
    ) -> list[ChangeRead]:
        """Up to `limit` changes after the reader's position, which moves past them; with
        `wait`, the first to come within that many seconds (or none; sooner when `gone`
        says the reader left). Each look is one statement on a connection held only for it,
        so a waiting reader holds none."""
        deadline = time.monotonic() + min(wait, MAX_WAIT_SECONDS)
        while True:
            rows = await repository.page(
                postgres=not database.sqlite,
                types=self.types,
                after=(self.txid, self.event_id),
                kept_since=self.kept_since,
                limit=limit,
            )
            remaining = deadline - time.monotonic()
            if rows or remaining <= 0 or await gone():
                break
            await asyncio.sleep(min(POLL_SECONDS, remaining))
        if rows:
            self.event_id, self.txid = rows[-1][0], rows[-1][1]
        return [_item(row) for row in rows]


async def changes(
    request: Request,
    principal: Principal,
    *,
    after: str | None,
    types: Sequence[str] | None,
    page_size: int,
    wait: float,
) -> ChangePage:
    """One page of changes after `after`; with `wait`, a long poll."""
    follower = Follower.start(principal, after, types)
    items = await follower.read(page_size, wait, request.is_disconnected)
    position = items[-1]["position"] if items else (after or _position(*_START[:2], utcnow()))
    resume = next_page_url(request, position, "after")
    # A full page may have more behind it; a shorter one holds every change there is now.
    return {"items": items, "next": resume if len(items) == page_size else None, "resume": resume}
