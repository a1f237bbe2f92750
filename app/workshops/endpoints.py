"""HTTP routes of /v1/workshops and /v1/workshops/{workshopId}/attendees (with a member's own
sign-up at …/attendees/me), and the werkplaatsen as iCalendar feeds: all of them, and the
caller's own: /v1/calendars/workshops.ics and /v1/me/calendars/workshops.ics."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import (
    IDEMPOTENT,
    IfMatch,
    json_response,
    resource_headers,
    resource_response,
    written,
)
from app.core.openapi import CALENDAR_TICKET, READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.paths import MY_WORKSHOPS_CALENDAR
from app.core.permissions import AdminOnly, CanContribute, CanReadCommunity
from app.core.routes import ContractRoute
from app.core.schemas import Instant
from app.workshops import service
from app.workshops.calendar import CALENDAR, CalendarResponse
from app.workshops.schemas import (
    AttendeeCreate,
    AttendeePage,
    AttendeeRead,
    WorkshopCreate,
    WorkshopPage,
    WorkshopRead,
    WorkshopUpdate,
)

WorkshopId = Annotated[uuid.UUID, Path(alias="workshopId")]
MemberId = Annotated[uuid.UUID, Path(alias="memberId")]

router = APIRouter(prefix="/v1/workshops", tags=["workshops"], route_class=ContractRoute)
# The calendars, every werkplaats and the caller's own, outside /v1/workshops: a path below it
# would also match /v1/workshops/{workshopId}, which answers PATCH. /v1/me's other routes live
# in app/me.
calendar_router = APIRouter(tags=["workshops"], route_class=ContractRoute)

_CALENDAR_FORMAT = (
    " iCalendar (RFC 5545, `text/calendar`, UTF-8, CRLF line ends, lines folded at 75 octets): "
    "a VCALENDAR with METHOD:PUBLISH and a name (X-WR-CALNAME), and a VEVENT per werkplaats "
    "with a UID that never changes (`<workshopId>@leergemeenschap`), its start and end in UTC, "
    "SUMMARY, LOCATION, DESCRIPTION, STATUS (`CANCELLED` for a cancelled one, still listed so "
    "that a calendar removes it) and a SEQUENCE that grows with every change (its `version` minus "
    "1). Opens in Outlook, Google Calendar and Apple Calendar. At most the latest "
    "1,000 werkplaatsen."
)


def _calendar_responses(description: str, *codes: int) -> dict[int | str, dict[str, Any]]:
    declared = responses(200, description, *READ, *codes)
    example = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Leergemeenschap//…\r\n…"
    declared[200]["content"] = {CALENDAR: {"schema": {"type": "string"}, "example": example}}
    return declared


def _calendar(body: bytes, filename: str) -> Response:
    return CalendarResponse(
        body, headers={"Content-Disposition": f'inline; filename="{filename}.ics"'}
    )


@calendar_router.get(
    "/v1/calendars/workshops.ics",
    operation_id="workshops-calendar-get",
    summary="Every werkplaats as an iCalendar feed",
    description="Every werkplaats, cancelled ones included, as"
    + _CALENDAR_FORMAT
    + " Readable by every role except `sync`.",
    response_class=CalendarResponse,
    responses=_calendar_responses("Every werkplaats, as iCalendar."),
)
async def workshops_calendar(_: CanReadCommunity, conn: ReadDb) -> Response:
    return _calendar(await service.calendar_feed(conn), "werkplaatsen")


@calendar_router.get(
    MY_WORKSHOPS_CALENDAR,
    operation_id="me-workshops-calendar-get",
    summary="The werkplaatsen you signed up for, as an iCalendar feed",
    description="The werkplaatsen the caller's member signed up for (or attended), as"
    + _CALENDAR_FORMAT
    + " A werkplaats you withdrew from leaves the feed. For credentials bound to a member "
    "(an API key that acts for one, or an OIDC token mapped to one); other credentials get a "
    "404 that says so. Readable by every role except `sync`.\n\n"
    "**Subscribing.** A calendar program sends no Authorization header: subscribe it to the "
    "`url` that `POST /me/calendar-subscription/_renew` issues, this feed with a calendar "
    "ticket in `ticket`.",
    response_class=CalendarResponse,
    responses=_calendar_responses("Your werkplaatsen, as iCalendar.", 404),
    openapi_extra={
        "parameters": [
            {
                "name": "ticket",
                "in": "query",
                "required": False,
                "description": "For a calendar program only, which cannot send an "
                "Authorization header: your calendar ticket (`lgc_…`, in the `url` of "
                "`POST /me/calendar-subscription/_renew`), instead of that header. Anywhere "
                "else it is refused (401).",
                "schema": {"type": "string"},
            }
        ],
        "security": [{"bearerAuth": []}, {CALENDAR_TICKET: []}],
    },
)
async def my_workshops_calendar(principal: CanReadCommunity, conn: ReadDb) -> Response:
    return _calendar(await service.my_calendar_feed(conn, principal), "mijn-werkplaatsen")


@router.get(
    "",
    operation_id="workshops-list",
    summary="List workshops (werkplaatsen)",
    description=service.SORTING.description,
    response_model=WorkshopPage,
    responses=responses(200, "One page of workshops.", *READ, headers=("Link",)),
)
async def list_workshops(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    starts_after: Annotated[
        Instant | None,
        Query(alias="startsAfter", description="Only workshops starting at or after this."),
    ] = None,
    starts_before: Annotated[
        Instant | None,
        Query(alias="startsBefore", description="Only workshops starting before this."),
    ] = None,
    member_id: Annotated[
        uuid.UUID | None,
        Query(alias="memberId", description="Only workshops this member attended."),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Searches title, location and summary."),
    ] = None,
) -> Response:
    return await service.list_workshops(
        conn,
        request,
        page,
        starts_after=starts_after,
        starts_before=starts_before,
        attended_by=member_id,
        q=q,
    )


@router.post(
    "",
    operation_id="workshops-create",
    summary="Plan a workshop",
    status_code=201,
    response_model=WorkshopRead,
    responses=responses(201, "The workshop was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_workshop(
    request: Request, principal: AdminOnly, conn: WriteDb, data: WorkshopCreate
) -> Response:
    item = await service.create_workshop(conn, principal, data)
    location = str(request.url_for("workshops-get", workshopId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{workshopId}",
    operation_id="workshops-get",
    name="workshops-get",
    summary="Get a workshop",
    response_model=WorkshopRead,
    responses=responses(200, "The workshop.", *READ, 404, headers=("ETag",)),
)
async def get_workshop(_: CanReadCommunity, conn: ReadDb, workshop_id: WorkshopId) -> Response:
    return resource_response(await service.get_workshop(conn, workshop_id))


@router.patch(
    "/{workshopId}",
    operation_id="workshops-update",
    summary="Change a workshop (JSON Merge Patch)",
    response_model=WorkshopRead,
    responses=responses(200, "The changed workshop.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_workshop(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    workshop_id: WorkshopId,
    expected: IfMatch,
    patch: Annotated[WorkshopUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_workshop(conn, principal, workshop_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.get(
    "/{workshopId}/attendees",
    operation_id="workshop-attendees-list",
    summary="List who attended a workshop",
    description="Each item embeds the member's display name and department. "
    + service.ATTENDEE_SORTING.description,
    response_model=AttendeePage,
    responses=responses(200, "One page of attendees.", *READ, 404, headers=("Link",)),
)
async def list_attendees(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    workshop_id: WorkshopId,
    page: Annotated[PageRequest, Depends(service.ATTENDEE_SORTING.params)],
) -> Response:
    return await service.list_attendees(conn, request, workshop_id, page)


@router.post(
    "/{workshopId}/attendees",
    operation_id="workshop-attendees-create",
    summary="Record that a member attended",
    status_code=201,
    response_model=AttendeeRead,
    responses=responses(201, "The attendance was recorded.", *WRITE, 404, headers=("Location",)),
    dependencies=[IDEMPOTENT],
)
async def add_attendee(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    workshop_id: WorkshopId,
    data: AttendeeCreate,
) -> Response:
    item = await service.add_attendee(conn, principal, workshop_id, data)
    location = str(
        request.url_for("workshop-attendees-get", workshopId=workshop_id, memberId=data.member_id)
    )
    return await written(conn, request, item, status=201, headers={"Location": location})


_SIGN_UP_RULES = (
    "For credentials bound to a member (an API key that acts for one, or an OIDC token mapped "
    "to one) of the roles `member`, `facilitator` and `admin`; others get a 403."
)


@router.get(
    "/{workshopId}/attendees/me",
    operation_id="workshop-attendees-me-get",
    summary="Whether you signed up for a workshop",
    description="Your attendance, or a 404 when you have not signed up. " + _SIGN_UP_RULES,
    response_model=AttendeeRead,
    responses=responses(200, "Your attendance.", *READ, 404),
)
async def get_my_attendance(
    principal: CanContribute, conn: ReadDb, workshop_id: WorkshopId
) -> Response:
    return json_response(await service.my_attendance(conn, principal, workshop_id))


@router.put(
    "/{workshopId}/attendees/me",
    operation_id="workshop-attendees-sign-up",
    summary="Sign up for a workshop",
    description=(
        "Signs the caller's member up: 201 with the attendance, or 200 when already signed up "
        "(nothing changes). Takes no body. Only for a workshop that lies ahead, is not "
        "cancelled and has a place left: otherwise a 409 whose `reason` is `started`, "
        "`cancelled` or `full`. " + _SIGN_UP_RULES
    ),
    status_code=201,
    response_model=AttendeeRead,
    responses={
        **responses(201, "You are signed up.", *WRITE, 404, headers=("Location",)),
        200: {
            "description": "You were signed up already; nothing changed.",
            "model": AttendeeRead,
            "headers": {"Location": {"$ref": "#/components/headers/Location"}},
        },
    },
)
async def sign_up(
    request: Request, principal: CanContribute, conn: WriteDb, workshop_id: WorkshopId
) -> Response:
    item, created = await service.sign_up(conn, principal, workshop_id)
    location = str(
        request.url_for("workshop-attendees-get", workshopId=workshop_id, memberId=item["memberId"])
    )
    return await written(
        conn, request, item, status=201 if created else 200, headers={"Location": location}
    )


@router.delete(
    "/{workshopId}/attendees/me",
    operation_id="workshop-attendees-withdraw",
    summary="Withdraw from a workshop",
    description=(
        "Takes the caller's member off a workshop that lies ahead; 204 also when they were "
        "not signed up (the end state is the same). A workshop that has started keeps its "
        "attendance: 409 (`reason`: `started`). " + _SIGN_UP_RULES
    ),
    status_code=204,
    response_class=Response,
    responses=responses(204, "You are not signed up (any more).", *WRITE, 404),
)
async def withdraw(principal: CanContribute, conn: WriteDb, workshop_id: WorkshopId) -> Response:
    await service.withdraw(conn, principal, workshop_id)
    return Response(status_code=204)


@router.get(
    "/{workshopId}/attendees/{memberId}",
    operation_id="workshop-attendees-get",
    name="workshop-attendees-get",
    summary="Get one attendee of a workshop",
    response_model=AttendeeRead,
    responses=responses(200, "The attendee.", *READ, 404),
)
async def get_attendee(
    _: CanReadCommunity, conn: ReadDb, workshop_id: WorkshopId, member_id: MemberId
) -> Response:
    return json_response(await service.get_attendee(conn, workshop_id, member_id))


@router.delete(
    "/{workshopId}/attendees/{memberId}",
    operation_id="workshop-attendees-delete",
    summary="Remove a member from a workshop's attendees",
    status_code=204,
    response_class=Response,
    responses=responses(204, "The attendance was removed.", *WRITE, 404),
)
async def remove_attendee(
    principal: AdminOnly, conn: WriteDb, workshop_id: WorkshopId, member_id: MemberId
) -> Response:
    await service.remove_attendee(conn, principal, workshop_id, member_id)
    return Response(status_code=204)
