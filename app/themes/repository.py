"""All SQL about themes."""

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
from app.themes.models import Theme
from app.themes.schemas import ThemeRead

table = table_of(Theme)
c = table.c

COLUMNS = (
    c.id,
    c.name,
    c.description,
    c.transition_role,
    c.version,
    c.created_at,
    c.updated_at,
)

SORTING = Sorting({"name": c.name, "createdAt": c.created_at}, id_column=c.id, default="name")


def to_item(row: Row[Any]) -> ThemeRead:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "transitionRole": row.transition_role,
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def list_query(*, transition_role: str | None, q: str | None) -> Select[Any]:
    query = select(*COLUMNS)
    if transition_role is not None:
        query = query.where(c.transition_role == transition_role)
    if q:
        query = query.where(or_(contains(c.name, q), contains(c.description, q)))
    return query


async def get(conn: AsyncConnection, theme_id: uuid.UUID) -> ThemeRead:
    return to_item(await one_row(conn, select(*COLUMNS).where(c.id == theme_id), "theme"))


async def holders(
    conn: AsyncConnection, *, name: str | None, transition_role: str | None
) -> list[Any]:
    """Themes that already carry this name or this transition role."""
    conditions = []
    if name is not None:
        conditions.append(c.name == name)
    if transition_role is not None:
        conditions.append(c.transition_role == transition_role)
    if not conditions:
        return []
    rows = await conn.execute(select(c.id, c.name, c.transition_role).where(or_(*conditions)))
    return list(rows.all())


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    theme_id = new_id()
    await conn.execute(insert(table).values(id=theme_id, version=1, **values))
    return theme_id


async def update(
    conn: AsyncConnection, theme_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, theme_id, version, values)
