"""All SQL of authentication: API keys, stream and calendar tickets (the secrets themselves are never
stored or selected), the member an OIDC subject is, and the failed-authentication count."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.models import ApiKey, AuthFailure, CalendarTicket, StreamTicket
from app.auth.schemas import ApiKeyRead
from app.core.models import table_of
from app.core.pagination import Sorting
from app.core.repository import one_row
from app.members.models import Member

table = table_of(ApiKey)
c = table.c
members = table_of(Member)
COLUMNS = (
    c.id,
    c.name,
    c.role,
    c.member_id,
    members.c.display_name.label("member_display_name"),
    c.prefix,
    c.created_at,
    c.expires_at,
    c.revoked_at,
)
# The member a key acts for, joined for their name.
_KEYS = table.outerjoin(members, members.c.id == c.member_id)
SORTING = Sorting({"createdAt": c.created_at, "name": c.name}, id_column=c.id, default="createdAt")


def to_item(row: Row[Any]) -> ApiKeyRead:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "memberId": row.member_id,
        "member": (
            {"id": row.member_id, "displayName": row.member_display_name}
            if row.member_id is not None
            else None
        ),
        "prefix": row.prefix,
        "createdAt": row.created_at,
        "expiresAt": row.expires_at,
        "revokedAt": row.revoked_at,
    }


def list_query() -> Any:
    return select(*COLUMNS).select_from(_KEYS)


async def get(conn: AsyncConnection, key_id: uuid.UUID) -> ApiKeyRead:
    return to_item(await one_row(conn, list_query().where(c.id == key_id), "API key"))


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    key_id = uuid.uuid4()
    await conn.execute(insert(table).values(id=key_id, **values))
    return key_id


async def revoke(conn: AsyncConnection, key_id: uuid.UUID, when: Any) -> None:
    await conn.execute(
        update(table).where(c.id == key_id, c.revoked_at.is_(None)).values(revoked_at=when)
    )


# --- authentication: the key behind a digest, the member behind a token, failures ----------

_KEY_HOLDER = (
    select(
        c.id,
        c.role,
        c.name,
        c.member_id,
        c.expires_at,
        c.revoked_at,
        Member.status.label("member_status"),
    )
    .select_from(table.outerjoin(table_of(Member), Member.id == c.member_id))
    .where(c.key_hash == bindparam("digest"))
)


async def key_by_digest(conn: AsyncConnection, digest: str) -> Row[Any] | None:
    """The key with this hash, with the status of the member it acts for (if any)."""
    return (await conn.execute(_KEY_HOLDER, {"digest": digest})).first()


tickets = table_of(StreamTicket)

_TICKET_HOLDER = (
    select(
        tickets.c.role,
        tickets.c.name,
        tickets.c.key_id,
        tickets.c.member_id,
        tickets.c.types,
        tickets.c.expires_at,
        c.expires_at.label("key_expires_at"),
        c.revoked_at.label("key_revoked_at"),
        Member.status.label("member_status"),
    )
    .select_from(
        tickets.outerjoin(table, c.id == tickets.c.key_id).outerjoin(
            table_of(Member), Member.id == tickets.c.member_id
        )
    )
    .where(tickets.c.ticket_hash == bindparam("digest"))
)


async def ticket_by_digest(conn: AsyncConnection, digest: str) -> Row[Any] | None:
    """The stream ticket with this hash, with the state of the key that asked for it and of
    the member it acts for (if any)."""
    return (await conn.execute(_TICKET_HOLDER, {"digest": digest})).first()


async def create_ticket(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    ticket_id = uuid.uuid4()
    await conn.execute(insert(tickets).values(id=ticket_id, **values))
    return ticket_id


async def delete_tickets_expired_before(conn: AsyncConnection, when: datetime) -> None:
    await conn.execute(delete(tickets).where(tickets.c.expires_at < when))


calendar_tickets = table_of(CalendarTicket)

_CALENDAR_HOLDER = (
    select(calendar_tickets.c.member_id, Member.status.label("member_status"))
    .select_from(calendar_tickets.join(table_of(Member), Member.id == calendar_tickets.c.member_id))
    .where(calendar_tickets.c.ticket_hash == bindparam("digest"))
)


async def calendar_ticket_by_digest(conn: AsyncConnection, digest: str) -> Row[Any] | None:
    """The calendar ticket with this hash: whose it is, and whether they are active."""
    return (await conn.execute(_CALENDAR_HOLDER, {"digest": digest})).first()


async def calendar_ticket_issued_at(conn: AsyncConnection, member_id: uuid.UUID) -> datetime | None:
    """When the member's calendar ticket was issued; None: they have none."""
    statement = select(calendar_tickets.c.created_at).where(
        calendar_tickets.c.member_id == member_id
    )
    issued_at: datetime | None = (await conn.execute(statement)).scalar_one_or_none()
    return issued_at


async def delete_calendar_ticket(conn: AsyncConnection, member_id: uuid.UUID) -> uuid.UUID | None:
    """Ends the member's calendar ticket, if they have one: the id it had."""
    statement = (
        delete(calendar_tickets)
        .where(calendar_tickets.c.member_id == member_id)
        .returning(calendar_tickets.c.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


async def create_calendar_ticket(
    conn: AsyncConnection, member_id: uuid.UUID, ticket_hash: str, created_at: datetime
) -> uuid.UUID:
    ticket_id = uuid.uuid4()
    await conn.execute(
        insert(calendar_tickets).values(
            id=ticket_id, member_id=member_id, ticket_hash=ticket_hash, created_at=created_at
        )
    )
    return ticket_id


async def member_id_for_external_id(conn: AsyncConnection, external_id: str) -> uuid.UUID | None:
    row = (await conn.execute(select(Member.id).where(Member.external_id == external_id))).first()
    return row.id if row else None


async def count_failure(
    conn: AsyncConnection, client: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """One more failed authentication from `client`: the count in its window, and when the
    window started (a window that has ended starts over)."""
    failures = table_of(AuthFailure)
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    expired = failures.c.window_start < now - window
    statement = (
        insert_(failures)
        .values(client=client, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[failures.c.client],
            set_={
                "failures": case((expired, 1), else_=failures.c.failures + 1),
                "window_start": case((expired, now), else_=failures.c.window_start),
            },
        )
    )
    await conn.execute(statement)
    row = (
        await conn.execute(
            select(failures.c.failures, failures.c.window_start).where(failures.c.client == client)
        )
    ).one()
    return int(row.failures), row.window_start
