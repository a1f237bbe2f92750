"""HTTP routes of the caller's own notifications: /v1/me/notifications and its settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field

from app.core.context import Principal
from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, json_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import KeysetQuery
from app.core.permissions import Authenticated, own_member
from app.core.query import query_openapi, read_query
from app.core.routes import ContractRoute
from app.notifications import service
from app.notifications.schemas import (
    NotificationPage,
    NotificationSettings,
    NotificationSettingsInput,
    ReadMark,
    ReadMarked,
)

router = APIRouter(prefix="/v1/me", tags=["me"], route_class=ContractRoute)


async def _bound(principal: Authenticated) -> Principal:
    """The caller, when bound to a member; a 404 before the body is read, when not."""
    own_member(principal)
    return principal


Me = Annotated[Principal, Depends(_bound)]


class InboxQuery(KeysetQuery):
    """Read as one model in the route's body (app/core/query.py): cheaper than FastAPI solving
    each declared parameter, on a page a member's app asks for again and again."""

    sort: str | None = service.SORTING.sort_field()
    unread: bool | None = Field(
        None, description="`true`: only unread ones; `false`: only read ones."
    )


BOUND = (
    "For any credential that acts for a member: an API key issued with a `memberId`, or an "
    "OIDC token whose member claim names a member. Any other credential has no 'me' (404)."
)


@router.get(
    "/notifications",
    operation_id="me-notifications-list",
    summary="List your notifications, newest first",
    description=(
        "Your inbox: what happened that concerns you (see `kind`), each written in the same "
        "transaction as its cause. `unread=true` lists only those not yet marked read. "
        + service.SORTING.description
        + " "
        + BOUND
    ),
    response_model=NotificationPage,
    responses=responses(200, "One page of your notifications.", *READ, 404, headers=("Link",)),
    openapi_extra=query_openapi(InboxQuery),
)
async def list_notifications(request: Request, principal: Authenticated) -> Response:
    query = read_query(InboxQuery, request)
    return await service.list_inbox(request, principal, query.page, unread=query.unread)


@router.post(
    "/notifications/_read",
    operation_id="me-notifications-read",
    summary="Mark your notifications read, up to one of them or all",
    description=(
        '`{"upTo": id}` marks that notification and every earlier one of yours read; '
        '`{"all": true}` marks all of yours. An id that is not one of your notifications is '
        "a 404. Marking what is read already changes nothing. " + BOUND
    ),
    response_model=ReadMarked,
    responses=responses(200, "How many were marked, and how many are unread.", *WRITE, 404),
    dependencies=[IDEMPOTENT],
)
async def mark_read(request: Request, principal: Me, conn: WriteDb, data: ReadMark) -> Response:
    return await written(conn, request, await service.mark_read(conn, principal, data))


@router.get(
    "/notification-settings",
    operation_id="me-notification-settings-get",
    summary="Get which kinds of notification you receive",
    description="Every kind, each on unless you turned it off. " + BOUND,
    response_model=NotificationSettings,
    responses=responses(200, "Your settings.", *READ, 404),
)
async def get_settings(principal: Me, conn: ReadDb) -> Response:
    return json_response(await service.get_settings(conn, principal))


@router.put(
    "/notification-settings",
    operation_id="me-notification-settings-replace",
    summary="Choose which kinds of notification you receive",
    description=(
        "Replaces your settings: each kind named with `enabled: false` is turned off, every "
        "other kind is on. A kind turned off is not written to your inbox from then on. " + BOUND
    ),
    response_model=NotificationSettings,
    responses=responses(200, "Your settings, as they are now.", *WRITE, 404),
)
async def put_settings(
    request: Request, principal: Me, conn: WriteDb, data: NotificationSettingsInput
) -> Response:
    return await written(conn, request, await service.put_settings(conn, principal, data))
