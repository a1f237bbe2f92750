"""Rules about organisations (partners): unique names; only admins keep the register."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.core.context import Principal
from app.core.errors import Conflict
from app.core.http import check_version
from app.core.pagination import PageRequest
from app.core.permissions import ensure_admin
from app.core.repository import list_page
from app.organisations import repository
from app.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate

OBJECT = feed.resource(
    "organisation", repository.table, path="/organisations/{id}", readers=feed.COMMUNITY
)
SORTING = repository.SORTING


async def list_organisations(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    *,
    kind: str | None,
    q: str | None,
) -> Response:
    """One page of organisations, answered as the list route answers it."""
    query = repository.list_query(kind=kind, q=q)
    return await list_page(conn, request, query, page, SORTING, repository.to_item)


async def get_organisation(conn: AsyncConnection, organisation_id: uuid.UUID) -> OrganisationRead:
    return await repository.get(conn, organisation_id)


async def _ensure_name_free(
    conn: AsyncConnection, name: str, own_id: uuid.UUID | None = None
) -> None:
    holder = await repository.id_for_name(conn, name)
    if holder is not None and holder != own_id:
        raise Conflict(
            f"Another organisation is already called '{name}'.",
            extra={"conflictingFields": ["name"]},
        )


async def create_organisation(
    conn: AsyncConnection,
    principal: Principal,
    data: OrganisationCreate,
) -> OrganisationRead:
    ensure_admin(principal, "register organisations")
    await _ensure_name_free(conn, data.name)
    organisation_id = await repository.create(
        conn, {"name": data.name, "kind": data.kind, "website": data.website}
    )
    await trail.record(conn, "organisations-create", OBJECT, organisation_id)
    return await repository.get(conn, organisation_id)


async def update_organisation(
    conn: AsyncConnection,
    principal: Principal,
    organisation_id: uuid.UUID,
    patch: OrganisationUpdate,
    expected_version: int | None,
) -> OrganisationRead:
    ensure_admin(principal, "change organisations")
    current = await repository.get(conn, organisation_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    if "name" in changes:
        await _ensure_name_free(conn, changes["name"], organisation_id)
    if changes:
        await repository.update(conn, organisation_id, current["version"], changes)
        await trail.record(
            conn,
            "organisations-update",
            OBJECT,
            organisation_id,
            detail={"fields": sorted(changes)},
        )
    return await repository.get(conn, organisation_id)
