"""All SQL of notifications: the set-based fan-out (one INSERT … SELECT per event, however many
recipients), the inbox's pages, marking read and the opt-outs."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Select,
    String,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.models import UTCDateTime, table_of
from app.core.pagination import Sorting
from app.notifications.models import Notification, NotificationOptOut
from app.notifications.schemas import NotificationRead

table = table_of(Notification)
c = table.c
opt_outs = table_of(NotificationOptOut)
o = opt_outs.c

SORTING = Sorting({"id": c.id}, c.id, "-id")


async def fan_out(
    conn: AsyncConnection,
    kind: str,
    recipients: Select[Any],
    subject: tuple[str, str, str],
    payload: dict[str, Any],
    now: datetime,
) -> int:
    """One INSERT … SELECT: a notification for every distinct member the recipients query
    names (its first column), except those who turned the kind off."""
    first = recipients.selected_columns[0]
    found = (
        recipients.with_only_columns(first)
        .where(first.is_not(None))
        .distinct()
        .subquery("recipients")
    )
    member = found.c[0]
    subject_type, subject_id, href = subject
    chosen = select(
        member,
        literal(kind, String),
        literal(now, UTCDateTime),
        literal(subject_type, String),
        literal(subject_id, String),
        literal(href, String),
        literal(payload, JSON),
    ).where(~exists().where(o.member_id == member, o.kind == kind))
    result = await conn.execute(
        insert(table).from_select(
            [
                "member_id",
                "kind",
                "created_at",
                "subject_type",
                "subject_id",
                "subject_href",
                "payload",
            ],
            chosen,
        )
    )
    return int(result.rowcount or 0)


# The inbox's page is read on the hot path (app/core/fastread.py): one statement per filter
# shape, built once, with the member as a named parameter.
COLUMNS = (
    c.id,
    c.kind,
    c.created_at,
    c.read_at,
    c.subject_type,
    c.subject_id,
    c.subject_href,
    c.payload,
)
_INBOX: Select[Any] = select(*COLUMNS).where(
    c.member_id == bindparam("member_id", type_=c.member_id.type)
)
_INBOX_BY_UNREAD: dict[bool | None, Select[Any]] = {
    None: _INBOX,
    True: _INBOX.where(c.read_at.is_(None)),
    False: _INBOX.where(c.read_at.is_not(None)),
}


def inbox_query(member_id: uuid.UUID, *, unread: bool | None) -> tuple[Select[Any], dict[str, Any]]:
    """The member's inbox (`unread`: only unread ones, or only read ones), and its values."""
    return _INBOX_BY_UNREAD[unread], {"member_id": member_id}


def to_item(row: Sequence[Any]) -> NotificationRead:
    notification_id, kind, created_at, read_at, subject_type, subject_id, href, payload = row
    return {
        "id": notification_id,
        "kind": kind,
        "createdAt": created_at,
        "readAt": read_at,
        "subject": {"type": subject_type, "id": subject_id, "href": href},
        # Decoded for this row alone: nothing else holds it, so it needs no copy.
        "detail": payload if payload is not None else {},
    }


async def is_theirs(conn: AsyncConnection, member_id: uuid.UUID, notification_id: int) -> bool:
    found = await conn.execute(
        select(c.id).where(c.id == notification_id, c.member_id == member_id)
    )
    return found.first() is not None


async def mark_read(
    conn: AsyncConnection, member_id: uuid.UUID, up_to: int | None, now: datetime
) -> int:
    conditions = [c.member_id == member_id, c.read_at.is_(None)]
    if up_to is not None:
        conditions.append(c.id <= up_to)
    result = await conn.execute(update(table).where(and_(*conditions)).values(read_at=now))
    return int(result.rowcount or 0)


async def unread_count(conn: AsyncConnection, member_id: uuid.UUID) -> int:
    found = await conn.execute(
        select(func.count()).where(c.member_id == member_id, c.read_at.is_(None))
    )
    return int(found.scalar_one())


async def turned_off(conn: AsyncConnection, member_id: uuid.UUID) -> set[str]:
    found = await conn.execute(select(o.kind).where(o.member_id == member_id))
    return {row[0] for row in found}


async def replace_opt_outs(
    conn: AsyncConnection, member_id: uuid.UUID, kinds: Collection[str]
) -> None:
    await conn.execute(delete(opt_outs).where(o.member_id == member_id))
    if kinds:
        await conn.execute(
            insert(opt_outs), [{"member_id": member_id, "kind": kind} for kind in sorted(kinds)]
        )
