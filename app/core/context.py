"""Per-request facts (who, from where, which request) that audit and services read.

The caller is established once, at the edge (the authentication middleware), and kept in the
request's scope as the *outcome*: the principal, or the refusal a route that needs a caller
answers with. Routes only declare the roles they accept (app/core/permissions.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute

from app.core.errors import Unauthenticated


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key (or token) and the role and member it acts for."""

    key_id: uuid.UUID | None
    role: str
    name: str
    member_id: uuid.UUID | None = None
    via: str = "api-key"
    # A stream ticket's resource types: the change feed shows this caller no others.
    feed_types: tuple[str, ...] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    request_id: str
    client_address: str | None
    user_agent: str | None


current_origin: ContextVar[RequestOrigin | None] = ContextVar("current_origin", default=None)
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)

SYSTEM = Principal(key_id=None, role="admin", name="system", via="cli")

Scope = MutableMapping[str, Any]

# How the edge checks a request's credentials: the caller, or an exception that refuses it.
Authenticate = Callable[[Scope], Awaitable[Principal]]
# How a refused write is filed in the audit trail: (scope, status, detail).
RecordRefusal = Callable[[Scope, int, str], Awaitable[None]]

_OUTCOME = "leergemeenschap.authentication"


def set_outcome(scope: Scope, outcome: Principal | BaseException) -> None:
    scope.setdefault("state", {})[_OUTCOME] = outcome


def outcome(scope: Scope) -> Principal | BaseException:
    """The caller the edge established, or why there is none."""
    state = scope.get("state")
    found: Principal | BaseException | None = state.get(_OUTCOME) if state else None
    if found is None:
        # No edge ran (a request built by hand): nobody is authenticated.
        return Unauthenticated(
            "This resource needs an API key: send 'Authorization: Bearer <key>'.",
            error="invalid_request",
        )
    return found


def require_caller(scope: Scope) -> Principal:
    """The caller the edge accepted; else the refusal it recorded (401, 429) or the fault
    that kept it from deciding (a database that is down) is raised."""
    found = outcome(scope)
    if isinstance(found, Principal):
        return found
    raise found


def caller(scope: Scope) -> Principal | None:
    found = outcome(scope)
    return found if isinstance(found, Principal) else None


def matched_route(scope: Scope) -> APIRoute | None:
    """The API route that took the request, if any (not a mount on the way to it)."""
    route = scope.get("route")
    return route if isinstance(route, APIRoute) else None
