"""HTTP routes of /v1/learning-groups and their memberships."""

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
from app.core.permissions import AdminOnly, CanJoinGroups, CanManageGroups, CanReadCommunity
from app.core.query import ONE_OR_MORE, ONE_OR_MORE_HELP
from app.core.routes import ContractRoute
from app.learning_groups import service
from app.learning_groups.models import GroupMode, GroupStatus, MembershipRole
from app.learning_groups.schemas import (
    GroupCreate,
    GroupDetail,
    GroupPage,
    GroupUpdate,
    MembershipCreate,
    MembershipPage,
    MembershipRead,
    MembershipUpdate,
)

GroupId = Annotated[uuid.UUID, Path(alias="groupId")]
MembershipId = Annotated[uuid.UUID, Path(alias="membershipId")]

router = APIRouter(
    prefix="/v1/learning-groups", tags=["learning-groups"], route_class=ContractRoute
)


@router.get(
    "",
    operation_id="learning-groups-list",
    summary="List learning groups",
    description="Each item embeds its theme and facilitator organisation. "
    + service.SORTING.description,
    response_model=GroupPage,
    responses=responses(200, "One page of learning groups.", *READ, headers=("Link",)),
)
async def list_groups(
    request: Request,
    principal: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    theme_id: Annotated[uuid.UUID | None, Query(alias="themeId")] = None,
    mode: Annotated[
        list[GroupMode] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    status: Annotated[
        list[GroupStatus] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    member_id: Annotated[
        uuid.UUID | None,
        Query(alias="memberId", description="Only groups this member is in now."),
    ] = None,
    facilitator_organisation_id: Annotated[
        uuid.UUID | None, Query(alias="facilitatorOrganisationId")
    ] = None,
    formed_at_workshop_id: Annotated[uuid.UUID | None, Query(alias="formedAtWorkshopId")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Searches name and description.")
    ] = None,
) -> Response:
    return await service.list_groups(
        conn,
        request,
        principal,
        page,
        theme_id=theme_id,
        mode=mode,
        status=status,
        member_id=member_id,
        facilitator_organisation_id=facilitator_organisation_id,
        formed_at_workshop_id=formed_at_workshop_id,
        q=q,
    )


@router.post(
    "",
    operation_id="learning-groups-create",
    summary="Create a learning group (it starts forming)",
    status_code=201,
    response_model=GroupDetail,
    responses=responses(
        201, "The learning group was created.", *WRITE, headers=("Location", "ETag")
    ),
    dependencies=[IDEMPOTENT],
)
async def create_group(
    request: Request, principal: AdminOnly, conn: WriteDb, data: GroupCreate
) -> Response:
    item = await service.create_group(conn, principal, data)
    location = str(request.url_for("learning-groups-get", groupId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{groupId}",
    operation_id="learning-groups-get",
    name="learning-groups-get",
    summary="Get a learning group with its theme, facilitator organisation and current members",
    response_model=GroupDetail,
    responses=responses(200, "The learning group.", *READ, 404, headers=("ETag",)),
)
async def get_group(principal: CanReadCommunity, group_id: GroupId) -> Response:
    return resource_response(await service.get_group(principal, group_id))


@router.patch(
    "/{groupId}",
    operation_id="learning-groups-update",
    summary="Change a learning group (JSON Merge Patch)",
    description=(
        "Admins change any group; facilitators the groups they facilitate. Status changes "
        "follow the lifecycle; an illegal one is a 409 listing `allowedTransitions`."
    ),
    response_model=GroupDetail,
    responses=responses(200, "The changed learning group.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_group(
    request: Request,
    principal: CanManageGroups,
    conn: WriteDb,
    group_id: GroupId,
    expected: IfMatch,
    patch: Annotated[GroupUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_group(conn, principal, group_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.get(
    "/{groupId}/memberships",
    operation_id="learning-group-memberships-list",
    summary="List a group's memberships, past ones included",
    description=service.MEMBERSHIP_SORTING.description,
    response_model=MembershipPage,
    responses=responses(200, "One page of memberships.", *READ, 404, headers=("Link",)),
)
async def list_memberships(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    group_id: GroupId,
    page: Annotated[PageRequest, Depends(service.MEMBERSHIP_SORTING.params)],
    current: Annotated[
        bool | None,
        Query(description="true: only memberships that have not ended; false: only ended ones."),
    ] = None,
    member_id: Annotated[uuid.UUID | None, Query(alias="memberId")] = None,
    role: Annotated[MembershipRole | None, Query()] = None,
) -> Response:
    return await service.list_memberships(
        conn, request, group_id, page, current=current, member_id=member_id, role=role
    )


@router.post(
    "/{groupId}/memberships",
    operation_id="learning-group-memberships-create",
    summary="Join a learning group (or add a member to it)",
    description=(
        "Admins and the group's facilitators add anyone with any role. A member joins only "
        "themself, with role `member`, while the group is forming or active. Joining twice "
        "is a 409."
    ),
    status_code=201,
    response_model=MembershipRead,
    responses=responses(201, "The membership was created.", *WRITE, 404, headers=("Location",)),
    dependencies=[IDEMPOTENT],
)
async def join_group(
    request: Request,
    principal: CanJoinGroups,
    conn: WriteDb,
    group_id: GroupId,
    data: MembershipCreate,
) -> Response:
    item = await service.join_group(conn, principal, group_id, data)
    location = str(
        request.url_for("learning-group-memberships-get", groupId=group_id, membershipId=item["id"])
    )
    return await written(conn, request, item, status=201, headers={"Location": location})


@router.get(
    "/{groupId}/memberships/{membershipId}",
    operation_id="learning-group-memberships-get",
    name="learning-group-memberships-get",
    summary="Get one membership",
    response_model=MembershipRead,
    responses=responses(200, "The membership.", *READ, 404),
)
async def get_membership(
    _: CanReadCommunity, conn: ReadDb, group_id: GroupId, membership_id: MembershipId
) -> Response:
    return json_response(await service.get_membership(conn, group_id, membership_id))


@router.patch(
    "/{groupId}/memberships/{membershipId}",
    operation_id="learning-group-memberships-update",
    summary="Leave (set leftAt) or change the role (JSON Merge Patch)",
    description=(
        "A member ends their own membership while the group is forming or active; admins and "
        "the group's facilitators end any and change roles. An ended membership is history "
        "and does not change (409)."
    ),
    response_model=MembershipRead,
    responses=responses(200, "The changed membership.", *WRITE, 404),
)
async def change_membership(
    request: Request,
    principal: CanJoinGroups,
    conn: WriteDb,
    group_id: GroupId,
    membership_id: MembershipId,
    patch: Annotated[MembershipUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.change_membership(conn, principal, group_id, membership_id, patch)
    return await written(conn, request, item)


@router.delete(
    "/{groupId}/memberships/{membershipId}",
    operation_id="learning-group-memberships-delete",
    summary="Leave a learning group now (the membership is kept, with leftAt set)",
    response_model=MembershipRead,
    responses=responses(200, "The ended membership.", *WRITE, 404),
)
async def leave_group(
    request: Request,
    principal: CanJoinGroups,
    conn: WriteDb,
    group_id: GroupId,
    membership_id: MembershipId,
) -> Response:
    item = await service.leave_group(conn, principal, group_id, membership_id)
    return await written(conn, request, item)
