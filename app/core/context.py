"""Per-request facts (who, from where, which request) that audit and services read."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key (or token) and the role and member it acts for."""

    key_id: uuid.UUID | None
    role: str
    name: str
    member_id: uuid.UUID | None = None
    via: str = "api-key"

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
