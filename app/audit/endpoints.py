"""HTTP routes of /v1/audit-events: read-only, for admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.audit import service
from app.audit.schemas import AuditEventPage, AuditResult
from app.core.db import ReadDb
from app.core.openapi import READ, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly
from app.core.routes import ContractRoute
from app.core.schemas import Instant

router = APIRouter(prefix="/v1/audit-events", tags=["audit-events"], route_class=ContractRoute)


@router.get(
    "",
    operation_id="audit-events-list",
    summary="List audit events (newest first)",
    response_model=AuditEventPage,
    responses=responses(200, "One page of audit events.", *READ, headers=("Link",)),
)
async def list_audit_events(
    request: Request,
    _: AdminOnly,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(alias="objectType", max_length=64)] = None,
    object_id: Annotated[str | None, Query(alias="objectId", max_length=100)] = None,
    actor_key_id: Annotated[uuid.UUID | None, Query(alias="actorKeyId")] = None,
    result: Annotated[AuditResult | None, Query()] = None,
    request_id: Annotated[str | None, Query(alias="requestId", max_length=100)] = None,
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
) -> Response:
    return await service.list_audit_events(
        conn,
        request,
        page,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_key_id=actor_key_id,
        result=result,
        request_id=request_id,
        since=since,
        until=until,
    )
