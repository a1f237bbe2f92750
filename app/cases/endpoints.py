"""HTTP routes of /v1/cases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.cases import service
from app.cases.models import CaseStatus
from app.cases.schemas import CaseCreate, CasePage, CaseRead, CaseUpdate
from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import CanManageGroups, CanReadCommunity
from app.core.query import ONE_OR_MORE, ONE_OR_MORE_HELP
from app.core.routes import ContractRoute

CaseId = Annotated[uuid.UUID, Path(alias="caseId")]

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=ContractRoute)


@router.get(
    "",
    operation_id="cases-list",
    summary="List cases",
    description="Each item embeds its learning group's name and its department. "
    + service.SORTING.description,
    response_model=CasePage,
    responses=responses(200, "One page of cases.", *READ, headers=("Link",)),
)
async def list_cases(
    request: Request,
    principal: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    learning_group_id: Annotated[uuid.UUID | None, Query(alias="learningGroupId")] = None,
    status: Annotated[
        list[CaseStatus] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    department_id: Annotated[uuid.UUID | None, Query(alias="departmentId")] = None,
    partner_organisation_id: Annotated[
        uuid.UUID | None,
        Query(alias="partnerOrganisationId", description="Only cases with this partner."),
    ] = None,
    presented_at_workshop_id: Annotated[
        uuid.UUID | None, Query(alias="presentedAtWorkshopId")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Searches title, description and outcome."),
    ] = None,
) -> Response:
    return await service.list_cases(
        conn,
        request,
        principal,
        page,
        learning_group_id=learning_group_id,
        status=status,
        department_id=department_id,
        partner_organisation_id=partner_organisation_id,
        presented_at_workshop_id=presented_at_workshop_id,
        q=q,
    )


@router.post(
    "",
    operation_id="cases-create",
    summary="Propose a case",
    description=(
        "Admins create any case; a facilitator creates cases for the groups they facilitate. "
        "A case starts `proposed`."
    ),
    status_code=201,
    response_model=CaseRead,
    responses=responses(201, "The case was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_case(
    request: Request, principal: CanManageGroups, conn: WriteDb, data: CaseCreate
) -> Response:
    item = await service.create_case(conn, principal, data)
    location = str(request.url_for("cases-get", caseId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{caseId}",
    operation_id="cases-get",
    name="cases-get",
    summary="Get a case",
    response_model=CaseRead,
    responses=responses(200, "The case.", *READ, 404, headers=("ETag",)),
)
async def get_case(principal: CanReadCommunity, conn: ReadDb, case_id: CaseId) -> Response:
    return resource_response(await service.get_case(conn, principal, case_id))


@router.patch(
    "/{caseId}",
    operation_id="cases-update",
    summary="Change a case (JSON Merge Patch)",
    description=(
        "Status changes follow the lifecycle; an illegal one is a 409 listing "
        "`allowedTransitions`. `partnerOrganisationIds` replaces the whole set."
    ),
    response_model=CaseRead,
    responses=responses(200, "The changed case.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_case(
    request: Request,
    principal: CanManageGroups,
    conn: WriteDb,
    case_id: CaseId,
    expected: IfMatch,
    patch: Annotated[CaseUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_case(conn, principal, case_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))
