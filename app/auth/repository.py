"""All SQL about API keys; the secret itself is never stored or selected."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.models import ApiKey
from app.core.models import table_of
from app.core.pagination import Sorting
from app.core.repository import one_row

table = table_of(ApiKey)
c = table.c
COLUMNS = (c.id, c.name, c.role, c.member_id, c.prefix, c.created_at, c.expires_at, c.revoked_at)
SORTING = Sorting({"createdAt": c.created_at, "name": c.name}, id_column=c.id, default="createdAt")


def to_item(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "memberId": row.member_id,
        "prefix": row.prefix,
        "createdAt": row.created_at,
        "expiresAt": row.expires_at,
        "revokedAt": row.revoked_at,
    }


def list_query() -> Any:
    return select(*COLUMNS)


async def get(conn: AsyncConnection, key_id: uuid.UUID) -> dict[str, Any]:
    return to_item(await one_row(conn, select(*COLUMNS).where(c.id == key_id), "API key"))


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    key_id = uuid.uuid4()
    await conn.execute(insert(table).values(id=key_id, **values))
    return key_id


async def revoke(conn: AsyncConnection, key_id: uuid.UUID, when: Any) -> None:
    await conn.execute(
        update(table).where(c.id == key_id, c.revoked_at.is_(None)).values(revoked_at=when)
    )
