"""All SQL of notifications: the set-based fan-out (one INSERT … SELECT per event, however many
recipients), the inbox's pages, marking read and the opt-outs."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Select,
    String,
    and_,
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


def inbox_query(member_id: uuid.UUID, *, unread: bool | None) -> Select[Any]:
    query = select(table).where(c.member_id == member_id)
    if unread is True:
        query = query.where(c.read_at.is_(None))
    elif unread is False:
        query = query.where(c.read_at.is_not(None))
    return query


def to_item(row: Any) -> NotificationRead:
    return {
        "id": row.id,
        "kind": row.kind,
        "createdAt": row.created_at,
        "readAt": row.read_at,
        "subject": {"type": row.subject_type, "id": row.subject_id, "href": row.subject_href},
        "detail": dict(row.payload or {}),
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
