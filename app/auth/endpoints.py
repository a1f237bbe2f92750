"""HTTP routes of /v1/api-keys, for admins; of /v1/changes/stream-tickets, the change feed's
credentials for browsers; and of /v1/me/calendar-subscription, a member's calendar URL."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import Response

from app.auth import service
from app.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyRead,
    CalendarSubscription,
    CalendarSubscriptionIssued,
    StreamTicketCreate,
    StreamTicketCreated,
)
from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, json_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly, Authenticated, CanReadCommunity
from app.core.routes import ContractRoute

KeyId = Annotated[uuid.UUID, Path(alias="keyId")]

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"], route_class=ContractRoute)
stream_tickets_router = APIRouter(
    prefix="/v1/changes/stream-tickets", tags=["changes"], route_class=ContractRoute
)
calendar_subscription_router = APIRouter(
    prefix="/v1/me/calendar-subscription", tags=["me"], route_class=ContractRoute
)


@router.get(
    "",
    operation_id="api-keys-list",
    summary="List API keys (never their secrets)",
    response_model=ApiKeyPage,
    responses=responses(200, "One page of API keys.", *READ, headers=("Link",)),
)
async def list_keys(
    request: Request,
    _: AdminOnly,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
) -> Response:
    return await service.list_keys(conn, request, page)


@router.post(
    "",
    operation_id="api-keys-create",
    summary="Issue an API key (the key is shown once)",
    description=(
        "A member or facilitator key acts for one member (`memberId`), any other may. A key "
        "acts for its member only while they are active: one for an inactive member is a 409."
    ),
    status_code=201,
    response_model=ApiKeyCreated,
    responses=responses(201, "The key, shown this once.", *WRITE, headers=("Location",)),
    dependencies=[IDEMPOTENT],
)
async def create_key(
    request: Request, principal: AdminOnly, conn: WriteDb, data: ApiKeyCreate
) -> Response:
    item = await service.issue_key(
        conn,
        principal,
        name=data.name,
        role=data.role,
        member_id=data.member_id,
        expires_at=data.expires_at,
    )
    location = str(request.url_for("api-keys-get", keyId=item["id"]))
    # A retry with the same Idempotency-Key gets the key's metadata, never the secret again.
    redacted: ApiKeyCreated = {**item, "key": item["prefix"] + "…"}
    return await written(
        conn, request, item, status=201, headers={"Location": location}, replay=redacted
    )


@router.get(
    "/{keyId}",
    operation_id="api-keys-get",
    name="api-keys-get",
    summary="Get an API key's metadata",
    response_model=ApiKeyRead,
    responses=responses(200, "The key's metadata.", *READ, 404),
)
async def get_key(_: AdminOnly, conn: ReadDb, key_id: KeyId) -> Response:
    return json_response(await service.get_key(conn, key_id))


@router.delete(
    "/{keyId}",
    operation_id="api-keys-delete",
    summary="Revoke an API key",
    response_model=ApiKeyRead,
    responses=responses(200, "The revoked key.", *WRITE, 404),
)
async def revoke_key(
    request: Request, principal: AdminOnly, conn: WriteDb, key_id: KeyId
) -> Response:
    item = await service.revoke_key(conn, principal, key_id)
    return await written(conn, request, item)


# Without a body: a ticket for every type the caller reads.
NO_TYPES = StreamTicketCreate()


@stream_tickets_router.post(
    "",
    operation_id="stream-tickets-create",
    summary="Get a ticket for the change feed's event stream (browsers' EventSource)",
    description=(
        "A browser's `EventSource` cannot send an Authorization header, and this API takes no "
        "API key or token in a URL. A stream ticket stands in for the caller on one thing "
        "only: `GET /changes` with `Accept: text/event-stream` (the event stream), opened "
        "with the answer's `href`: `new EventSource(href)`. It acts with the caller's role "
        "and member, for the resource types asked (`types`; else all the role reads), for "
        "`STREAM_TICKET_SECONDS` (5 minutes), reconnects included; it stops working at once "
        "when the key that asked for it is revoked. Anywhere else it is refused (401). A "
        "stream that has ended, or a ticket that has expired, needs a new ticket: open its "
        "`href` with `after` = the last event's `id`. Only a hash of the ticket is kept; a "
        "retry with the same Idempotency-Key is answered without it. Every role may ask."
    ),
    status_code=201,
    response_model=StreamTicketCreated,
    responses=responses(201, "The ticket, shown this once.", *WRITE),
    dependencies=[IDEMPOTENT],
)
async def create_stream_ticket(
    request: Request,
    principal: Authenticated,
    conn: WriteDb,
    data: Annotated[StreamTicketCreate, Body()] = NO_TYPES,
) -> Response:
    item = await service.issue_stream_ticket(conn, principal, data.types)
    redacted: StreamTicketCreated = {**item, "ticket": item["ticket"][:8] + "…", "href": "…"}
    return await written(conn, request, item, status=201, replay=redacted)


_CALENDAR_BOUND = (
    " For credentials bound to a member (an API key that acts for one, or an OIDC token mapped "
    "to one); other credentials get a 404 that says so. Every role except `sync`."
)


@calendar_subscription_router.get(
    "",
    operation_id="me-calendar-subscription-get",
    summary="Whether you have a calendar subscription URL, and since when",
    description=(
        "A calendar program subscribes to your werkplaatsen feed (`GET /me/calendars/"
        "workshops.ics`) by a URL with a calendar ticket in it, as it can send no "
        "Authorization header. The URL is shown only when it is issued; this says since when "
        "the one in use exists (404: none)." + _CALENDAR_BOUND
    ),
    response_model=CalendarSubscription,
    responses=responses(200, "Since when your subscription URL exists.", *READ, 404),
)
async def get_calendar_subscription(principal: CanReadCommunity, conn: ReadDb) -> Response:
    return json_response(await service.calendar_subscription(conn, principal))


@calendar_subscription_router.post(
    "/_renew",
    operation_id="me-calendar-subscription-renew",
    summary="Get a new calendar subscription URL for your werkplaatsen",
    description=(
        "Issues the URL that Outlook (Add calendar, From internet), Google Calendar (From URL) "
        "or Apple Calendar subscribes to: your werkplaatsen feed, `GET /me/calendars/"
        "workshops.ics`, with a calendar ticket (`lgc_…`) in its `ticket` parameter instead "
        "of an Authorization header. The ticket opens that feed and nothing else, only with "
        "GET and without an Authorization header (anything else is a 401), for as long as "
        "you are an active member; the feed stays yours as you sign up and withdraw. A "
        "member has one URL at a time: renewing it (for example when it was shared by "
        "mistake) ends the earlier one at once, and `DELETE` ends it. Only a hash of the "
        "ticket is kept; a retry with the same Idempotency-Key is answered without it."
        + _CALENDAR_BOUND
    ),
    status_code=201,
    response_model=CalendarSubscriptionIssued,
    responses=responses(201, "The new URL, shown this once.", *WRITE, 404),
    dependencies=[IDEMPOTENT],
)
async def renew_calendar_subscription(
    request: Request, principal: CanReadCommunity, conn: WriteDb
) -> Response:
    origin = str(request.base_url)
    item = await service.renew_calendar_subscription(conn, principal, origin)
    redacted: CalendarSubscriptionIssued = {
        **item,
        "ticket": item["ticket"][:8] + "…",
        "href": "…",
        "url": "…",
    }
    return await written(conn, request, item, status=201, replay=redacted)


@calendar_subscription_router.delete(
    "",
    operation_id="me-calendar-subscription-delete",
    summary="Withdraw your calendar subscription URL",
    description=(
        "Your subscription URL stops working at once (a calendar that still asks gets a 401); "
        "404 when you have none." + _CALENDAR_BOUND
    ),
    status_code=204,
    responses=responses(204, "Withdrawn.", *WRITE, 404),
)
async def delete_calendar_subscription(
    request: Request, principal: CanReadCommunity, conn: WriteDb
) -> Response:
    await service.withdraw_calendar_subscription(conn, principal)
    return Response(status_code=204)
