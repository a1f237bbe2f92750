"""All SQL about cases and their partner organisations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.cases.lifecycle import TRANSITIONS
from app.cases.models import Case, CasePartner
from app.cases.schemas import CaseRead
from app.core.lifecycle import allowed_next
from app.core.models import new_id, table_of
from app.core.pagination import Sorting
from app.core.repository import matches, one_row, update_versioned
from app.core.text import contains
from app.departments.models import Department
from app.learning_groups.models import LearningGroup
from app.organisations.models import Organisation
from app.workshops.models import Workshop

table = table_of(Case)
c = table.c
partners = table_of(CasePartner)
p = partners.c
g = table_of(LearningGroup).c
d = table_of(Department).c
w = table_of(Workshop).c
organisations = table_of(Organisation)
o = organisations.c

COLUMNS = (
    c.id,
    c.title,
    c.description,
    c.learning_group_id,
    g.name.label("group_name"),
    c.department_id,
    d.code.label("department_code"),
    d.name.label("department_name"),
    c.status,
    c.presented_at_workshop_id,
    w.title.label("workshop_title"),
    w.starts_at.label("workshop_starts_at"),
    c.outcome,
    c.version,
    c.created_at,
    c.updated_at,
)

SORTING = Sorting(
    {"title": c.title, "status": c.status, "createdAt": c.created_at},
    id_column=c.id,
    default="title",
)


def base_query() -> Select[Any]:
    return select(*COLUMNS).select_from(
        table.outerjoin(table_of(LearningGroup), g.id == c.learning_group_id)
        .outerjoin(table_of(Department), d.id == c.department_id)
        .outerjoin(table_of(Workshop), w.id == c.presented_at_workshop_id)
    )


def to_item(row: Row[Any]) -> CaseRead:
    """The case from its row; its partners are filled in by `with_partners`."""
    group_id = row.learning_group_id
    department_id = row.department_id
    workshop_id = row.presented_at_workshop_id
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "learningGroupId": group_id,
        "learningGroup": {"id": group_id, "name": row.group_name} if group_id else None,
        "departmentId": department_id,
        "department": (
            {"id": department_id, "code": row.department_code, "name": row.department_name}
            if department_id is not None
            else None
        ),
        "partnerOrganisationIds": [],
        "partnerOrganisations": [],
        "status": row.status,
        "allowedTransitions": allowed_next(TRANSITIONS, row.status),
        "presentedAtWorkshopId": workshop_id,
        "presentedAtWorkshop": (
            {"id": workshop_id, "title": row.workshop_title, "startsAt": row.workshop_starts_at}
            if workshop_id is not None
            else None
        ),
        "outcome": row.outcome,
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def list_query(
    *,
    learning_group_id: uuid.UUID | None = None,
    status: Sequence[str] | None = None,
    department_id: uuid.UUID | None = None,
    partner_organisation_id: uuid.UUID | None = None,
    presented_at_workshop_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[Any]:
    query = base_query()
    if learning_group_id is not None:
        query = query.where(c.learning_group_id == learning_group_id)
    if status is not None:
        query = query.where(matches(c.status, status))
    if department_id is not None:
        query = query.where(c.department_id == department_id)
    if partner_organisation_id is not None:
        query = query.where(
            select(p.case_id)
            .where(p.case_id == c.id, p.organisation_id == partner_organisation_id)
            .correlate(table)
            .exists()
        )
    if presented_at_workshop_id is not None:
        query = query.where(c.presented_at_workshop_id == presented_at_workshop_id)
    if q:
        query = query.where(
            or_(contains(c.title, q), contains(c.description, q), contains(c.outcome, q))
        )
    return query


async def with_partners(conn: AsyncConnection, items: list[CaseRead]) -> list[CaseRead]:
    """Fill in the partner organisations (ids and names, by id) of every item with one
    statement, whatever their number."""
    if not items:
        return items
    by_id = {item["id"]: item for item in items}
    rows = await conn.execute(
        select(p.case_id, o.id, o.name)
        .select_from(partners.join(organisations, o.id == p.organisation_id))
        .where(p.case_id.in_(list(by_id)))
        .order_by(p.case_id, p.organisation_id)
    )
    for row in rows:
        item = by_id[row.case_id]
        item["partnerOrganisationIds"].append(row.id)
        item["partnerOrganisations"].append({"id": row.id, "name": row.name})
    return items


async def get(conn: AsyncConnection, case_id: uuid.UUID) -> CaseRead:
    """The case with its partners: two statements."""
    item = to_item(await one_row(conn, base_query().where(c.id == case_id), "case"))
    return (await with_partners(conn, [item]))[0]


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    case_id = new_id()
    await conn.execute(insert(table).values(id=case_id, version=1, **values))
    return case_id


async def update(
    conn: AsyncConnection, case_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, case_id, version, values)


async def set_partners(
    conn: AsyncConnection, case_id: uuid.UUID, organisation_ids: Sequence[uuid.UUID]
) -> None:
    """Replace the case's partners with exactly these organisations."""
    await conn.execute(delete(partners).where(p.case_id == case_id))
    if organisation_ids:
        await conn.execute(
            insert(partners),
            [{"case_id": case_id, "organisation_id": org_id} for org_id in organisation_ids],
        )
