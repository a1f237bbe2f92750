"""HTTP routes of /v1/themes."""

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
from app.members.models import TransitionRole
from app.themes import service
from app.themes.schemas import ThemeCreate, ThemePage, ThemeRead, ThemeUpdate

ThemeId = Annotated[uuid.UUID, Path(alias="themeId")]

router = APIRouter(prefix="/v1/themes", tags=["themes"], route_class=ContractRoute)


@router.get(
    "",
    operation_id="themes-list",
    summary="List themes",
    description=service.SORTING.description,
    response_model=ThemePage,
    responses=responses(200, "One page of themes.", *READ, headers=("Link",)),
)
async def list_themes(
    request: Request,
    _: CanReadCommunity,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    transition_role: Annotated[TransitionRole | None, Query(alias="transitionRole")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Searches name and description.")
    ] = None,
) -> Response:
    return await service.list_themes(conn, request, page, transition_role=transition_role, q=q)


@router.post(
    "",
    operation_id="themes-create",
    summary="Create a theme",
    status_code=201,
    response_model=ThemeRead,
    responses=responses(201, "The theme was created.", *WRITE, headers=("Location", "ETag")),
    dependencies=[IDEMPOTENT],
)
async def create_theme(
    request: Request, principal: AdminOnly, conn: WriteDb, data: ThemeCreate
) -> Response:
    item = await service.create_theme(conn, principal, data)
    location = str(request.url_for("themes-get", themeId=item["id"]))
    return await written(conn, request, item, status=201, headers=resource_headers(item, location))


@router.get(
    "/{themeId}",
    operation_id="themes-get",
    name="themes-get",
    summary="Get a theme",
    response_model=ThemeRead,
    responses=responses(200, "The theme.", *READ, 404, headers=("ETag",)),
)
async def get_theme(_: CanReadCommunity, conn: ReadDb, theme_id: ThemeId) -> Response:
    return resource_response(await service.get_theme(conn, theme_id))


@router.patch(
    "/{themeId}",
    operation_id="themes-update",
    summary="Change a theme (JSON Merge Patch)",
    response_model=ThemeRead,
    responses=responses(200, "The changed theme.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_theme(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    theme_id: ThemeId,
    expected: IfMatch,
    patch: Annotated[ThemeUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_theme(conn, principal, theme_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))
