"""Appending audit events: inside the request's transaction for writes that succeed, in a
transaction of their own for writes that are refused (the request's own one rolls back)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit.models import AuditEvent
from app.core.context import Principal, current_origin, current_principal
from app.core.models import utcnow

log = logging.getLogger("leergemeenschap.audit")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SECRET_KEYS = frozenset({"key", "secret", "token", "password", "authorization"})


def _scrub(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    if not detail:
        return None
    return {k: ("***" if k.lower() in _SECRET_KEYS else v) for k, v in detail.items()}


def _event_values(
    action: str,
    object_type: str | None,
    object_id: object | None,
    result: str,
    status_code: int | None,
    detail: dict[str, Any] | None,
    principal: Principal | None,
) -> dict[str, Any]:
    principal = principal or current_principal.get()
    origin = current_origin.get()
    return {
        "occurred_at": utcnow(),
        "actor_key_id": principal.key_id if principal else None,
        "actor_role": principal.role if principal else None,
        "actor_name": principal.name if principal else None,
        "actor_member_id": principal.member_id if principal else None,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "result": result,
        "status_code": status_code,
        "client_address": origin.client_address if origin else None,
        "user_agent": (origin.user_agent or "")[:500] if origin else None,
        "request_id": origin.request_id if origin else None,
        "detail": _scrub(detail),
    }


async def record(
    conn: AsyncConnection,
    action: str,
    object_type: str | None,
    object_id: object | None,
    *,
    result: str = "success",
    status_code: int | None = None,
    detail: dict[str, Any] | None = None,
    principal: Principal | None = None,
) -> None:
    """Append one event in the caller's transaction: it commits or rolls back with the write."""
    await conn.execute(
        insert(AuditEvent),
        _event_values(action, object_type, object_id, result, status_code, detail, principal),
    )


async def record_refusal(request: Request, status: int, detail: str) -> None:
    """A refused write still leaves a trace, written apart from the rolled-back transaction."""
    if request.method not in WRITE_METHODS or "route" not in request.scope:
        return
    from app.core.db import database

    route = request.scope["route"]
    action = str(getattr(route, "operation_id", None) or getattr(route, "name", "unknown"))
    params = request.path_params
    object_id = next(iter(params.values()), None) if params else None
    result = "denied" if status in (401, 403, 429) else "rejected"
    values = _event_values(
        action,
        getattr(route, "tags", [None])[0] if getattr(route, "tags", None) else None,
        object_id,
        result,
        status,
        {"reason": detail[:500]},
        None,
    )
    try:
        async with database.engine.begin() as conn:
            await conn.execute(insert(AuditEvent), values)
    except Exception:  # the refusal is answered even when its trace cannot be written
        log.exception("could not write the audit event of a refused %s", action)
