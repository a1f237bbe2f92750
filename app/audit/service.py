"""Reading the audit trail (events are appended by app/audit/trail.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import repository
from app.core.pagination import PageRequest
from app.core.repository import list_page

SORTING = repository.SORTING


async def list_audit_events(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    *,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    actor_key_id: uuid.UUID | None,
    result: str | None,
    request_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Response:
    """One page of audit events (newest first by default), answered as the list route
    answers it."""
    query = repository.list_query(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_key_id=actor_key_id,
        result=result,
        request_id=request_id,
        since=since,
        until=until,
    )
    return await list_page(conn, request, query, page, SORTING, repository.to_item)
