"""Issuing and revoking API keys, issuing stream tickets, and a member's calendar subscription
URL. The secret is returned once, at creation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import trail
from app.auth import repository
from app.auth.authentication import (
    TICKET_PARAMETER,
    generate_calendar_ticket,
    generate_key,
    generate_ticket,
    hash_key,
    key_cache,
)
from app.auth.schemas import (
    ApiKeyCreated,
    ApiKeyRead,
    CalendarSubscription,
    CalendarSubscriptionIssued,
    StreamTicketCreated,
)
from app.changes.service import readable
from app.core.context import Principal
from app.core.db import database
from app.core.errors import Conflict, InvalidInput, InvalidParam, NotFound
from app.core.models import table_of, utcnow
from app.core.pagination import PageRequest
from app.core.paths import MY_WORKSHOPS_CALENDAR
from app.core.permissions import Role, ensure_admin, own_member
from app.core.repository import list_page, require_references
from app.members import repository as members
from app.members.models import Member, MemberStatus

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
    if member_id is not None:
        await _ensure_active(conn, member_id)
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


async def _ensure_active(conn: AsyncConnection, member_id: uuid.UUID) -> None:
    """A key acts for its member only while they are active: one for an inactive member
    would be refused at every request."""
    member = await members.get(conn, member_id)
    if member["status"] != MemberStatus.ACTIVE:
        erased = member["erasedAt"] is not None
        raise Conflict(
            "This member's personal data was erased; no key can act for them."
            if erased
            else "This member is inactive, and a key acts for its member only while they are "
            "active; reactivate the member first.",
            extra={"memberId": str(member_id), "memberStatus": str(member["status"])},
        )


async def revoke_key(conn: AsyncConnection, principal: Principal, key_id: uuid.UUID) -> ApiKeyRead:
    ensure_admin(principal, "revoke API keys")
    current = await repository.get(conn, key_id)
    if current["revokedAt"] is None:
        await repository.revoke(conn, key_id, utcnow())
        await trail.record(conn, "api-keys-revoke", OBJECT, key_id)
        # This worker forgets at once; the others within API_KEY_CACHE_SECONDS.
        key_cache.clear()
    return await repository.get(conn, key_id)


TICKET_OBJECT = "stream-ticket"
# Where a ticket is good: the change feed's event stream.
STREAM_PATH = "/v1/changes"


async def issue_stream_ticket(
    conn: AsyncConnection, principal: Principal, types: list[str] | None
) -> StreamTicketCreated:
    """A stream ticket acting as `principal`, for the types asked (each one the caller may
    read: 400 for an unknown type, 403 for one its role may not read). Expired tickets are
    removed on the way."""
    shown = sorted(set(readable(principal, types, "body"))) if types else None
    now = utcnow()
    expires_at = now + timedelta(seconds=database.settings.stream_ticket_seconds)
    await repository.delete_tickets_expired_before(conn, now)
    ticket = generate_ticket()
    ticket_id = await repository.create_ticket(
        conn,
        {
            "ticket_hash": hash_key(ticket),
            "key_id": principal.key_id,
            "role": Role(principal.role),
            "name": principal.name[:200],
            "member_id": principal.member_id,
            "types": ",".join(shown) if shown else None,
            "created_at": now,
            "expires_at": expires_at,
        },
    )
    await trail.record(
        conn,
        "stream-tickets-create",
        TICKET_OBJECT,
        ticket_id,
        detail={"types": shown, "expiresAt": expires_at.isoformat()},
        principal=principal,
    )
    query = {TICKET_PARAMETER: ticket, **({"types": ",".join(shown)} if shown else {})}
    return {
        "ticket": ticket,
        "expiresAt": expires_at,
        "types": shown,
        "href": f"{STREAM_PATH}?{urlencode(query, safe=',')}",
    }


CALENDAR_OBJECT = "calendar-ticket"


async def calendar_subscription(
    conn: AsyncConnection, principal: Principal
) -> CalendarSubscription:
    """Whether the caller's member has a calendar subscription URL, and since when."""
    issued_at = await repository.calendar_ticket_issued_at(conn, own_member(principal))
    if issued_at is None:
        raise NotFound(
            "You have no calendar subscription URL: POST /v1/me/calendar-subscription/_renew "
            "issues one."
        )
    return {"createdAt": issued_at}


async def renew_calendar_subscription(
    conn: AsyncConnection, principal: Principal, origin: str
) -> CalendarSubscriptionIssued:
    """A new subscription URL for the caller's member's own werkplaatsen feed; the earlier
    one, if any, stops working now. `origin` is the API's origin as the caller reached it."""
    member_id = own_member(principal)
    await repository.delete_calendar_ticket(conn, member_id)
    ticket = generate_calendar_ticket()
    now = utcnow()
    ticket_id = await repository.create_calendar_ticket(conn, member_id, hash_key(ticket), now)
    await trail.record(
        conn, "calendar-subscription-renew", CALENDAR_OBJECT, ticket_id, principal=principal
    )
    href = f"{MY_WORKSHOPS_CALENDAR}?{urlencode({TICKET_PARAMETER: ticket})}"
    return {"createdAt": now, "ticket": ticket, "href": href, "url": origin.rstrip("/") + href}


async def withdraw_calendar_subscription(conn: AsyncConnection, principal: Principal) -> None:
    """The caller's member's subscription URL stops working; 404 when there is none."""
    ticket_id = await repository.delete_calendar_ticket(conn, own_member(principal))
    if ticket_id is None:
        raise NotFound("You have no calendar subscription URL to withdraw.")
    await trail.record(
        conn, "calendar-subscription-withdraw", CALENDAR_OBJECT, ticket_id, principal=principal
    )
