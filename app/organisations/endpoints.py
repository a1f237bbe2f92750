"""HTTP routes of /v1/organisations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly, CanReadCommunity
from app.core.routes import ContractRoute
from app.organisations import service
from app.organisations.models import OrganisationKind
from app.organisations.schemas import (
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
    OrganisationUpdate,
)

OrganisationId = Annotated[uuid.UUID, Path(alias="organisationId")]

router = APIRouter(prefix="/v1/organisations", tags=["organisations"], route_class=ContractRoute)


@router.get(
    "",
    operation_id="organisations-list",
    summary="List organisations (partners)",
    description=service.SORTING.description,
    response_model=OrganisationPage,
    responses=responses(200, "One page of organisations.", *READ, headers=("Link",)),
)
async def list_organisations(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    kind: Annotated[OrganisationKind | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="Searches the name.")] = None,
) -> Response:
    return await service.list_organisations(conn, request, page, kind=kind, q=q)


@router.post(
    "",
    operation_id="organisations-create",
    summary="Register an organisation",
    status_code=201,
    response_model=OrganisationRead,
    responses=responses(
        201, "The organisation was registered.", *WRITE, headers=("Location", "ETag")
    ),
    dependencies=[IDEMPOTENT],
)
async def create_organisation(
    request: Request, principal: AdminOnly, conn: WriteDb, data: OrganisationCreate
) -> Response:
    item = await service.create_organisation(conn, principal, data)
    location = str(request.url_for("organisations-get", organisationId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{organisationId}",
    operation_id="organisations-get",
    name="organisations-get",
    summary="Get an organisation",
    response_model=OrganisationRead,
    responses=responses(200, "The organisation.", *READ, 404, headers=("ETag",)),
)
async def get_organisation(
    _: CanReadCommunity, conn: ReadDb, organisation_id: OrganisationId
) -> Response:
    return resource_response(await service.get_organisation(conn, organisation_id))


@router.patch(
    "/{organisationId}",
    operation_id="organisations-update",
    summary="Change an organisation (JSON Merge Patch)",
    response_model=OrganisationRead,
    responses=responses(200, "The changed organisation.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_organisation(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    organisation_id: OrganisationId,
    expected: IfMatch,
    patch: Annotated[OrganisationUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_organisation(conn, principal, organisation_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))
