"""Factories build test data through the services, as the API would; never raw SQL."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from app.auth.service import issue_key
from app.cases import service as cases_service
from app.cases.schemas import CaseCreate, CaseUpdate
from app.comments.models import ThreadType
from app.comments.schemas import CommentCreate
from app.comments.service import create_comment
from app.core.context import SYSTEM, Principal
from app.core.db import database
from app.core.permissions import Role
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from app.insights.schemas import InsightCreate
from app.insights.service import create_insight
from app.learning_groups import service as groups_service
from app.learning_groups.schemas import GroupCreate, GroupUpdate, MembershipCreate
from app.learning_questions.schemas import QuestionCreate
from app.learning_questions.service import create_question
from app.members.schemas import MemberCreate
from app.members.service import create_member
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from app.themes import repository as themes_repository
from app.themes.schemas import ThemeCreate
from app.themes.service import create_theme
from app.workshops.schemas import WorkshopCreate
from app.workshops.service import create_workshop

_seq = itertools.count(1)


async def make_department(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {"code": f"DEP-{n}", "name": f"Afdeling {n}", "kind": "afdeling", **overrides}
    async with database.engine.begin() as conn:
        return await create_department(conn, SYSTEM, DepartmentCreate.model_validate(data))


async def make_member(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {
        "email": f"deelnemer{n}@amsterdam.example",
        "givenName": f"Voornaam{n}",
        "familyName": f"Achternaam{n}",
        "externalId": f"HR-{n:05d}",
        **overrides,
    }
    async with database.engine.begin() as conn:
        return await create_member(conn, SYSTEM, MemberCreate.model_validate(data))


async def make_key(role: str = "admin", member_id: uuid.UUID | None = None) -> str:
    if member_id is None and role in ("member", "facilitator"):
        # Such keys always act for someone; give them a member of their own.
        member_id = (await make_member())["id"]
    async with database.engine.begin() as conn:
        item = await issue_key(
            conn, SYSTEM, name=f"test {role}", role=Role(role), member_id=member_id
        )
    return str(item["key"])


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


_ROLES = ("verbinder", "coalitiebouwer", "gebiedsmakelaar")
# The statuses a group or case passes through to reach each status (the lifecycle's path).
_GROUP_PATH = {
    "forming": [],
    "active": ["active"],
    "presented": ["active", "presented"],
    "concluded": ["active", "presented", "concluded"],
}
_CASE_PATH = {
    "proposed": [],
    "in_progress": ["in_progress"],
    "presented": ["in_progress", "presented"],
    "closed": ["closed"],
}


async def make_theme(**overrides: Any) -> dict[str, Any]:
    """Three calls in a row give the three transition roles (the column is unique)."""
    n = next(_seq)
    data = {"name": f"Thema {n}", "transitionRole": _ROLES[n % 3], **overrides}
    async with database.engine.begin() as conn:
        return await create_theme(conn, SYSTEM, ThemeCreate.model_validate(data))


async def make_organisation(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {"name": f"Partner {n}", "kind": "market_party", **overrides}
    async with database.engine.begin() as conn:
        return await create_organisation(conn, SYSTEM, OrganisationCreate.model_validate(data))


async def make_workshop(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {"title": f"Werkplaats {n}", "startsAt": "2024-03-14T09:00:00+01:00", **overrides}
    async with database.engine.begin() as conn:
        return await create_workshop(conn, SYSTEM, WorkshopCreate.model_validate(data))


async def _default_theme_id() -> uuid.UUID:
    """The `verbinder` theme, made on first use: only three themes can exist (one per role)."""
    async with database.engine.connect() as conn:
        query = themes_repository.list_query(transition_role="verbinder", q=None)
        row = (await conn.execute(query)).first()
    if row is not None:
        return uuid.UUID(str(row.id))
    theme = await make_theme(name="De gemeente als organisatie", transitionRole="verbinder")
    return uuid.UUID(str(theme["id"]))


async def make_group(status: str = "forming", **overrides: Any) -> dict[str, Any]:
    """A learning group (a theme is made when none is given), walked along its lifecycle to
    `status`; "merged" needs `mergedIntoId` in overrides."""
    n = next(_seq)
    merged_into = overrides.pop("mergedIntoId", None)
    if "themeId" not in overrides:
        overrides["themeId"] = str(await _default_theme_id())
    data = {"name": f"Leergroep {n}", "mode": "self_directed", **overrides}
    async with database.engine.begin() as conn:
        group = await groups_service.create_group(conn, SYSTEM, GroupCreate.model_validate(data))
        steps: list[dict[str, Any]] = [{"status": s} for s in _GROUP_PATH.get(status, [])]
        if status == "merged":
            steps = [{"status": "merged", "mergedIntoId": str(merged_into)}]
        for step in steps:
            group = await groups_service.update_group(
                conn, SYSTEM, group["id"], GroupUpdate.model_validate(step), None
            )
    return group


async def add_membership(
    group_id: uuid.UUID, member_id: uuid.UUID, role: str = "member"
) -> dict[str, Any]:
    data = {"memberId": str(member_id), "role": role}
    async with database.engine.begin() as conn:
        return await groups_service.join_group(
            conn, SYSTEM, group_id, MembershipCreate.model_validate(data)
        )


async def make_case(status: str = "proposed", **overrides: Any) -> dict[str, Any]:
    """A case, walked along its lifecycle to `status`."""
    n = next(_seq)
    data = {"title": f"Casus {n}", **overrides}
    async with database.engine.begin() as conn:
        case = await cases_service.create_case(conn, SYSTEM, CaseCreate.model_validate(data))
        for step in _CASE_PATH[status]:
            case = await cases_service.update_case(
                conn, SYSTEM, case["id"], CaseUpdate.model_validate({"status": step}), None
            )
    return case


async def make_question(principal: Principal = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """A learning question (default `proposed`), created as `principal` would through the API."""
    data = {"title": f"Leervraag {next(_seq)}", **overrides}
    async with database.engine.begin() as conn:
        return await create_question(conn, principal, QuestionCreate.model_validate(data))


async def make_insight(principal: Principal = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """An insight (default `captured`); pass at least one source id."""
    data = {"title": f"Inzicht {next(_seq)}", **overrides}
    async with database.engine.begin() as conn:
        return await create_insight(conn, principal, InsightCreate.model_validate(data))


async def make_comment(
    thread_type: str, thread_id: uuid.UUID, member_id: uuid.UUID, **overrides: Any
) -> dict[str, Any]:
    """A comment (or, with `parentId`, a reply) written by that member, as their key would."""
    author = Principal(key_id=None, role="member", name="test", member_id=member_id)
    data = {"body": f"Reactie {next(_seq)}", **overrides}
    async with database.engine.begin() as conn:
        return await create_comment(
            conn, author, ThreadType(thread_type), thread_id, CommentCreate.model_validate(data)
        )
