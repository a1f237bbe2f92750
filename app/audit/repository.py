"""All SQL of the audit trail: appending events, and reading them back a page at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead
from app.core.models import table_of
from app.core.pagination import Sorting
from app.core.repository import copy_value

table = table_of(AuditEvent)
c = table.c
SORTING = Sorting({"occurredAt": c.occurred_at}, id_column=c.id, default="-occurredAt")


async def insert_event(
    conn: AsyncConnection, values: dict[str, Any], version: ColumnElement[Any] | None = None
) -> None:
    """One event; `version`, an expression (the resource's version, read by the INSERT)."""
    statement = insert(AuditEvent)
    if version is not None:
        statement = statement.values(object_version=version)
    await conn.execute(statement, values)


async def insert_events(
    conn: AsyncConnection, shared: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    """Many events that share all but a few columns (`rows` hold those): on Postgres one COPY
    in the caller's transaction (the column defaults, the transaction id among them, apply as
    for an INSERT), on SQLite one executemany."""
    if conn.dialect.name != "postgresql":
        await conn.execute(insert(AuditEvent), [{**shared, **row} for row in rows])
        return
    shared = {name: value for name, value in shared.items() if name not in rows[0]}
    columns = (*shared, *rows[0])
    common = tuple(copy_value(value) for value in shared.values())
    if "detail" in rows[0]:
        # Each event's own detail: JSON as COPY takes it, as text.
        records = [(*common, *map(copy_value, row.values())) for row in rows]
    else:
        records = [(*common, *row.values()) for row in rows]
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def to_item(row: Row[Any]) -> AuditEventRead:
    return {
        "id": row.id,
        "occurredAt": row.occurred_at,
        "actorKeyId": row.actor_key_id,
        "actorRole": row.actor_role,
        "actorName": row.actor_name,
        "actorMemberId": row.actor_member_id,
        "action": row.action,
        "objectType": row.object_type,
        "objectId": row.object_id,
        "result": row.result,
        "statusCode": row.status_code,
        "clientAddress": row.client_address,
        "userAgent": row.user_agent,
        "requestId": row.request_id,
        "detail": row.detail,
    }


def list_query(
    *,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    actor_key_id: uuid.UUID | None,
    result: str | None,
    request_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    query = select(table)
    filters: list[tuple[Any, Any]] = [
        (c.action, action),
        (c.object_type, object_type),
        (c.object_id, object_id),
        (c.actor_key_id, actor_key_id),
        (c.result, result),
        (c.request_id, request_id),
    ]
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(c.occurred_at >= since.astimezone(UTC))
    if until is not None:
        query = query.where(c.occurred_at < until.astimezone(UTC))
    return query
