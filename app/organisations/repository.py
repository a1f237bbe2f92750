"""All SQL about organisations."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.models import new_id, table_of
from app.core.pagination import Sorting
from app.core.repository import one_row, update_versioned
from app.core.text import contains
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationRead

table = table_of(Organisation)
c = table.c

COLUMNS = (c.id, c.name, c.kind, c.website, c.version, c.created_at, c.updated_at)

SORTING = Sorting({"name": c.name, "createdAt": c.created_at}, id_column=c.id, default="name")


def to_item(row: Row[Any]) -> OrganisationRead:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "website": row.website,
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def list_query(*, kind: str | None, q: str | None) -> Select[Any]:
    query = select(*COLUMNS)
    if kind is not None:
        query = query.where(c.kind == kind)
    if q:
        query = query.where(contains(c.name, q))
    return query


async def get(conn: AsyncConnection, organisation_id: uuid.UUID) -> OrganisationRead:
    query = select(*COLUMNS).where(c.id == organisation_id)
    return to_item(await one_row(conn, query, "organisation"))


async def id_for_name(conn: AsyncConnection, name: str) -> uuid.UUID | None:
    row = (await conn.execute(select(c.id).where(c.name == name))).first()
    return row.id if row else None


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    organisation_id = new_id()
    await conn.execute(insert(table).values(id=organisation_id, version=1, **values))
    return organisation_id


async def update(
    conn: AsyncConnection, organisation_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, organisation_id, version, values)
