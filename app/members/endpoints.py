"""HTTP routes of /v1/members."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import Response
from pydantic import Field

from app.core.db import WriteDb
from app.core.http import IDEMPOTENT, IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageQuery
from app.core.permissions import AdminOnly, CanEditMembers, CanReadDirectory
from app.core.query import query_openapi, read_query
from app.core.routes import ContractRoute
from app.members import service
from app.members.models import MemberSource, MemberStatus, Participation
from app.members.schemas import MemberCreate, MemberPage, MemberRead, MemberUpdate

MemberId = Annotated[uuid.UUID, Path(alias="memberId")]

router = APIRouter(prefix="/v1/members", tags=["members"], route_class=ContractRoute)


class MemberListQuery(PageQuery):
    department_id: uuid.UUID | None = Field(None, alias="departmentId")
    organisation_id: uuid.UUID | None = Field(None, alias="organisationId")
    participation: Participation | None = None
    status: MemberStatus | None = None
    source: MemberSource | None = None
    external_id: str | None = Field(None, alias="externalId", max_length=200)
    email: str | None = Field(None, max_length=320, description="Exact, any case.")
    q: str | None = Field(None, max_length=200, description="Searches names and e-mail address.")
    sort: str | None = service.SORTING.sort_field()


@router.get(
    "",
    operation_id="members-list",
    summary="List members",
    description=(
        "Each item embeds its department's code and name. "
        + service.SORTING.description
        + " Names sort and `q` searches regardless of case and diacritics (ozturk finds "
        "Öztürk); familyName sorts the Dutch way, after its tussenvoegsels (van den Berg "
        "under B, 't Hart under H)."
    ),
    response_model=MemberPage,
    responses=responses(200, "One page of members.", *READ, headers=("Link",)),
    openapi_extra=query_openapi(MemberListQuery),
)
async def list_members(request: Request, _: CanReadDirectory) -> Response:
    query = read_query(MemberListQuery, request)
    return await service.list_members(request, query.page, query.filters())


@router.post(
    "",
    operation_id="members-create",
    summary="Create a member",
    status_code=201,
    response_model=MemberRead,
    responses=responses(201, "The member was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_member(
    request: Request, principal: AdminOnly, conn: WriteDb, data: MemberCreate
) -> Response:
    item = await service.create_member(conn, principal, data)
    location = str(request.url_for("members-get", memberId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{memberId}",
    operation_id="members-get",
    name="members-get",
    summary="Get a member",
    response_model=MemberRead,
    responses=responses(200, "The member.", *READ, 404, headers=("ETag",)),
)
async def get_member(_: CanReadDirectory, member_id: MemberId) -> Response:
    return resource_response(await service.get_member(member_id))


@router.patch(
    "/{memberId}",
    operation_id="members-update",
    summary="Change a member (JSON Merge Patch)",
    description=(
        "Admins change any field. A member changes only their own community fields "
        "(displayName, participation, transitionRoles, discipline). Fields a sync manages "
        "(name, e-mail, department, externalId) are read-only here (409). Setting `status` "
        "to inactive ends what the member takes part in, as DELETE does."
    ),
    response_model=MemberRead,
    responses=responses(200, "The changed member.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_member(
    request: Request,
    principal: CanEditMembers,
    conn: WriteDb,
    member_id: MemberId,
    expected: IfMatch,
    patch: Annotated[MemberUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_member(conn, principal, member_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.delete(
    "/{memberId}",
    operation_id="members-delete",
    summary="Deactivate a member (never erased: status becomes inactive)",
    description=(
        "The member stays, inactive. Their current group memberships end (kept as history, "
        "with leftAt) and their sign-ups for werkplaatsen that have not started go; "
        "reactivating them restores neither. Deactivating an inactive member changes nothing."
    ),
    response_model=MemberRead,
    responses=responses(200, "The deactivated member.", *WRITE, 404, 412, headers=("ETag",)),
)
async def deactivate_member(
    request: Request, principal: AdminOnly, conn: WriteDb, member_id: MemberId, expected: IfMatch
) -> Response:
    item = await service.deactivate_member(conn, principal, member_id, expected)
    return await written(conn, request, item, headers=resource_headers(item))
