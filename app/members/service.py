"""Rules about members: unique e-mail and external id, who may change which fields, fields owned
by a sync, and deactivation instead of deletion."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.core import audit
from app.core.context import Principal
from app.core.errors import Conflict, Forbidden
from app.core.http import check_version
from app.core.models import table_of, utcnow
from app.core.permissions import ensure_admin
from app.core.repository import require_references
from app.departments.models import Department
from app.members import repository
from app.members.models import MemberSource, MemberStatus
from app.members.schemas import MemberCreate, MemberUpdate
from app.organisations.models import Organisation

OBJECT = "member"

# What a member may change about themself: their place in the community, not their identity.
COMMUNITY_FIELDS = frozenset({"display_name", "participation", "transition_roles", "discipline"})
# What an intranet sync or SCIM provisioning owns once it manages a member.
SYNCED_FIELDS = frozenset({"external_id", "email", "given_name", "family_name", "department_id"})

_CAMEL = {
    "external_id": "externalId",
    "given_name": "givenName",
    "family_name": "familyName",
    "department_id": "departmentId",
    "email": "email",
}


def _references(department_id: uuid.UUID | None, organisation_id: uuid.UUID | None) -> Any:
    return {
        "departmentId": (table_of(Department), department_id),
        "organisationId": (table_of(Organisation), organisation_id),
    }


async def _ensure_unique(
    conn: AsyncConnection,
    *,
    email: str | None,
    external_id: str | None,
    own_id: uuid.UUID | None = None,
) -> None:
    clashes = []
    for row in await repository.holders(conn, email=email, external_id=external_id):
        if row.id == own_id:
            continue
        if email is not None and row.email_key == email.lower():
            clashes.append("email")
        if external_id is not None and row.external_id == external_id:
            clashes.append("externalId")
    if clashes:
        fields = " and ".join(sorted(set(clashes)))
        raise Conflict(
            f"Another member already has this {fields}.", extra={"conflictingFields": clashes}
        )


async def create_member(
    conn: AsyncConnection,
    principal: Principal,
    data: MemberCreate,
) -> dict[str, Any]:
    ensure_admin(principal, "create members")
    await require_references(conn, _references(data.department_id, data.organisation_id))
    email = str(data.email)
    await _ensure_unique(conn, email=email, external_id=data.external_id)
    member_id = await repository.create(
        conn,
        {
            "external_id": data.external_id,
            "email": email,
            "email_key": email.lower(),
            "given_name": data.given_name,
            "family_name": data.family_name,
            "display_name": data.display_name or f"{data.given_name} {data.family_name}",
            "department_id": data.department_id,
            "organisation_id": data.organisation_id,
            "participation": data.participation,
            "status": MemberStatus.ACTIVE,
            "transition_roles": [r.value for r in data.transition_roles],
            "discipline": data.discipline,
            "source": MemberSource.MANUAL,
            "joined_at": data.joined_at or utcnow(),
        },
    )
    await audit.record(conn, "members-create", OBJECT, member_id)
    return await repository.get(conn, member_id)


def _authorise_update(principal: Principal, member_id: uuid.UUID, fields: set[str]) -> None:
    if principal.is_admin:
        return
    if principal.member_id != member_id:
        raise Forbidden("A member may only change their own profile.")
    personal = sorted(fields - COMMUNITY_FIELDS)
    if personal:
        names = ", ".join(_CAMEL.get(f, f) for f in personal)
        raise Forbidden(
            f"Only an admin may change {names}; members change their community fields "
            "(displayName, participation, transitionRoles, discipline)."
        )


async def update_member(
    conn: AsyncConnection,
    principal: Principal,
    member_id: uuid.UUID,
    patch: MemberUpdate,
    expected_version: int | None,
) -> dict[str, Any]:
    changes = patch.changes()
    _authorise_update(principal, member_id, set(changes))
    current = await repository.get(conn, member_id)
    check_version(current["version"], expected_version)
    if current["erasedAt"] is not None:
        raise Conflict("This member's personal data was erased; the pseudonym cannot be changed.")
    if current["source"] != MemberSource.MANUAL:
        owned = sorted(f for f in SYNCED_FIELDS & set(changes) if changes[f] != current[_CAMEL[f]])
        if owned:
            names = ", ".join(_CAMEL[f] for f in owned)
            owner = "the intranet sync" if current["source"] == MemberSource.SYNC else "SCIM"
            raise Conflict(
                f"{names} of this member are managed by {owner}; change them at the source.",
                extra={"managedBy": str(current["source"]), "managedFields": owned},
            )
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
    if "status" in changes:
        reactivated = changes["status"] == MemberStatus.ACTIVE
        changes["deactivated_at"] = None if reactivated else current["deactivatedAt"] or utcnow()
    if changes:
        await repository.update(conn, member_id, current["version"], changes)
        await audit.record(
            conn, "members-update", OBJECT, member_id, detail={"fields": sorted(changes)}
        )
    return await repository.get(conn, member_id)


async def deactivate_member(
    conn: AsyncConnection,
    principal: Principal,
    member_id: uuid.UUID,
    expected_version: int | None,
) -> dict[str, Any]:
    ensure_admin(principal, "deactivate members")
    current = await repository.get(conn, member_id)
    check_version(current["version"], expected_version)
    if current["status"] == MemberStatus.ACTIVE:
        await repository.update(
            conn,
            member_id,
            current["version"],
            {"status": MemberStatus.INACTIVE, "deactivated_at": utcnow()},
        )
        await audit.record(conn, "members-deactivate", OBJECT, member_id)
    return await repository.get(conn, member_id)
