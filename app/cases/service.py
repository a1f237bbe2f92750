"""Rules about cases: the lifecycle, partners as a set, and who may work on which case
(admins on every case, facilitators on the cases of the groups they facilitate)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.cases import repository
from app.cases.lifecycle import TRANSITIONS
from app.cases.models import CaseStatus
from app.cases.schemas import CaseCreate, CaseRead, CaseUpdate
from app.core.context import Principal
from app.core.errors import Conflict, Forbidden
from app.core.http import check_version
from app.core.lifecycle import ensure_transition
from app.core.models import table_of
from app.core.pagination import PageRequest
from app.core.repository import list_page, require_references
from app.departments.models import Department
from app.learning_groups import repository as groups
from app.learning_groups.models import GroupStatus, LearningGroup
from app.learning_groups.service import facilitated_by, manages_group
from app.notifications import service as notifications
from app.notifications.models import NotificationKind
from app.organisations.models import Organisation
from app.workshops.models import Workshop

OBJECT = feed.resource("case", repository.table, path="/cases/{id}", readers=feed.COMMUNITY)
KIND = "case"
SORTING = repository.SORTING


async def list_cases(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    learning_group_id: uuid.UUID | None,
    status: Sequence[str] | None,
    department_id: uuid.UUID | None,
    partner_organisation_id: uuid.UUID | None,
    presented_at_workshop_id: uuid.UUID | None,
    q: str | None,
) -> Response:
    """One page of cases, answered as the list route answers it."""
    query = repository.list_query(
        learning_group_id=learning_group_id,
        status=status,
        department_id=department_id,
        partner_organisation_id=partner_organisation_id,
        presented_at_workshop_id=presented_at_workshop_id,
        q=q,
    )

    async def enrich(conn: AsyncConnection, items: list[CaseRead]) -> None:
        await repository.with_partners(conn, items)
        await for_caller(conn, principal, items)

    return await list_page(conn, request, query, page, SORTING, repository.to_item, enrich)


async def get_case(conn: AsyncConnection, principal: Principal, case_id: uuid.UUID) -> CaseRead:
    return (await for_caller(conn, principal, [await repository.get(conn, case_id)]))[0]


async def for_caller(
    conn: AsyncConnection, principal: Principal, items: list[CaseRead]
) -> list[CaseRead]:
    """`allowedTransitions` as the caller may take them: the lifecycle's for an admin and for
    a facilitator of the case's group, none for anyone else (their PATCH would be a 403). At
    most one statement for the page, none for an admin."""
    if principal.is_admin:
        return items
    facilitated = await facilitated_by(conn, principal) if items else frozenset()
    for item in items:
        if item["learningGroupId"] not in facilitated:
            item["allowedTransitions"] = []
    return items


async def _ensure_may_work_on(
    conn: AsyncConnection, principal: Principal, group_id: uuid.UUID | None, action: str
) -> None:
    """Admins work on every case; a facilitator on the cases of the groups they facilitate."""
    if principal.is_admin:
        return
    if group_id is None:
        raise Forbidden(f"Only an admin may {action} a case that belongs to no learning group.")
    if not await manages_group(conn, principal, group_id):
        raise Forbidden(
            f"Only an admin or a facilitator of the case's learning group may {action} it."
        )


def _dedupe(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


def _references(
    *,
    group_id: uuid.UUID | None,
    department_id: uuid.UUID | None,
    workshop_id: uuid.UUID | None,
    partner_ids: list[uuid.UUID],
) -> dict[str, tuple[Table, uuid.UUID | None]]:
    references: dict[str, tuple[Table, uuid.UUID | None]] = {
        "learningGroupId": (table_of(LearningGroup), group_id),
        "departmentId": (table_of(Department), department_id),
        "presentedAtWorkshopId": (table_of(Workshop), workshop_id),
    }
    organisations = table_of(Organisation)
    for index, organisation_id in enumerate(partner_ids):
        references[f"partnerOrganisationIds[{index}]"] = (organisations, organisation_id)
    return references


async def _ensure_group_takes_cases(conn: AsyncConnection, group_id: uuid.UUID | None) -> None:
    if group_id is not None and await groups.status_of(conn, group_id) == GroupStatus.MERGED:
        raise Conflict(
            "The learning group was merged and takes no new cases; use the group it carries on in."
        )


async def create_case(
    conn: AsyncConnection,
    principal: Principal,
    data: CaseCreate,
) -> CaseRead:
    await _ensure_may_work_on(conn, principal, data.learning_group_id, "create")
    partner_ids = _dedupe(data.partner_organisation_ids)
    await require_references(
        conn,
        _references(
            group_id=data.learning_group_id,
            department_id=data.department_id,
            workshop_id=data.presented_at_workshop_id,
            partner_ids=partner_ids,
        ),
    )
    await _ensure_group_takes_cases(conn, data.learning_group_id)
    values: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "learning_group_id": data.learning_group_id,
        "department_id": data.department_id,
        "status": CaseStatus.PROPOSED,
        "presented_at_workshop_id": data.presented_at_workshop_id,
        "outcome": data.outcome,
    }
    case_id = await repository.create(conn, values)
    await repository.set_partners(conn, case_id, partner_ids)
    await trail.record(conn, "cases-create", OBJECT, case_id)
    if data.learning_group_id is not None:
        await _notify_group(conn, principal, case_id, data.title, data.learning_group_id)
    return await repository.get(conn, case_id)


async def _notify_group(
    conn: AsyncConnection,
    principal: Principal,
    case_id: uuid.UUID,
    title: str,
    group_id: uuid.UUID,
) -> None:
    """The group's current members hear that a case came to it (who brought it excepted)."""
    await notifications.notify(
        conn,
        NotificationKind.GROUP_CASE_ADDED,
        groups.members_now(group_id, principal.member_id),
        subject_type=OBJECT,
        subject_id=case_id,
        href=f"/v1/cases/{case_id}",
        payload={"title": title, "learningGroupId": str(group_id)},
    )


async def update_case(
    conn: AsyncConnection,
    principal: Principal,
    case_id: uuid.UUID,
    patch: CaseUpdate,
    expected_version: int | None,
) -> CaseRead:
    current = await repository.get(conn, case_id)
    await _ensure_may_work_on(conn, principal, current["learningGroupId"], "change")
    changes = patch.changes()
    moving = (
        "learning_group_id" in changes
        and changes["learning_group_id"] != current["learningGroupId"]
    )
    if moving:
        # Moving a case hands it to another group: the facilitator must manage that one too.
        await _ensure_may_work_on(conn, principal, changes["learning_group_id"], "move")
    check_version(current["version"], expected_version)
    if "status" in changes:
        ensure_transition(KIND, TRANSITIONS, current["status"], changes["status"])
    partner_ids = changes.pop("partner_organisation_ids", None)
    if partner_ids is not None:
        partner_ids = _dedupe(partner_ids)
    await require_references(
        conn,
        _references(
            group_id=changes.get("learning_group_id"),
            department_id=changes.get("department_id"),
            workshop_id=changes.get("presented_at_workshop_id"),
            partner_ids=partner_ids or [],
        ),
    )
    if moving:
        await _ensure_group_takes_cases(conn, changes["learning_group_id"])
    fields = sorted(changes) + (["partner_organisation_ids"] if partner_ids is not None else [])
    if fields:
        # The version moves on partner changes too, so If-Match protects the whole case.
        await repository.update(conn, case_id, current["version"], changes)
        if partner_ids is not None:
            await repository.set_partners(conn, case_id, partner_ids)
        detail: dict[str, Any] = {"fields": sorted(fields)}
        if "status" in changes and changes["status"] != current["status"]:
            detail["fromStatus"] = str(current["status"])
            detail["toStatus"] = str(changes["status"])
        await trail.record(conn, "cases-update", OBJECT, case_id, detail=detail)
        if moving and changes["learning_group_id"] is not None:
            title = changes.get("title", current["title"])
            await _notify_group(conn, principal, case_id, title, changes["learning_group_id"])
    return await repository.get(conn, case_id)
