"""HTTP routes of /v1/audit-events: read-only, for admins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.engine import Row

from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventPage
from app.core.db import ReadDb
from app.core.models import table_of
from app.core.openapi import READ, responses
from app.core.pagination import PageRequest, Sorting
from app.core.permissions import AdminOnly
from app.core.repository import list_page
from app.core.schemas import Instant

router = APIRouter(prefix="/v1/audit-events", tags=["audit-events"])

c = table_of(AuditEvent).c
SORTING = Sorting({"occurredAt": c.occurred_at}, id_column=c.id, default="-occurredAt")


def to_item(row: Row[Any]) -> dict[str, Any]:
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


@router.get(
    "",
    operation_id="audit-events-list",
    summary="List audit events (newest first)",
    response_model=AuditEventPage,
    responses=responses(200, "One page of audit events.", *READ, headers=("Link",)),
)
async def list_audit_events(
    request: Request,
    conn: ReadDb,
    _: AdminOnly,
    page: Annotated[PageRequest, Depends(SORTING.params)],
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(alias="objectType", max_length=64)] = None,
    object_id: Annotated[str | None, Query(alias="objectId", max_length=100)] = None,
    actor_key_id: Annotated[uuid.UUID | None, Query(alias="actorKeyId")] = None,
    result: Annotated[Literal["success", "denied", "rejected"] | None, Query()] = None,
    request_id: Annotated[str | None, Query(alias="requestId", max_length=100)] = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
) -> Response:
    query = select(table_of(AuditEvent))
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
        query = query.where(c.occurred_at >= _utc(since))
    if until is not None:
        query = query.where(c.occurred_at < _utc(until))
    return await list_page(conn, request, query, page, SORTING, to_item)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
