"""Appending audit events: inside the request's transaction for writes that succeed, in a
transaction of their own for writes that are refused (the request's own one rolls back)."""

from __future__ import annotations

import logging
import re
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


_QUOTED = re.compile(r"'[^']*'")


def _reason(detail: str) -> str:
    """A refusal's reason without the values it quotes: those may be someone's e-mail address
    or name, and this table is never rewritten, not even when that person is erased."""
    return _QUOTED.sub("'…'", detail)[:500]


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
        # Only credentials that act for no person are named here; a person is referenced by
        # member id alone, so erasing their personal data never has to touch this table.
        "actor_name": principal.name if principal and principal.member_id is None else None,
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


def _object_type(route: object) -> str | None:
    """Services name their objects in the singular (`department`, `api-key`); a refusal is
    filed under the same name, made from the route's plural tag, so that filtering by object
    type shows what was refused next to what happened."""
    tags = getattr(route, "tags", None)
    if not tags:
        return None
    tag = str(tags[0])
    if tag.endswith("ies"):
        return tag[:-3] + "y"
    if tag.endswith("s") and not tag.endswith("ss"):
        return tag[:-1]
    return tag


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
        _object_type(route),
        object_id,
        result,
        status,
        {"reason": _reason(detail)},
        None,
    )
    try:
        async with database.engine.begin() as conn:
            await conn.execute(insert(AuditEvent), values)
    except Exception:  # the refusal is answered even when its trace cannot be written
        log.exception("could not write the audit event of a refused %s", action)


async def record_early_refusal(scope: dict[str, Any], status: int, detail: str) -> None:
    """A write refused before it reached its route (a body too large, too deep or holding NUL
    characters; a malformed, reused or busy Idempotency-Key). No route has been chosen yet, so
    the action is the method and path; the actor is named when the key is a valid one."""
    from app.core.auth import authenticate
    from app.core.db import database
    from app.core.errors import DomainError

    principal: Principal | None = None
    try:
        principal = await authenticate(Request(scope))
    except DomainError:
        principal = None
    except Exception:  # the key store is unreachable: file the refusal without an actor
        log.exception("could not identify the caller of a refused write")
    action = f"{scope.get('method', '?')} {scope.get('path', '')}"[:100]
    values = _event_values(
        action, None, None, "rejected", status, {"reason": _reason(detail)}, principal
    )
    try:
        async with database.engine.begin() as conn:
            await conn.execute(insert(AuditEvent), values)
    except Exception:  # the refusal is answered even when its trace cannot be written
        log.exception("could not write the audit event of a refused %s", action)
