"""Authentication (API keys, cached briefly per process) and role capabilities as dependencies."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from app.api_keys.models import ApiKey, Role
from app.core import oidc, ratelimit
from app.core.config import get_settings
from app.core.context import Principal, current_principal
from app.core.db import database
from app.core.errors import DomainError, Forbidden, Unauthenticated
from app.core.models import table_of, utcnow

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
    from app.members.models import Member, MemberStatus

    query = (
        select(
            ApiKey.id,
            ApiKey.role,
            ApiKey.name,
            ApiKey.member_id,
            ApiKey.expires_at,
            ApiKey.revoked_at,
            Member.status.label("member_status"),
        )
        .select_from(table_of(ApiKey).outerjoin(table_of(Member), Member.id == ApiKey.member_id))
        .where(ApiKey.key_hash == digest)
    )
    async with database.reader.connect() as conn:
        row = (await conn.execute(query)).first()
    now = utcnow()
    # A key that acts for a member works only while that member is active.
    member_gone = (
        row is not None and row.member_id is not None and (row.member_status != MemberStatus.ACTIVE)
    )
    if (
        row is None
        or member_gone
        or row.revoked_at is not None
        or (row.expires_at and row.expires_at <= now)
    ):
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


QUERY_TOKEN_NAMES = ("access_token", "token", "api_key", "apiKey")


class MemberLookup:
    """OIDC subject → member id, cached like keys so tokens cost no round trip per request."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, uuid.UUID | None]] = {}

    async def member_id(self, external_id: str) -> uuid.UUID | None:
        entry = self._entries.get(external_id)
        now = time.monotonic()
        if entry is not None and now - entry[0] <= get_settings().api_key_cache_seconds:
            return entry[1]
        from app.members.models import Member

        query = select(Member.id).where(Member.external_id == external_id)
        async with database.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        member_id = row.id if row else None
        if len(self._entries) >= KeyCache.max_entries:
            self._entries.clear()
        self._entries[external_id] = (now, member_id)
        return member_id

    def clear(self) -> None:
        self._entries.clear()


member_lookup = MemberLookup()


async def _principal_for_token(token: str) -> Principal:
    settings = get_settings()
    claims = await oidc.verify(token, settings)
    role = oidc.role_from_claims(claims, settings.oidc_roles_claim)
    if role is None:
        raise Forbidden(
            f"The token's '{settings.oidc_roles_claim}' claim names no role of this API."
        )
    subject = claims.get(settings.oidc_member_claim)
    member_id = await member_lookup.member_id(str(subject)) if subject else None
    name = str(claims.get("name") or claims.get("preferred_username") or subject or "oidc user")
    return Principal(key_id=None, role=role, name=name[:200], member_id=member_id, via="oidc")


async def authenticate(request: Request) -> Principal:
    """The caller, from the request's credentials; a refusal is a problem (401, 429, 503).

    The outcome is kept in the request's state, success or refusal, so that checking again
    later in the same request (the Idempotency-Key step checks before the route does) costs
    nothing and counts a failed attempt only once."""
    state = request.scope.setdefault("state", {})
    known = state.get(_OUTCOME)
    if isinstance(known, Principal):
        return known
    if isinstance(known, DomainError):
        raise known
    try:
        principal = await _authenticate(request)
    except DomainError as exc:
        state[_OUTCOME] = exc
        raise
    state[_OUTCOME] = principal
    current_principal.set(principal)
    return principal


_OUTCOME = "leergemeenschap.authentication"


async def _authenticate(request: Request) -> Principal:
    if any(name in request.query_params for name in QUERY_TOKEN_NAMES):
        # URLs end up in logs and browser history; credentials never belong there.
        raise Unauthenticated(
            "Credentials in the query string are refused; use the Authorization header.",
            error="invalid_request",
        )
    client = request.client.host if request.client else None
    ratelimit.check_not_blocked(client)
    token = _bearer_token(request)
    principal: Principal | None
    try:
        if token.startswith(KEY_PREFIX):
            principal = await _principal_for_key(token)
        elif get_settings().oidc_enabled and oidc.looks_like_jwt(token):
            principal = await _principal_for_token(token)
        else:
            principal = None
        if principal is None:
            raise Unauthenticated("The API key is unknown, revoked or expired.")
    except Unauthenticated:
        # Only presented credentials count: guessing is what the limit is for.
        await ratelimit.record_failure(client)
        raise
    return principal


# Every dependency `require_roles` made: each authenticates before it checks the role (the
# route walk in tests/core/test_auth.py accepts these as well as `authenticate` itself).
ROLE_CHECKS: set[Callable[..., Awaitable[Principal]]] = set()


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    allowed = frozenset(r.value for r in roles)
    names = ", ".join(sorted(allowed))

    # Calls `authenticate` itself rather than depending on it: one dependency less for
    # FastAPI to solve on every request.
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if principal.role not in allowed:
            raise Forbidden(f"The role '{principal.role}' may not do this; it needs: {names}.")
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(allowed))
    ROLE_CHECKS.add(dependency)
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
# Intranet sync and SCIM provisioning: the identity systems' keys, and admins.
CanSync = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.SYNC))]
# Proposing and editing community content (questions, insights); services narrow it further.
CanContribute = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.FACILITATOR, Role.MEMBER))
]
# Groups: admins manage every group; a facilitator only the groups they facilitate (the
# service checks which). Joining and leaving: members too, for themself (the service checks).
CanManageGroups = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.FACILITATOR))]
CanJoinGroups = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.FACILITATOR, Role.MEMBER))
]
