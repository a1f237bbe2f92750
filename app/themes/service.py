"""Rules about themes: unique names, and each transition role belongs to one theme only."""

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
from app.themes import repository
from app.themes.schemas import ThemeCreate, ThemeRead, ThemeUpdate

OBJECT = feed.resource("theme", repository.table, path="/themes/{id}", readers=feed.COMMUNITY)
SORTING = repository.SORTING


async def list_themes(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    *,
    transition_role: str | None,
    q: str | None,
) -> Response:
    """One page of themes, answered as the list route answers it."""
    query = repository.list_query(transition_role=transition_role, q=q)
    return await list_page(conn, request, query, page, SORTING, repository.to_item)


async def get_theme(conn: AsyncConnection, theme_id: uuid.UUID) -> ThemeRead:
    return await repository.get(conn, theme_id)


async def _ensure_unique(
    conn: AsyncConnection,
    *,
    name: str | None,
    transition_role: str | None,
    own_id: uuid.UUID | None = None,
) -> None:
    clashes: set[str] = set()
    for row in await repository.holders(conn, name=name, transition_role=transition_role):
        if row.id == own_id:
            continue
        if name is not None and row.name == name:
            clashes.add("name")
        if transition_role is not None and row.transition_role == transition_role:
            clashes.add("transitionRole")
    if clashes:
        fields = sorted(clashes)
        raise Conflict(
            f"Another theme already has this {' and '.join(fields)}.",
            extra={"conflictingFields": fields},
        )


async def create_theme(
    conn: AsyncConnection,
    principal: Principal,
    data: ThemeCreate,
) -> ThemeRead:
    ensure_admin(principal, "create themes")
    await _ensure_unique(conn, name=data.name, transition_role=data.transition_role)
    theme_id = await repository.create(
        conn,
        {
            "name": data.name,
            "description": data.description,
            "transition_role": data.transition_role,
        },
    )
    await trail.record(conn, "themes-create", OBJECT, theme_id)
    return await repository.get(conn, theme_id)


async def update_theme(
    conn: AsyncConnection,
    principal: Principal,
    theme_id: uuid.UUID,
    patch: ThemeUpdate,
    expected_version: int | None,
) -> ThemeRead:
    ensure_admin(principal, "change themes")
    current = await repository.get(conn, theme_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    if "name" in changes or "transition_role" in changes:
        await _ensure_unique(
            conn,
            name=changes.get("name"),
            transition_role=changes.get("transition_role"),
            own_id=theme_id,
        )
    if changes:
        await repository.update(conn, theme_id, current["version"], changes)
        await trail.record(
            conn, "themes-update", OBJECT, theme_id, detail={"fields": sorted(changes)}
        )
    return await repository.get(conn, theme_id)
