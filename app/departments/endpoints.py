"""HTTP routes of /v1/departments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly, CanReadDirectory
from app.core.routes import ContractRoute
from app.departments import service
from app.departments.models import DepartmentKind
from app.departments.schemas import (
    DepartmentCreate,
    DepartmentPage,
    DepartmentRead,
    DepartmentUpdate,
)

DepartmentId = Annotated[uuid.UUID, Path(alias="departmentId")]

router = APIRouter(prefix="/v1/departments", tags=["departments"], route_class=ContractRoute)


@router.get(
    "",
    operation_id="departments-list",
    summary="List departments",
    response_model=DepartmentPage,
    responses=responses(200, "One page of departments.", *READ, headers=("Link",)),
)
async def list_departments(
    request: Request,
    _: CanReadDirectory,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    kind: Annotated[DepartmentKind | None, Query()] = None,
    parent_id: Annotated[uuid.UUID | None, Query(alias="parentId")] = None,
    active: Annotated[bool | None, Query()] = None,
    code: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Searches name and code.")] = None,
) -> Response:
    return await service.list_departments(
        conn, request, page, kind=kind, parent_id=parent_id, active=active, code=code, q=q
    )


@router.post(
    "",
    operation_id="departments-create",
    summary="Create a department",
    status_code=201,
    response_model=DepartmentRead,
    responses=responses(201, "The department was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_department(
    request: Request, principal: AdminOnly, conn: WriteDb, data: DepartmentCreate
) -> Response:
    item = await service.create_department(conn, principal, data)
    location = str(request.url_for("departments-get", departmentId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{departmentId}",
    operation_id="departments-get",
    name="departments-get",
    summary="Get a department",
    response_model=DepartmentRead,
    responses=responses(200, "The department.", *READ, 404, headers=("ETag",)),
)
async def get_department(
    _: CanReadDirectory, conn: ReadDb, department_id: DepartmentId
) -> Response:
    return resource_response(await service.get_department(conn, department_id))


@router.patch(
    "/{departmentId}",
    operation_id="departments-update",
    summary="Change a department (JSON Merge Patch)",
    response_model=DepartmentRead,
    responses=responses(200, "The changed department.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_department(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    department_id: DepartmentId,
    expected: IfMatch,
    patch: Annotated[DepartmentUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_department(conn, principal, department_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.delete(
    "/{departmentId}",
    operation_id="departments-delete",
    summary="Archive a department (it is kept, with active set to false)",
    response_model=DepartmentRead,
    responses=responses(200, "The archived department.", *WRITE, 404, 412, headers=("ETag",)),
)
async def archive_department(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    department_id: DepartmentId,
    expected: IfMatch,
) -> Response:
    item = await service.archive_department(conn, principal, department_id, expected)
    return await written(conn, request, item, headers=resource_headers(item))
