"""All SQL about departments."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.models import new_id, table_of
from app.core.pagination import Sorting
from app.core.repository import one_row, update_versioned
from app.core.text import contains
from app.departments.models import Department
from app.departments.schemas import DepartmentRead

table = table_of(Department)
c = table.c
# The parent department, joined for its name.
parent_table = table.alias("parent")
pc = parent_table.c

COLUMNS = (
    c.id,
    c.code,
    c.name,
    c.kind,
    c.parent_id,
    c.active,
    c.version,
    c.created_at,
    c.updated_at,
    pc.code.label("parent_code"),
    pc.name.label("parent_name"),
)

_FROM = table.outerjoin(parent_table, pc.id == c.parent_id)

SORTING = Sorting(
    {"name": c.name, "code": c.code, "createdAt": c.created_at}, id_column=c.id, default="name"
)


def to_item(row: Row[Any]) -> DepartmentRead:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "parentId": row.parent_id,
        "parent": (
            {"id": row.parent_id, "code": row.parent_code, "name": row.parent_name}
            if row.parent_id is not None
            else None
        ),
        "active": row.active,
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def list_query(
    *,
    kind: str | None,
    parent_id: uuid.UUID | None,
    active: bool | None,
    code: str | None,
    q: str | None,
) -> Select[Any]:
    query = select(*COLUMNS).select_from(_FROM)
    if kind is not None:
        query = query.where(c.kind == kind)
    if parent_id is not None:
        query = query.where(c.parent_id == parent_id)
    if active is not None:
        query = query.where(c.active == active)
    if code is not None:
        query = query.where(c.code == code)
    if q:
        query = query.where(or_(contains(c.name, q), contains(c.code, q)))
    return query


async def get(conn: AsyncConnection, department_id: uuid.UUID) -> DepartmentRead:
    row = await one_row(
        conn, select(*COLUMNS).select_from(_FROM).where(c.id == department_id), "department"
    )
    return to_item(row)


async def id_for_code(conn: AsyncConnection, code: str) -> uuid.UUID | None:
    row = (await conn.execute(select(c.id).where(c.code == code))).first()
    return row.id if row else None


async def parents(conn: AsyncConnection) -> dict[uuid.UUID, uuid.UUID | None]:
    rows = await conn.execute(select(c.id, c.parent_id))
    return {row.id: row.parent_id for row in rows}


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    department_id = new_id()
    await conn.execute(insert(table).values(id=department_id, version=1, **values))
    return department_id


async def update(
    conn: AsyncConnection, department_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, department_id, version, values)
