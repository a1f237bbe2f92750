"""All SQL of notifications: the set-based fan-out (one INSERT … SELECT per event, however many
recipients), the inbox's pages, marking read and the opt-outs."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from app.core.models import UTCDateTime, table_of
from app.core.pagination import Sorting
from app.notifications.models import Notification, NotificationOptOut
from app.notifications.schemas import NotificationRead

table = table_of(Notification)
c = table.c
opt_outs = table_of(NotificationOptOut)
o = opt_outs.c

SORTING = Sorting({"id": c.id}, c.id, "-id")
# The columns a fan-out writes, in the order its SELECT gives them.
COLUMNS = [
    "member_id",
    "kind",
    "created_at",
    "subject_type",
    "subject_id",
    "subject_href",
    "payload",
]


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
    result = await conn.execute(insert(table).from_select(COLUMNS, chosen))
    return int(result.rowcount or 0)


# Where the dashes of a UUID's text go: its five groups of hex digits (start, length).
_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _uuid_text(conn: AsyncConnection, column: ColumnElement[Any]) -> ColumnElement[str]:
    """A UUID column as the text `str(uuid)` gives: Postgres casts it so; SQLite stores the
    32 hex digits without dashes, which are put back here."""
    if conn.dialect.name == "postgresql":
        return cast(column, String)
    digits = func.lower(cast(column, String))
    parts = [func.substr(digits, start, length) for start, length in _UUID_GROUPS]
    text_: ColumnElement[str] = parts[0]
    for part in parts[1:]:
        text_ = text_ + literal("-", String) + part
    return text_


def _json_object(conn: AsyncConnection, pairs: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    build = func.json_build_object if conn.dialect.name == "postgresql" else func.json_object
    return build(*pairs, type_=JSON)


async def fan_out_each(
    conn: AsyncConnection,
    kind: str,
    rows: Select[Any],
    subject: tuple[str, str],
    fixed: dict[str, int | str],
    now: datetime,
) -> int:
    """One INSERT … SELECT for an event about many resources at once: a notification for every
    distinct (member, resource) pair the `rows` query names (its first column the member's id,
    its second the resource's UUID, any further columns what the detail shows under their
    labels, beside `fixed`), except to members who turned the kind off. `subject` is the
    resources' type and the path their id is appended to."""
    first = rows.selected_columns[0]
    found = rows.where(first.is_not(None)).distinct().subquery("recipients")
    member, resource, *shown = found.c
    subject_type, href_prefix = subject
    resource_id = _uuid_text(conn, resource)
    pairs: list[ColumnElement[Any]] = []
    for key, value in fixed.items():
        pairs += [
            literal(key, String),
            literal(value, Integer if isinstance(value, int) else String),
        ]
    for column in shown:
        pairs += [literal(column.name, String), column]
    chosen = select(
        member,
        literal(kind, String),
        literal(now, UTCDateTime),
        literal(subject_type, String),
        resource_id,
        literal(href_prefix, String) + resource_id,
        _json_object(conn, pairs),
    ).where(~exists().where(o.member_id == member, o.kind == kind))
    result = await conn.execute(insert(table).from_select(COLUMNS, chosen))
    return int(result.rowcount or 0)


# The inbox's page is read on the hot path (app/core/fastread.py): one statement per filter
# shape, built once, with the member as a named parameter.
INBOX_COLUMNS = (
    c.id,
    c.kind,
    c.created_at,
    c.read_at,
    c.subject_type,
    c.subject_id,
    c.subject_href,
    c.payload,
)
_INBOX: Select[Any] = select(*INBOX_COLUMNS).where(
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


async def last_unread_at(
    conn: AsyncConnection, member_id: uuid.UUID, moment: datetime
) -> int | None:
    found = await conn.execute(
        select(func.max(c.id)).where(
            c.member_id == member_id, c.read_at.is_(None), c.created_at <= moment
        )
    )
    last: int | None = found.scalar_one()
    return last


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
