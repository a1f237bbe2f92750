"""Appending audit events: `record` inside the write's own transaction, so the event commits or
rolls back with it; `record_refusal` for a write that was refused, in a transaction of its own
(the request's one, if any, rolls back)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, repository
from app.core.context import (
    Principal,
    Scope,
    caller,
    current_origin,
    current_principal,
    matched_route,
)
from app.core.db import database
from app.core.models import utcnow

log = logging.getLogger("leergemeenschap.audit")

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
    """Append one event in the caller's transaction: it commits or rolls back with the write.
    A change of a resource the feed carries (app/audit/feed.py) is marked as one, with the
    resource's version after it, in the same statement."""
    values = _event_values(action, object_type, object_id, result, status_code, detail, principal)
    change = feed.change_of(action, object_type) if result == "success" else None
    if change is None:
        await repository.insert_event(conn, values)
        return
    values["change"] = change
    version = feed.RESOURCES[str(object_type)].version_of(object_id)
    await repository.insert_event(conn, values, version)


async def record_changes(
    conn: AsyncConnection,
    action: str,
    object_type: str,
    changes: Sequence[tuple[object, feed.ChangeKind, int | None]],
    *,
    principal: Principal | None = None,
    details: Sequence[dict[str, Any]] | None = None,
) -> None:
    """Append one change event per (id, kind of change, version) of a bulk write (the
    intranet sync's members, the memberships a departure ends), in the caller's transaction,
    in one statement however many. `details`, when given, holds each event's own detail, in
    the order of `changes` (a membership's names its group: the feed's link needs it)."""
    if not changes:
        return
    values = _event_values(action, object_type, None, "success", None, None, principal)
    rows: list[dict[str, Any]] = [
        {"object_id": str(object_id), "change": change, "object_version": version}
        for object_id, change, version in changes
    ]
    if details is not None:
        for row, detail in zip(rows, details, strict=True):
            row["detail"] = _scrub(detail)
    await repository.insert_events(conn, values, rows)


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


async def record_refusal(scope: Scope, status: int, detail: str) -> None:
    """File a refused write. Refused by its route, it is named by the route's operation and
    object; refused before routing (a body too large, too deep or holding NUL characters; a
    malformed, reused or busy Idempotency-Key), by its method and path. The actor is the
    caller the edge accepted, if any. The refusal is answered even when this cannot be
    written."""
    route = matched_route(scope)
    if route is not None:
        action = str(route.operation_id or route.name)
        params = scope.get("path_params")
        object_id = next(iter(params.values()), None) if params else None
        object_type = _object_type(route)
        result = "denied" if status in (401, 403, 429) else "rejected"
    else:
        action = f"{scope.get('method', '?')} {scope.get('path', '')}"[:100]
        object_id = object_type = None
        result = "rejected"
    values = _event_values(
        action,
        object_type,
        object_id,
        result,
        status,
        {"reason": _reason(detail)},
        caller(scope),
    )
    try:
        async with database.engine.begin() as conn:
            await repository.insert_event(conn, values)
    except Exception:
        log.exception("could not write the audit event of a refused %s", action)
