"""Issuing and revoking API keys. The key is returned once, at creation."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import trail
from app.auth import repository
from app.auth.authentication import generate_key, hash_key, key_cache
from app.auth.schemas import ApiKeyCreated, ApiKeyRead
from app.core.context import Principal
from app.core.errors import InvalidInput, InvalidParam
from app.core.models import table_of, utcnow
from app.core.pagination import PageRequest
from app.core.permissions import Role, ensure_admin
from app.core.repository import list_page, require_references
from app.members.models import Member

OBJECT = "api-key"
# Roles whose rights depend on who the caller is (own profile, facilitated groups).
PERSONAL_ROLES = frozenset({Role.MEMBER, Role.FACILITATOR})
SORTING = repository.SORTING


async def list_keys(conn: AsyncConnection, request: Request, page: PageRequest) -> Response:
    """One page of API keys (never their secrets), answered as the list route answers it."""
    return await list_page(
        conn, request, repository.list_query(), page, SORTING, repository.to_item
    )


async def get_key(conn: AsyncConnection, key_id: uuid.UUID) -> ApiKeyRead:
    return await repository.get(conn, key_id)


async def issue_key(
    conn: AsyncConnection,
    principal: Principal,
    *,
    name: str,
    role: Role,
    member_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> ApiKeyCreated:
    ensure_admin(principal, "issue API keys")
    if role in PERSONAL_ROLES and member_id is None:
        raise InvalidInput(
            [
                InvalidParam(
                    "memberId",
                    f"A {role.value} key acts for one member: give the member's id.",
                    code="required",
                )
            ]
        )
    await require_references(conn, {"memberId": (table_of(Member), member_id)})
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput([InvalidParam("expiresAt", "The expiry must lie in the future.")])
    key = generate_key()
    key_id = await repository.create(
        conn,
        {
            "name": name,
            "role": role,
            "member_id": member_id,
            "key_hash": hash_key(key),
            "prefix": key[:12],
            "created_at": utcnow(),
            "expires_at": expires_at,
        },
    )
    await trail.record(
        conn,
        "api-keys-create",
        OBJECT,
        key_id,
        detail={"role": role.value, "name": name},
        principal=principal,
    )
    item = await repository.get(conn, key_id)
    return {**item, "key": key}


async def revoke_key(conn: AsyncConnection, principal: Principal, key_id: uuid.UUID) -> ApiKeyRead:
    ensure_admin(principal, "revoke API keys")
    current = await repository.get(conn, key_id)
    if current["revokedAt"] is None:
        await repository.revoke(conn, key_id, utcnow())
        await trail.record(conn, "api-keys-revoke", OBJECT, key_id)
        # This worker forgets at once; the others within API_KEY_CACHE_SECONDS.
        key_cache.clear()
    return await repository.get(conn, key_id)
