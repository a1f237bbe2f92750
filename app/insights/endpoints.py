"""HTTP routes of /v1/insights."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import CanContribute, CanReadCommunity
from app.core.query import ONE_OR_MORE, ONE_OR_MORE_HELP
from app.core.routes import ContractRoute
from app.insights import service
from app.insights.models import Adoption
from app.insights.schemas import InsightCreate, InsightPage, InsightRead, InsightUpdate

InsightId = Annotated[uuid.UUID, Path(alias="insightId")]

router = APIRouter(prefix="/v1/insights", tags=["insights"], route_class=ContractRoute)

WHO_MAY_WRITE = (
    "Admins manage every insight. Members and facilitators capture insights (adoption "
    "`captured`) and edit the ones they captured while they are still `captured`; only an "
    "admin advances adoption or records adopting departments. Readers read; sync keys have "
    "no access."
)


@router.get(
    "",
    operation_id="insights-list",
    summary="List insights",
    description="Each item lists the departments that adopted it. " + service.SORTING.description,
    response_model=InsightPage,
    responses=responses(200, "One page of insights.", *READ, headers=("Link",)),
)
async def list_insights(
    request: Request,
    principal: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    adoption: Annotated[
        list[Adoption] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
    department_id: Annotated[
        uuid.UUID | None,
        Query(alias="departmentId", description="Insights this department adopted."),
    ] = None,
    source_case_id: Annotated[uuid.UUID | None, Query(alias="sourceCaseId")] = None,
    source_group_id: Annotated[uuid.UUID | None, Query(alias="sourceGroupId")] = None,
    source_question_id: Annotated[uuid.UUID | None, Query(alias="sourceQuestionId")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Searches title and body.")] = None,
) -> Response:
    return await service.list_insights(
        conn,
        request,
        principal,
        page,
        adoption=adoption,
        department_id=department_id,
        source_case_id=source_case_id,
        source_group_id=source_group_id,
        source_question_id=source_question_id,
        q=q,
    )


@router.post(
    "",
    operation_id="insights-create",
    summary="Capture an insight",
    description="An insight comes from a case, a group or a question: at least one of "
    "`sourceCaseId`, `sourceGroupId`, `sourceQuestionId` is required. " + WHO_MAY_WRITE,
    status_code=201,
    response_model=InsightRead,
    responses=responses(201, "The insight was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_insight(
    request: Request, principal: CanContribute, conn: WriteDb, data: InsightCreate
) -> Response:
    item = await service.create_insight(conn, principal, data)
    location = str(request.url_for("insights-get", insightId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{insightId}",
    operation_id="insights-get",
    name="insights-get",
    summary="Get an insight",
    response_model=InsightRead,
    responses=responses(200, "The insight.", *READ, 404, headers=("ETag",)),
)
async def get_insight(principal: CanReadCommunity, conn: ReadDb, insight_id: InsightId) -> Response:
    return resource_response(await service.get_insight(conn, principal, insight_id))


@router.patch(
    "/{insightId}",
    operation_id="insights-update",
    summary="Change an insight (JSON Merge Patch)",
    description=(
        "`adoption` moves forward one stage at a time: `captured` → `shared` → `piloted` → "
        "`embedded`; skipping or going back is a 409 naming `allowedTransitions`. "
        "`adoptedByDepartmentIds` replaces the set of adopting departments. " + WHO_MAY_WRITE
    ),
    response_model=InsightRead,
    responses=responses(200, "The changed insight.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_insight(
    request: Request,
    principal: CanContribute,
    conn: WriteDb,
    insight_id: InsightId,
    expected: IfMatch,
    patch: Annotated[InsightUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_insight(conn, principal, insight_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))
