"""Rules about departments: unique codes, no parent cycles, archive instead of delete."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.core.context import Principal
from app.core.errors import Conflict, InvalidInput, InvalidParam
from app.core.http import check_version
from app.core.models import table_of
from app.core.pagination import PageRequest
from app.core.permissions import ensure_admin
from app.core.repository import list_page, require_references
from app.departments import repository
from app.departments.models import Department
from app.departments.schemas import DepartmentCreate, DepartmentRead, DepartmentUpdate

OBJECT = feed.resource(
    "department", repository.table, path="/departments/{id}", readers=feed.DIRECTORY
)
SORTING = repository.SORTING


async def list_departments(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    *,
    kind: str | None,
    parent_id: uuid.UUID | None,
    active: bool | None,
    code: str | None,
    q: str | None,
) -> Response:
    """One page of departments, answered as the list route answers it."""
    query = repository.list_query(kind=kind, parent_id=parent_id, active=active, code=code, q=q)
    return await list_page(conn, request, query, page, SORTING, repository.to_item)


async def get_department(conn: AsyncConnection, department_id: uuid.UUID) -> DepartmentRead:
    return await repository.get(conn, department_id)


async def _ensure_code_free(
    conn: AsyncConnection, code: str, own_id: uuid.UUID | None = None
) -> None:
    holder = await repository.id_for_code(conn, code)
    if holder is not None and holder != own_id:
        raise Conflict(f"Another department already has the code '{code}'.")


async def _ensure_no_cycle(
    conn: AsyncConnection, department_id: uuid.UUID, parent_id: uuid.UUID
) -> None:
    parent_of = await repository.parents(conn)
    seen: set[uuid.UUID] = set()
    node: uuid.UUID | None = parent_id
    while node is not None and node not in seen:
        if node == department_id:
            raise InvalidInput(
                [
                    InvalidParam(
                        "parentId", "A department cannot be placed under itself.", code="cycle"
                    )
                ]
            )
        seen.add(node)
        node = parent_of.get(node)


async def create_department(
    conn: AsyncConnection,
    principal: Principal,
    data: DepartmentCreate,
) -> DepartmentRead:
    ensure_admin(principal, "create departments")
    await require_references(conn, {"parentId": (table_of(Department), data.parent_id)})
    await _ensure_code_free(conn, data.code)
    department_id = await repository.create(
        conn,
        {
            "code": data.code,
            "name": data.name,
            "kind": data.kind,
            "parent_id": data.parent_id,
            "active": data.active,
        },
    )
    await trail.record(conn, "departments-create", OBJECT, department_id)
    return await repository.get(conn, department_id)


async def update_department(
    conn: AsyncConnection,
    principal: Principal,
    department_id: uuid.UUID,
    patch: DepartmentUpdate,
    expected_version: int | None,
) -> DepartmentRead:
    ensure_admin(principal, "change departments")
    current = await repository.get(conn, department_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    if "parent_id" in changes and changes["parent_id"] is not None:
        await require_references(conn, {"parentId": (table_of(Department), changes["parent_id"])})
        await _ensure_no_cycle(conn, department_id, changes["parent_id"])
    if "code" in changes:
        await _ensure_code_free(conn, changes["code"], department_id)
    if changes:
        await repository.update(conn, department_id, current["version"], changes)
        await trail.record(
            conn, "departments-update", OBJECT, department_id, detail={"fields": sorted(changes)}
        )
    return await repository.get(conn, department_id)


async def archive_department(
    conn: AsyncConnection,
    principal: Principal,
    department_id: uuid.UUID,
    expected_version: int | None,
) -> DepartmentRead:
    ensure_admin(principal, "archive departments")
    current = await repository.get(conn, department_id)
    check_version(current["version"], expected_version)
    if current["active"]:
        await repository.update(conn, department_id, current["version"], {"active": False})
        await trail.record(conn, "departments-archive", OBJECT, department_id)
    return await repository.get(conn, department_id)
