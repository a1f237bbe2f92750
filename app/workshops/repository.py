"""All SQL about workshops and who attended them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, NotRequired

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.http import json_response
from app.core.models import new_id, table_of
from app.core.pagination import PageRequest, Sorting, page_from_rows, page_links, paginate
from app.core.repository import one_of, one_row, update_versioned
from app.core.text import contains
from app.departments.models import Department
from app.members.models import Member
from app.members.rules import name_key
from app.workshops.models import Workshop, WorkshopAttendee, WorkshopStatus
from app.workshops.schemas import AttendeeRead, WorkshopRead

table = table_of(Workshop)
c = table.c
attendees = table_of(WorkshopAttendee)
a = attendees.c
m = table_of(Member).c
d = table_of(Department).c

ATTENDEE_COUNT = (
    select(func.count())
    .select_from(attendees)
    .where(a.workshop_id == c.id)
    .correlate(table)
    .scalar_subquery()
    .label("attendee_count")
)

COLUMNS = (
    c.id,
    c.title,
    c.starts_at,
    c.ends_at,
    c.location,
    c.summary,
    c.status,
    c.capacity,
    ATTENDEE_COUNT,
    c.version,
    c.created_at,
    c.updated_at,
)

SORTING = Sorting(
    {"startsAt": c.starts_at, "title": c.title, "createdAt": c.created_at},
    id_column=c.id,
    default="startsAt",
)

ATTENDEE_SORTING = Sorting(
    {"displayName": m.display_name_key, "registeredAt": a.registered_at},
    id_column=a.member_id,
    default="displayName",
    folds={"displayName": name_key},
)


def to_item(row: Row[Any]) -> WorkshopRead:
    count = int(row.attendee_count)
    capacity = row.capacity
    return {
        "id": row.id,
        "title": row.title,
        "startsAt": row.starts_at,
        "endsAt": row.ends_at,
        "location": row.location,
        "summary": row.summary,
        "status": row.status,
        "capacity": capacity,
        "attendeeCount": count,
        "placesLeft": None if capacity is None else max(capacity - count, 0),
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def list_query(
    *,
    starts_after: Any = None,
    starts_before: Any = None,
    attended_by: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[Any]:
    query = select(*COLUMNS)
    if starts_after is not None:
        query = query.where(c.starts_at >= starts_after)
    if starts_before is not None:
        query = query.where(c.starts_at < starts_before)
    if attended_by is not None:
        query = query.where(
            select(a.member_id)
            .where(a.workshop_id == c.id, a.member_id == attended_by)
            .correlate(table)
            .exists()
        )
    if q:
        query = query.where(
            or_(contains(c.title, q), contains(c.location, q), contains(c.summary, q))
        )
    return query


# At most this many werkplaatsen in one calendar feed, the latest first: a community holds a
# few a year, so this is decades; the bound keeps one request's work bounded all the same.
CALENDAR_LIMIT = 1000


async def calendar_rows(
    conn: AsyncConnection, attended_by: uuid.UUID | None = None
) -> list[WorkshopRead]:
    """The werkplaatsen of a calendar feed in one statement, by start (the latest
    CALENDAR_LIMIT), cancelled ones included: a calendar removes them only when told so."""
    query = list_query(attended_by=attended_by).order_by(c.starts_at.desc(), c.id.desc())
    rows = (await conn.execute(query.limit(CALENDAR_LIMIT))).all()
    return [to_item(row) for row in reversed(rows)]


async def get(conn: AsyncConnection, workshop_id: uuid.UUID) -> WorkshopRead:
    query = select(*COLUMNS).where(c.id == workshop_id)
    return to_item(await one_row(conn, query, "workshop"))


async def exists(conn: AsyncConnection, workshop_id: uuid.UUID) -> bool:
    return (await conn.execute(select(c.id).where(c.id == workshop_id))).first() is not None


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    workshop_id = new_id()
    await conn.execute(insert(table).values(id=workshop_id, version=1, **values))
    return workshop_id


async def update(
    conn: AsyncConnection, workshop_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, workshop_id, version, values)


# Attendees: a member either attended a workshop or not; the row itself is the fact.


def attendee_query(workshop_id: uuid.UUID) -> Select[Any]:
    return (
        select(
            a.workshop_id,
            c.title,
            c.starts_at,
            a.member_id,
            a.registered_at,
            m.display_name,
            m.department_id,
            d.code.label("department_code"),
            d.name.label("department_name"),
        )
        .select_from(
            attendees.join(table, c.id == a.workshop_id)
            .join(table_of(Member), m.id == a.member_id)
            .outerjoin(table_of(Department), d.id == m.department_id)
        )
        .where(a.workshop_id == workshop_id)
    )


def attendee_item(row: Row[Any]) -> AttendeeRead:
    department_id = row.department_id
    return {
        "workshopId": row.workshop_id,
        "workshop": {"id": row.workshop_id, "title": row.title, "startsAt": row.starts_at},
        "memberId": row.member_id,
        "member": {"id": row.member_id, "displayName": row.display_name},
        "displayName": row.display_name,
        "department": (
            {"id": department_id, "code": row.department_code, "name": row.department_name}
            if department_id is not None
            else None
        ),
        "registeredAt": row.registered_at,
    }


# An attendee that also carries its member id as `id`, the key the shared list helper takes a
# cursor's tie-breaker from; the key is dropped again before the page is written.
class _Positioned(AttendeeRead):
    id: NotRequired[uuid.UUID]


async def attendee_page(
    conn: AsyncConnection, request: Request, workshop_id: uuid.UUID, page: PageRequest
) -> Response:
    """One page of attendees in one statement. An attendee is keyed by its member, so the
    cursor's tie-breaker is the member id (the shared list helper expects an `id` item key)."""
    paged, sort_name, _column, _desc = paginate(attendee_query(workshop_id), page, ATTENDEE_SORTING)
    rows: list[_Positioned] = [
        {**attendee_item(row), "id": row.member_id} for row in (await conn.execute(paged)).all()
    ]
    result = page_from_rows(rows, page, sort_name, sort_name.lstrip("-"))
    for item in result.items:
        del item["id"]
    body, headers = page_links(request, result)
    return json_response(body, headers=headers)


async def get_attendee(
    conn: AsyncConnection, workshop_id: uuid.UUID, member_id: uuid.UUID
) -> AttendeeRead | None:
    query = attendee_query(workshop_id).where(a.member_id == member_id)
    row = (await conn.execute(query)).first()
    return attendee_item(row) if row is not None else None


async def add_attendee(
    conn: AsyncConnection, workshop_id: uuid.UUID, member_id: uuid.UUID, registered_at: Any
) -> None:
    await conn.execute(
        insert(attendees).values(
            workshop_id=workshop_id, member_id=member_id, registered_at=registered_at
        )
    )


async def remove_attendee(
    conn: AsyncConnection, workshop_id: uuid.UUID, member_id: uuid.UUID
) -> bool:
    result = await conn.execute(
        delete(attendees).where(a.workshop_id == workshop_id, a.member_id == member_id)
    )
    return bool(result.rowcount)


async def withdraw_sign_ups_ahead(
    conn: AsyncConnection, member_ids: Sequence[uuid.UUID], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Remove these members from the attendees of every workshop that has not started yet;
    answers (workshop id, member id, the workshop's version) of each removal. Two statements
    on Postgres however many members."""
    ahead = select(c.id).where(c.starts_at > now)
    removed: list[tuple[uuid.UUID, uuid.UUID]] = []
    for among in one_of(conn, a.member_id, member_ids):
        result = await conn.execute(
            delete(attendees)
            .where(among, a.workshop_id.in_(ahead))
            .returning(a.workshop_id, a.member_id)
        )
        removed.extend((row.workshop_id, row.member_id) for row in result)
    if not removed:
        return []
    workshop_ids = sorted({workshop_id for workshop_id, _ in removed})
    versions = dict(
        (await conn.execute(select(c.id, c.version).where(c.id.in_(workshop_ids)))).all()
    )
    return [(workshop_id, member_id, versions[workshop_id]) for workshop_id, member_id in removed]


class SignUpState(NamedTuple):
    status: WorkshopStatus
    starts_at: datetime
    capacity: int | None
    attendee_count: int


async def lock_for_sign_up(conn: AsyncConnection, workshop_id: uuid.UUID) -> SignUpState | None:
    """The workshop's status, start and capacity, and how many signed up, with its row locked
    for the rest of the transaction (Postgres; SQLite's writers take turns anyway): two
    sign-ups for the last place take turns, and the second finds it full."""
    locked = (
        await conn.execute(
            select(c.status, c.starts_at, c.capacity).where(c.id == workshop_id).with_for_update()
        )
    ).first()
    if locked is None:
        return None
    count = (
        await conn.execute(
            select(func.count()).select_from(attendees).where(a.workshop_id == workshop_id)
        )
    ).scalar_one()
    return SignUpState(locked.status, locked.starts_at, locked.capacity, int(count))


def signed_up(workshop_id: uuid.UUID, actor: uuid.UUID | None) -> Select[Any]:
    """The active members signed up for a workshop (notifications), the actor excepted."""
    m = table_of(Member).c
    query = select(a.member_id).where(
        a.workshop_id == workshop_id,
        a.member_id.in_(select(m.id).where(m.status == "active")),
    )
    if actor is not None:
        query = query.where(a.member_id != actor)
    return query
