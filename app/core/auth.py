"""Authentication (API keys, cached briefly per process) and role capabilities as dependencies."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from app.api_keys.models import ApiKey, Role
from app.core.config import get_settings
from app.core.context import Principal, current_principal
from app.core.db import database
from app.core.errors import Forbidden, Unauthenticated
from app.core.models import utcnow

KEY_PREFIX = "lgk_"
ALL_ROLES = frozenset(r.value for r in Role)


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)  # 32 bytes = 256 random bits


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyCache:
    """Verified keys per process for a few seconds: a revocation reaches every worker within
    `API_KEY_CACHE_SECONDS`, and requests in between cost no database round trip."""

    max_entries = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None, float | None]] = {}

    def get(self, digest: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(digest)
        if entry is None:
            return False, None
        fetched, principal, expires_at = entry
        now = time.monotonic()
        ttl = get_settings().api_key_cache_seconds
        if now - fetched > ttl or (expires_at is not None and time.time() >= expires_at):
            self._entries.pop(digest, None)
            return False, None
        return True, principal

    def put(self, digest: str, principal: Principal | None, expires_at: float | None) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[digest] = (time.monotonic(), principal, expires_at)

    def clear(self) -> None:
        self._entries.clear()


key_cache = KeyCache()


async def _principal_for_key(key: str) -> Principal | None:
    digest = hash_key(key)
    hit, principal = key_cache.get(digest)
    if hit:
        return principal
    query = select(
        ApiKey.id, ApiKey.role, ApiKey.name, ApiKey.member_id, ApiKey.expires_at, ApiKey.revoked_at
    ).where(ApiKey.key_hash == digest)
    async with database.reader.connect() as conn:
        row = (await conn.execute(query)).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        key_cache.put(digest, None, None)
        return None
    principal = Principal(
        key_id=row.id, role=str(Role(row.role).value), name=row.name, member_id=row.member_id
    )
    key_cache.put(digest, principal, row.expires_at.timestamp() if row.expires_at else None)
    return principal


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated(
            "This resource needs an API key: send 'Authorization: Bearer <key>'.",
            error="invalid_request",
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Use the Bearer scheme: 'Authorization: Bearer <key>'.", error="invalid_request"
        )
    return token


async def authenticate(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = _bearer_token(request)
    principal = await _principal_for_key(token) if token.startswith(KEY_PREFIX) else None
    if principal is None:
        raise Unauthenticated("The API key is unknown, revoked or expired.")
    request.state.principal = principal
    current_principal.set(principal)
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    allowed = frozenset(r.value for r in roles)
    names = ", ".join(sorted(allowed))

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"The role '{principal.role}' may not do this; it needs: {names}.")
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(allowed))
    return dependency


# Capabilities, named for what they allow; each endpoint's signature shows who may call it.
Authenticated = Annotated[Principal, Depends(authenticate)]
AdminOnly = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
CanReadDirectory = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.FACILITATOR, Role.MEMBER, Role.READER, Role.SYNC)),
]
CanReadCommunity = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.FACILITATOR, Role.MEMBER, Role.READER))
]
CanEditMembers = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.FACILITATOR, Role.MEMBER))
]
