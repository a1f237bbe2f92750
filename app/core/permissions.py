"""Checks the service layer makes about who may act (the endpoint's capability is the first
gate; these hold even when a service is called from elsewhere)."""

from __future__ import annotations

from app.core.context import Principal
from app.core.errors import Forbidden


def ensure_admin(principal: Principal, action: str) -> None:
    if not principal.is_admin:
        raise Forbidden(f"Only an admin may {action}.")


def ensure_role(principal: Principal, roles: frozenset[str], action: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"The role '{principal.role}' may not {action}.")
