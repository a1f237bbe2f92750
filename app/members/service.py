"""Members through the API: creating, changing and deactivating them, by the member rules
(app/members/rules.py) that the sync and SCIM follow too."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.core.context import Principal
from app.core.errors import Conflict
from app.core.http import check_version
from app.core.models import table_of, utcnow
from app.core.pagination import PageRequest
from app.core.permissions import ensure_admin
from app.core.repository import hot_list_page, require_references
from app.departments.models import Department
from app.members import departure, repository, rules
from app.members.models import MemberSource, MemberStatus
from app.members.schemas import MemberCreate, MemberRead, MemberUpdate
from app.organisations.models import Organisation

OBJECT = feed.resource("member", repository.table, path="/members/{id}", readers=feed.DIRECTORY)
SORTING = repository.SORTING


# Hot reads: outside any transaction, through app/core/fastread.py.


async def list_members(request: Request, page: PageRequest, filters: dict[str, Any]) -> Response:
    """One page of members filtered by `filters` (the list_query parameters), answered as the
    list route answers it; read on the hot path."""
    statement, params = repository.list_query(**filters)
    return await hot_list_page(request, statement, params, page, SORTING, repository.to_item)


async def get_member(member_id: uuid.UUID) -> MemberRead:
    return await repository.read(member_id)


def _references(department_id: uuid.UUID | None, organisation_id: uuid.UUID | None) -> Any:
    return {
        "departmentId": (table_of(Department), department_id),
        "organisationId": (table_of(Organisation), organisation_id),
    }


async def clashes(
    conn: AsyncConnection,
    *,
    email: str | None,
    external_id: str | None,
    own_id: uuid.UUID | None = None,
) -> list[str]:
    """Which of `email` and `externalId` another member than `own_id` already holds."""
    holders = await repository.holders(conn, email=email, external_id=external_id)
    return rules.clashing_fields(holders, email=email, external_id=external_id, own_id=own_id)


async def _ensure_unique(
    conn: AsyncConnection,
    *,
    email: str | None,
    external_id: str | None,
    own_id: uuid.UUID | None = None,
) -> None:
    found = await clashes(conn, email=email, external_id=external_id, own_id=own_id)
    if found:
        raise rules.uniqueness_conflict(found)


async def create_member(
    conn: AsyncConnection,
    principal: Principal,
    data: MemberCreate,
) -> MemberRead:
    ensure_admin(principal, "create members")
    await require_references(conn, _references(data.department_id, data.organisation_id))
    email = str(data.email)
    await _ensure_unique(conn, email=email, external_id=data.external_id)
    member_id = await repository.create(
        conn,
        rules.new_member(
            external_id=data.external_id,
            email=email,
            given_name=data.given_name,
            family_name=data.family_name,
            display_name=data.display_name,
            department_id=data.department_id,
            organisation_id=data.organisation_id,
            participation=data.participation,
            transition_roles=[r.value for r in data.transition_roles],
            discipline=data.discipline,
            source=MemberSource.MANUAL,
            joined_at=data.joined_at or utcnow(),
        ),
    )
    await trail.record(conn, "members-create", OBJECT, member_id)
    return await repository.get(conn, member_id)


async def update_member(
    conn: AsyncConnection,
    principal: Principal,
    member_id: uuid.UUID,
    patch: MemberUpdate,
    expected_version: int | None,
) -> MemberRead:
    changes = patch.changes()
    rules.ensure_may_change(principal, member_id, set(changes))
    current = await repository.get(conn, member_id)
    check_version(current["version"], expected_version)
    if current["erasedAt"] is not None:
        raise Conflict("This member's personal data was erased; the pseudonym cannot be changed.")
    rules.ensure_not_managed(current, changes)
    await require_references(
        conn, _references(changes.get("department_id"), changes.get("organisation_id"))
    )
    if "email" in changes or "external_id" in changes:
        await _ensure_unique(
            conn,
            email=str(changes["email"]) if "email" in changes else None,
            external_id=changes.get("external_id"),
            own_id=member_id,
        )
    if "email" in changes:
        changes["email"] = str(changes["email"])
    if "transition_roles" in changes:
        changes["transition_roles"] = [r.value for r in changes["transition_roles"]]
    now = utcnow()
    leaves = False
    if "status" in changes:
        active = changes["status"] == MemberStatus.ACTIVE
        leaves = not active and current["status"] == MemberStatus.ACTIVE
        changes.update(rules.activity(active, now, current["deactivatedAt"]))
    if changes:
        written = rules.with_keys(
            changes,
            given_name=current["givenName"],
            family_name=current["familyName"],
            display_name=current["displayName"],
            email=current["email"],
        )
        await repository.update(conn, member_id, current["version"], written)
        await trail.record(
            conn, "members-update", OBJECT, member_id, detail={"fields": sorted(changes)}
        )
    if leaves:
        await departure.depart(conn, [member_id], now, "deactivated")
    return await repository.get(conn, member_id)


async def deactivate_member(
    conn: AsyncConnection,
    principal: Principal,
    member_id: uuid.UUID,
    expected_version: int | None,
) -> MemberRead:
    ensure_admin(principal, "deactivate members")
    current = await repository.get(conn, member_id)
    check_version(current["version"], expected_version)
    if current["status"] == MemberStatus.ACTIVE:
        now = utcnow()
        await repository.update(conn, member_id, current["version"], rules.activity(False, now))
        await trail.record(conn, "members-deactivate", OBJECT, member_id)
        # Their current group memberships end and their sign-ups ahead go (app/members/departure.py).
        await departure.depart(conn, [member_id], now, "deactivated")
    return await repository.get(conn, member_id)
