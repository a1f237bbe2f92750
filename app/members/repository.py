"""All SQL about members: Core selects that map rows straight into response items."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.models import table_of
from app.core.pagination import Sorting
from app.core.repository import one_row, update_versioned
from app.core.text import contains
from app.departments.models import Department
from app.members.models import Member
from app.organisations.models import Organisation

table = table_of(Member)
c = table.c
d = table_of(Department).c
o = table_of(Organisation).c

COLUMNS = (
    c.id,
    c.external_id,
    c.email,
    c.given_name,
    c.family_name,
    c.display_name,
    c.department_id,
    c.organisation_id,
    c.participation,
    c.status,
    c.transition_roles,
    c.discipline,
    c.source,
    c.joined_at,
    c.deactivated_at,
    c.version,
    c.created_at,
    c.updated_at,
    d.code.label("department_code"),
    d.name.label("department_name"),
    o.name.label("organisation_name"),
)

SORTING = Sorting(
    {
        "familyName": c.family_name,
        "givenName": c.given_name,
        "displayName": c.display_name,
        "joinedAt": c.joined_at,
        "createdAt": c.created_at,
    },
    id_column=c.id,
    default="familyName",
)


def base_query() -> Select[Any]:
    return select(*COLUMNS).select_from(
        table.outerjoin(table_of(Department), d.id == c.department_id).outerjoin(
            table_of(Organisation), o.id == c.organisation_id
        )
    )


def to_item(row: Row[Any]) -> dict[str, Any]:
    department_id = row.department_id
    organisation_id = row.organisation_id
    return {
        "id": row.id,
        "externalId": row.external_id,
        "email": row.email,
        "givenName": row.given_name,
        "familyName": row.family_name,
        "displayName": row.display_name,
        "departmentId": department_id,
        "department": (
            {"id": department_id, "code": row.department_code, "name": row.department_name}
            if department_id is not None
            else None
        ),
        "organisationId": organisation_id,
        "organisation": (
            {"id": organisation_id, "name": row.organisation_name}
            if organisation_id is not None
            else None
        ),
        "participation": row.participation,
        "status": row.status,
        "transitionRoles": row.transition_roles,
        "discipline": row.discipline,
        "source": row.source,
        "joinedAt": row.joined_at,
        "deactivatedAt": row.deactivated_at,
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def list_query(
    *,
    department_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    participation: str | None = None,
    status: str | None = None,
    source: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
    q: str | None = None,
) -> Select[Any]:
    query = base_query()
    if department_id is not None:
        query = query.where(c.department_id == department_id)
    if organisation_id is not None:
        query = query.where(c.organisation_id == organisation_id)
    if participation is not None:
        query = query.where(c.participation == participation)
    if status is not None:
        query = query.where(c.status == status)
    if source is not None:
        query = query.where(c.source == source)
    if external_id is not None:
        query = query.where(c.external_id == external_id)
    if email is not None:
        query = query.where(c.email_key == email.lower())
    if q:
        query = query.where(
            or_(
                contains(c.display_name, q),
                contains(c.given_name, q),
                contains(c.family_name, q),
                contains(c.email, q),
            )
        )
    return query


async def get(conn: AsyncConnection, member_id: uuid.UUID) -> dict[str, Any]:
    return to_item(await one_row(conn, base_query().where(c.id == member_id), "member"))


async def holders(
    conn: AsyncConnection, *, email: str | None, external_id: str | None
) -> list[Any]:
    """Members that already hold this e-mail address or external id."""
    conditions = []
    if email is not None:
        conditions.append(c.email_key == email.lower())
    if external_id is not None:
        conditions.append(c.external_id == external_id)
    if not conditions:
        return []
    rows = await conn.execute(select(c.id, c.email_key, c.external_id).where(or_(*conditions)))
    return list(rows.all())


async def create(
    conn: AsyncConnection, values: dict[str, Any], member_id: uuid.UUID | None = None
) -> uuid.UUID:
    member_id = member_id or uuid.uuid4()
    await conn.execute(insert(table).values(id=member_id, version=1, **values))
    return member_id


async def update(
    conn: AsyncConnection, member_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    if "email" in values:
        values = {**values, "email_key": values["email"].lower()}
    await update_versioned(conn, table, member_id, version, values)


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
