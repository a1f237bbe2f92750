"""What a member's departure ends: deactivating or erasing a member ends what they take part
in now, through whichever door it happens (the members API, the intranet sync, SCIM, erasure).

What they take part in is held by domains above this one (their current group memberships by
learning groups, their sign-ups for werkplaatsen still ahead by workshops), which the members
layer may not import. Each of those domains registers here, once, how it ends its part
(`ends_on_departure`); every door that makes members inactive calls `depart` in its own
transaction with the members it made inactive. Each ending is set-based: a constant number of
statements however many members depart at once (a strict sync's thousands included), and it
records what it ended in the change feed as the ordinary way of ending it does.

Nothing is restored when a member comes back: reactivation starts them without groups or
sign-ups, as anyone new."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

# Why a member departs: the action that made them inactive (kept in the ending's audit detail).
Cause = Literal["deactivated", "erased"]

# (connection, the departing members, the moment they departed, why)
Ending = Callable[[AsyncConnection, Sequence[uuid.UUID], datetime, Cause], Awaitable[None]]

_ENDINGS: dict[str, Ending] = {}


def ends_on_departure(name: str) -> Callable[[Ending], Ending]:
    """Register `ending` under `name` (what it ends, e.g. "group memberships"); registering a
    name again replaces it, so that importing a module twice changes nothing."""

    def register(ending: Ending) -> Ending:
        _ENDINGS[name] = ending
        return ending

    return register


def endings() -> list[str]:
    """What a departure ends, by the names the domains registered."""
    return sorted(_ENDINGS)


async def depart(
    conn: AsyncConnection, member_ids: Sequence[uuid.UUID], now: datetime, cause: Cause
) -> None:
    """End what `member_ids` take part in now, in the caller's transaction."""
    if not member_ids:
        return
    if not _ENDINGS:
        # Nothing registered means the domains that hold the memberships were never imported:
        # a departure would silently leave the member in their groups.
        raise RuntimeError("no departure endings are registered (import app.main first)")
    for name in sorted(_ENDINGS):
        await _ENDINGS[name](conn, member_ids, now, cause)
