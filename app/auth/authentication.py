"""Who is calling: the request's API key (looked up, then cached briefly per process) or OIDC
bearer token (verified against the identity provider's keys), or a ticket in the query string
where no header can be sent: a stream ticket for a browser's EventSource on the change feed, a
calendar ticket for a calendar program subscribed to a member's own werkplaatsen feed. Checked
once at the edge by app/core/middleware/authentication.py with `Authenticator`."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import parse_qsl

from app.auth import oidc, repository
from app.auth.ratelimit import failure_limit
from app.core.config import Settings
from app.core.context import Principal, Scope
from app.core.db import database
from app.core.errors import Forbidden, Unauthenticated
from app.core.models import utcnow
from app.core.negotiation import EVENT_STREAM, JSON, asks_for
from app.core.permissions import Role
from app.members.models import MemberStatus

KEY_PREFIX = "lgk_"
TICKET_PREFIX = "lgs_"
CALENDAR_TICKET_PREFIX = "lgc_"
QUERY_TOKEN_NAMES = frozenset({"access_token", "token", "api_key", "apiKey"})
# The query parameter of a stream or calendar ticket, on the paths given to `Authenticator`.
TICKET_PARAMETER = "ticket"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)  # 32 bytes = 256 random bits


def generate_ticket() -> str:
    return TICKET_PREFIX + secrets.token_urlsafe(32)


def generate_calendar_ticket() -> str:
    return CALENDAR_TICKET_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyCache:
    """Verified keys per process for a few seconds: a revocation reaches every worker within
    `API_KEY_CACHE_SECONDS`, and requests in between cost no database round trip."""

    max_entries = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None, float | None]] = {}

    def get(self, digest: str, ttl: float) -> tuple[bool, Principal | None]:
        entry = self._entries.get(digest)
        if entry is None:
            return False, None
        fetched, principal, expires_at = entry
        now = time.monotonic()
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


class MemberLookup:
    """OIDC subject → member id, cached like keys so tokens cost no round trip per request."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, uuid.UUID | None]] = {}

    async def member_id(self, external_id: str, ttl: float) -> uuid.UUID | None:
        entry = self._entries.get(external_id)
        now = time.monotonic()
        if entry is not None and now - entry[0] <= ttl:
            return entry[1]
        async with database.reader.connect() as conn:
            member_id = await repository.member_id_for_external_id(conn, external_id)
        if len(self._entries) >= KeyCache.max_entries:
            self._entries.clear()
        self._entries[external_id] = (now, member_id)
        return member_id

    def clear(self) -> None:
        self._entries.clear()


key_cache = KeyCache()
member_lookup = MemberLookup()


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


def _bearer_token(scope: Scope) -> str:
    header = _header(scope, b"authorization")
    if not header:
        raise Unauthenticated(
            "This resource needs an API key: send 'Authorization: Bearer <key>'.",
            error="invalid_request",
        )
    scheme, _, token = header.decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Use the Bearer scheme: 'Authorization: Bearer <key>'.", error="invalid_request"
        )
    return token


def _credentials_in_query(query_string: bytes) -> bool:
    lowered = query_string.lower()
    if b"token" not in lowered and b"api" not in lowered and b"%" not in lowered:
        return False
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return any(name in QUERY_TOKEN_NAMES for name, _ in pairs)


def _ticket_in_query(query_string: bytes) -> str | None:
    if TICKET_PARAMETER.encode() not in query_string and b"%" not in query_string:
        return None
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return next((value for name, value in pairs if name == TICKET_PARAMETER), None)


def _check_ticket_use(scope: Scope) -> None:
    """A stream ticket is good for the event stream only (a URL that carries a credential is
    only ever meant for EventSource, which can send no header), and instead of an
    Authorization header, never beside one."""
    if scope["method"] != "GET" or not asks_for(scope, EVENT_STREAM, (JSON, EVENT_STREAM)):
        raise Unauthenticated(
            "A stream ticket opens only the event stream: GET with "
            "'Accept: text/event-stream'. Elsewhere, use the Authorization header.",
            error="invalid_request",
        )
    if _header(scope, b"authorization") is not None:
        raise Unauthenticated(
            "Send either the Authorization header or a stream ticket, not both.",
            error="invalid_request",
        )


def _check_calendar_ticket_use(scope: Scope) -> None:
    """A calendar ticket is good for reading its member's werkplaatsen feed only, and instead
    of an Authorization header, never beside one."""
    if scope["method"] not in ("GET", "HEAD"):
        raise Unauthenticated(
            "A calendar ticket only reads the calendar feed (GET).", error="invalid_request"
        )
    if _header(scope, b"authorization") is not None:
        raise Unauthenticated(
            "Send either the Authorization header or a calendar ticket, not both.",
            error="invalid_request",
        )


class Authenticator:
    """Checks a request's credentials: the caller, or the refusal (401, 403, 429, 503).

    `ticket_paths` are the paths whose event stream a stream ticket opens (GET, `Accept:
    text/event-stream`, no Authorization header); `calendar_paths` those of a member's own
    calendar feed, which a calendar ticket opens (GET, no Authorization header). On them a
    ticket used otherwise is refused; on other paths `ticket` is no credential at all (the
    route refuses an unknown parameter)."""

    def __init__(
        self,
        settings: Settings,
        ticket_paths: Iterable[str] = (),
        calendar_paths: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.cache_seconds = settings.api_key_cache_seconds
        self.ticket_paths = frozenset(ticket_paths)
        self.calendar_paths = frozenset(calendar_paths)

    async def __call__(self, scope: Scope) -> Principal:
        query_string = scope.get("query_string", b"")
        if _credentials_in_query(query_string):
            # URLs end up in logs and browser history; credentials never belong there.
            raise Unauthenticated(
                "Credentials in the query string are refused; use the Authorization header.",
                error="invalid_request",
            )
        path = scope["path"]
        if path in self.ticket_paths or path in self.calendar_paths:
            ticket = _ticket_in_query(query_string)
            if ticket is not None:
                digest = hash_key(ticket)
                if path in self.calendar_paths:
                    _check_calendar_ticket_use(scope)
                    return await self._checked(
                        scope,
                        digest,
                        lambda: self._principal_for_calendar_ticket(digest),
                        "The calendar ticket is unknown or was renewed or withdrawn, or its "
                        "member is no longer active: ask POST /v1/me/calendar-subscription/"
                        "_renew for a new URL.",
                    )
                _check_ticket_use(scope)
                return await self._checked(
                    scope,
                    digest,
                    lambda: self._principal_for_ticket(digest),
                    "The stream ticket is unknown or expired, or the key that asked for it was "
                    "revoked: ask POST /v1/changes/stream-tickets for a new one.",
                )
        token = _bearer_token(scope)
        digest = hash_key(token)
        return await self._checked(
            scope,
            digest,
            lambda: self._principal_for_bearer(token, digest),
            "The API key is unknown, revoked or expired.",
        )

    async def _principal_for_bearer(self, token: str, digest: str) -> Principal | None:
        if token.startswith(KEY_PREFIX):
            return await self._principal_for_key(digest)
        if self.settings.oidc_enabled and oidc.looks_like_jwt(token):
            return await self._principal_for_token(token)
        return None

    async def _checked(
        self,
        scope: Scope,
        digest: str,
        resolve: Callable[[], Awaitable[Principal | None]],
        refusal: str,
    ) -> Principal:
        """The caller that the credential with this digest stands for (`resolve` finds it);
        a credential known to fail is refused at once, a failing one counted."""
        client = scope["client"][0] if scope.get("client") else None
        failure_limit.refuse_known_failure(client, digest)
        try:
            principal = await resolve()
            if principal is None:
                raise Unauthenticated(refusal)
        except Unauthenticated:
            # Only presented credentials count: guessing is what the limit is for.
            await failure_limit.record_failure(
                client,
                digest,
                self.settings.auth_failure_limit,
                self.settings.auth_failure_window_seconds,
            )
            raise
        return principal

    async def _principal_for_ticket(self, digest: str) -> Principal | None:
        """Looked up on every use: a stream is opened once, and reconnects are seconds apart,
        so a cache would save little and delay a revocation."""
        async with database.reader.connect() as conn:
            row = await repository.ticket_by_digest(conn, digest)
        if (
            row is None
            or row.expires_at <= utcnow()
            or (row.member_id is not None and row.member_status != MemberStatus.ACTIVE)
            or (
                row.key_id is not None
                and (
                    row.key_revoked_at is not None
                    or (row.key_expires_at is not None and row.key_expires_at <= utcnow())
                )
            )
        ):
            return None
        return Principal(
            key_id=row.key_id,
            role=str(Role(row.role).value),
            name=row.name,
            member_id=row.member_id,
            via="stream-ticket",
            feed_types=tuple(row.types.split(",")) if row.types else None,
        )

    async def _principal_for_calendar_ticket(self, digest: str) -> Principal | None:
        """Looked up on every use: calendar programs ask every few hours at most. The caller
        is its member with the least role there is (reader): the route reads only the member."""
        async with database.reader.connect() as conn:
            row = await repository.calendar_ticket_by_digest(conn, digest)
        if row is None or row.member_status != MemberStatus.ACTIVE:
            return None
        return Principal(
            key_id=None,
            role=Role.READER.value,
            name="calendar subscription",
            member_id=row.member_id,
            via="calendar-ticket",
        )

    async def _principal_for_key(self, digest: str) -> Principal | None:
        hit, principal = key_cache.get(digest, self.cache_seconds)
        if hit:
            return principal
        async with database.reader.connect() as conn:
            row = await repository.key_by_digest(conn, digest)
        # A key that acts for a member works only while that member is active.
        member_gone = (
            row is not None
            and row.member_id is not None
            and (row.member_status != MemberStatus.ACTIVE)
        )
        if (
            row is None
            or member_gone
            or row.revoked_at is not None
            or (row.expires_at and row.expires_at <= utcnow())
        ):
            key_cache.put(digest, None, None)
            return None
        principal = Principal(
            key_id=row.id, role=str(Role(row.role).value), name=row.name, member_id=row.member_id
        )
        key_cache.put(digest, principal, row.expires_at.timestamp() if row.expires_at else None)
        return principal

    async def _principal_for_token(self, token: str) -> Principal:
        settings = self.settings
        claims = await oidc.verify(token, settings)
        role = oidc.role_from_claims(claims, settings.oidc_roles_claim)
        if role is None:
            raise Forbidden(
                f"The token's '{settings.oidc_roles_claim}' claim names no role of this API."
            )
        subject = claims.get(settings.oidc_member_claim)
        member_id = (
            await member_lookup.member_id(str(subject), self.cache_seconds) if subject else None
        )
        name = str(claims.get("name") or claims.get("preferred_username") or subject or "oidc user")
        return Principal(key_id=None, role=role, name=name[:200], member_id=member_id, via="oidc")
