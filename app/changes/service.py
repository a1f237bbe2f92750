"""The change feed: positions (cursors), who may read which changes, the long poll and the
event stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.sse import ServerSentEvent

from app.audit import feed
from app.changes import repository
from app.changes.schemas import ChangePage, ChangeRead
from app.core.context import Principal
from app.core.db import database
from app.core.errors import Forbidden, Gone, InvalidInput, InvalidParam
from app.core.http import dumps
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

# The event stream: a comment when nothing came for this long (proxies and load balancers
# close connections that stay silent; FastAPI's own keep-alive, at 15 s, stays underneath),
# the reconnection delay it asks of EventSource, and the changes it reads per look.
HEARTBEAT_SECONDS = 10.0
RETRY_MILLISECONDS = 3000
STREAM_BATCH = 100


def _position(txid: int, event_id: int, occurred_at: datetime) -> str:
    """An opaque position, in the lists' cursor form: the change's place in the feed, and its
    time (for retention)."""
    return encode_cursor(_MARK, [txid, int(occurred_at.timestamp())], event_id)


@dataclass(frozen=True)
class Given:
    """Where a position came from, for the 400 that names it."""

    name: str
    where: str


AFTER = Given("after", "query")
LAST_EVENT_ID = Given("Last-Event-ID", "header")


def _bad_position(given: Given) -> InvalidInput:
    return InvalidInput(
        [
            InvalidParam(
                given.name,
                "This is not a position the change feed handed out; start again without it.",
                code="invalid_cursor",
                where=given.where,
            )
        ]
    )


def read_position(after: str | None, given: Given = AFTER) -> tuple[int, int, int]:
    """(transaction id, event id, seconds since the epoch) of an `after` parameter (or of a
    `Last-Event-ID` header: the same positions)."""
    if after is None:
        return _START
    try:
        mark, value, event_id = decode_cursor(after)
    except InvalidInput:
        raise _bad_position(given) from None
    if mark != _MARK or not isinstance(value, list) or len(value) != 2:
        raise _bad_position(given)
    txid, seconds = value
    if not all(type(number) is int and number >= 0 for number in (txid, event_id, seconds)):
        raise _bad_position(given)
    return txid, event_id, seconds


def readable(
    principal: Principal, asked: Sequence[str] | None, where: str = "query"
) -> tuple[str, ...]:
    """The resource types whose changes this caller reads: those asked for (all it may read
    when none are), each one it may read. A stream ticket that names types narrows the caller
    to them."""
    allowed = feed.readable_types(principal.role)
    if principal.feed_types is not None:
        allowed = [t for t in allowed if t in principal.feed_types]
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
                    where=where,
                )
            ]
        )
    refused = sorted(set(asked) - set(allowed))
    if refused and principal.feed_types is not None:
        raise Forbidden(f"This stream ticket is not for {', '.join(refused)}.")
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
        cls,
        principal: Principal,
        after: str | None,
        types: Sequence[str] | None,
        given: Given = AFTER,
    ) -> Follower:
        """A reader at `after` (the start of the feed when None): 400 for a position the
        feed did not hand out, 410 for one older than it keeps, 403/400 for `types`."""
        txid, event_id, seconds = read_position(after, given)
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


def stream_follower(
    principal: Principal,
    *,
    last_event_id: str | None,
    after: str | None,
    types: Sequence[str] | None,
) -> Follower:
    """The reader of an event stream: at `Last-Event-ID` (what EventSource sends when it
    reconnects), else at `after`, else at the start of the feed. Every refusal (400, 403, 410)
    happens here, before the stream begins, so that it is still a problem answer."""
    if last_event_id and last_event_id.strip():
        return Follower.start(principal, last_event_id.strip(), types, LAST_EVENT_ID)
    return Follower.start(principal, after, types)


async def stream(
    follower: Follower, gone: Callable[[], Awaitable[bool]]
) -> AsyncIterator[ServerSentEvent]:
    """The feed as Server-Sent Events: each change as a `change` event whose id is its
    position, a comment when nothing came for `HEARTBEAT_SECONDS`; until the reader leaves or
    `CHANGE_STREAM_SECONDS` have passed (a client then resumes with `Last-Event-ID`). Between
    looks it holds no database connection (`Follower.read`)."""
    yield ServerSentEvent(comment="the change feed", retry=RETRY_MILLISECONDS)
    deadline = time.monotonic() + database.settings.change_stream_seconds
    while (remaining := deadline - time.monotonic()) > 0:
        changes = await follower.read(STREAM_BATCH, min(HEARTBEAT_SECONDS, remaining), gone)
        if await gone():
            return
        if not changes:
            yield ServerSentEvent(comment="heartbeat")
        for change in changes:
            yield ServerSentEvent(
                id=change["position"], event="change", raw_data=dumps(change).decode()
            )
