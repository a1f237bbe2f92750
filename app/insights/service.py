"""Rules about insights: a source is required, adoption climbs one stage at a time, and who may
capture, edit and advance them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.cases.models import Case
from app.core.context import Principal
from app.core.errors import Forbidden, InvalidInput, InvalidParam
from app.core.http import check_version
from app.core.lifecycle import ensure_transition
from app.core.models import Base, table_of
from app.core.pagination import PageRequest
from app.core.permissions import Role, ensure_role
from app.core.repository import existing_ids, list_page, require_references
from app.departments.models import Department
from app.insights import repository
from app.insights.lifecycle import TRANSITIONS
from app.insights.models import Adoption
from app.insights.schemas import InsightCreate, InsightRead, InsightUpdate
from app.learning_groups.models import LearningGroup
from app.learning_questions.models import LearningQuestion

OBJECT = feed.resource("insight", repository.table, path="/insights/{id}", readers=feed.COMMUNITY)
CONTRIBUTORS = frozenset({Role.ADMIN.value, Role.FACILITATOR.value, Role.MEMBER.value})
SORTING = repository.SORTING


async def list_insights(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    adoption: Sequence[str] | None,
    department_id: uuid.UUID | None,
    source_case_id: uuid.UUID | None,
    source_group_id: uuid.UUID | None,
    source_question_id: uuid.UUID | None,
    q: str | None,
) -> Response:
    """One page of insights with their adopting departments, answered as the list route
    answers it."""
    query = repository.list_query(
        adoption=adoption,
        department_id=department_id,
        source_case_id=source_case_id,
        source_group_id=source_group_id,
        source_question_id=source_question_id,
        q=q,
    )

    async def enrich(conn: AsyncConnection, items: list[InsightRead]) -> None:
        await repository.with_adopters(conn, items)
        for item in items:
            _offered(principal, item)

    return await list_page(conn, request, query, page, SORTING, repository.to_item, enrich)


async def get_insight(
    conn: AsyncConnection, principal: Principal, insight_id: uuid.UUID
) -> InsightRead:
    return _offered(principal, await repository.get(conn, insight_id))


def _offered(principal: Principal, item: InsightRead) -> InsightRead:
    """`allowedTransitions` as the caller may take them: only an admin advances adoption."""
    if not principal.is_admin:
        item["allowedTransitions"] = []
    return item


# The fields that name an insight's source, and what each refers to. Problems name a field as
# the JSON does, by the input models' alias rule.
_SOURCES: dict[str, type[Base]] = {
    "source_case_id": Case,
    "source_group_id": LearningGroup,
    "source_question_id": LearningQuestion,
}
# What only an admin decides: how far an insight has travelled, and who adopted it.
_ADMIN_FIELDS = frozenset({"adoption", "adopted_by_department_ids"})


def _ensure_a_source(values: Mapping[str, Any]) -> None:
    if all(values.get(field) is None for field in _SOURCES):
        reason = "An insight needs a source: a case, a group or a question (at least one)."
        raise InvalidInput(
            [InvalidParam(to_camel(field), reason, code="required_one_of") for field in _SOURCES]
        )


async def _require_sources(conn: AsyncConnection, values: Mapping[str, Any]) -> None:
    # Only the sources given are named (a null one refers to nothing, so cannot be missing).
    await require_references(
        conn,
        {
            to_camel(field): (table_of(model), values[field])
            for field, model in _SOURCES.items()
            if values.get(field) is not None
        },
    )


async def _department_ids(conn: AsyncConnection, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ids without repeats, in their given order; every unknown one is a 400."""
    unique = list(dict.fromkeys(ids))
    known = await existing_ids(conn, table_of(Department), unique)
    missing = [
        InvalidParam(
            f"adoptedByDepartmentIds[{index}]",
            f"No department has id {department_id}.",
            code="unknown_reference",
        )
        for index, department_id in enumerate(ids)
        if department_id not in known
    ]
    if missing:
        raise InvalidInput(missing)
    return unique


def _own_member(principal: Principal) -> uuid.UUID:
    if principal.member_id is None:
        raise Forbidden(
            "This API key acts for no member, so it cannot capture insights as one; ask an "
            "admin for a key linked to your member."
        )
    return principal.member_id


async def create_insight(
    conn: AsyncConnection,
    principal: Principal,
    data: InsightCreate,
) -> InsightRead:
    ensure_role(principal, CONTRIBUTORS, "capture insights")
    created_by = principal.member_id
    if not principal.is_admin:
        created_by = _own_member(principal)
        if data.adoption != Adoption.CAPTURED or data.adopted_by_department_ids:
            raise Forbidden(
                "A new insight starts as 'captured' without adopting departments; only an "
                "admin records later stages and adoptions."
            )
    values: dict[str, Any] = {
        "title": data.title,
        "body": data.body,
        "source_case_id": data.source_case_id,
        "source_group_id": data.source_group_id,
        "source_question_id": data.source_question_id,
        "created_by_member_id": created_by,
        "adoption": data.adoption,
    }
    _ensure_a_source(values)
    await _require_sources(conn, values)
    department_ids = await _department_ids(conn, data.adopted_by_department_ids)
    insight_id = await repository.create(conn, values)
    await repository.set_adopters(conn, insight_id, [], department_ids)
    await trail.record(
        conn, "insights-create", OBJECT, insight_id, detail={"adoption": data.adoption}
    )
    return _offered(principal, await repository.get(conn, insight_id))


def _authorise_update(principal: Principal, current: InsightRead, fields: set[str]) -> None:
    if principal.is_admin:
        return
    own = principal.member_id is not None and principal.member_id == current["createdByMemberId"]
    if not own or current["adoption"] != Adoption.CAPTURED:
        raise Forbidden(
            "Only an admin, or whoever captured the insight while it is still 'captured', "
            "may change it."
        )
    if fields & _ADMIN_FIELDS:
        raise Forbidden("Only an admin may advance an insight's adoption or record adopters.")


async def update_insight(
    conn: AsyncConnection,
    principal: Principal,
    insight_id: uuid.UUID,
    patch: InsightUpdate,
    expected_version: int | None,
) -> InsightRead:
    ensure_role(principal, CONTRIBUTORS, "change insights")
    current = await repository.get(conn, insight_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    _authorise_update(principal, current, set(changes))
    if "adoption" in changes:
        ensure_transition("insight", TRANSITIONS, current["adoption"], changes["adoption"])
    # A source the patch leaves alone keeps its value, which the insight shows by its JSON name.
    shown: Mapping[str, Any] = current
    merged_sources = {
        field: changes[field] if field in changes else shown[to_camel(field)] for field in _SOURCES
    }
    _ensure_a_source(merged_sources)
    await _require_sources(conn, {f: v for f, v in changes.items() if f in _SOURCES})
    department_ids = changes.pop("adopted_by_department_ids", None)
    adopters_changed = False
    if department_ids is not None:
        wanted = await _department_ids(conn, department_ids)
        had = current["adoptedByDepartmentIds"]
        adopters_changed = set(wanted) != set(had)
        await repository.set_adopters(conn, insight_id, had, wanted)
    if changes or adopters_changed:
        # Adopters live in their own table, but they are part of this representation: the
        # version rises with them so that ETags and If-Match see the change.
        await repository.update(conn, insight_id, current["version"], changes)
        fields = sorted(changes) + (["adopted_by_department_ids"] if adopters_changed else [])
        detail: dict[str, Any] = {"fields": fields}
        if changes.get("adoption", current["adoption"]) != current["adoption"]:
            detail["adoption"] = {"from": str(current["adoption"]), "to": str(changes["adoption"])}
        await trail.record(conn, "insights-update", OBJECT, insight_id, detail=detail)
    return _offered(principal, await repository.get(conn, insight_id))
