"""HTTP routes of /v1/workshops and /v1/workshops/{workshopId}/attendees."""

from __future__ import annotations

import uuid
from typing import Annotated

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
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly, CanReadCommunity
from app.core.routes import ContractRoute
from app.core.schemas import Instant
from app.workshops import service
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
