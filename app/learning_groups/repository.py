"""All SQL about learning groups and their memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import NotFound
from app.core.fastread import reader
from app.core.lifecycle import allowed_next
from app.core.models import new_id, table_of
from app.core.pagination import Sorting
from app.core.repository import matches, one_of, one_row, update_versioned
from app.core.text import contains
from app.departments.models import Department
from app.learning_groups.lifecycle import FROZEN, TRANSITIONS
from app.learning_groups.models import GroupMembership, LearningGroup, MembershipRole
from app.learning_groups.schemas import GroupDetail, GroupMember, GroupRead, MembershipRead
from app.members.models import Member
from app.members.rules import name_key
from app.organisations.models import Organisation
from app.themes.models import Theme
from app.workshops.models import Workshop

table = table_of(LearningGroup)
c = table.c
memberships = table_of(GroupMembership)
ms = memberships.c
t = table_of(Theme).c
o = table_of(Organisation).c
members = table_of(Member)
m = members.c
workshops = table_of(Workshop)
w = workshops.c
# The group a merged group carries on in, joined for its name.
merged_into = table.alias("merged_into")
mi = merged_into.c
departments = table_of(Department)
d = departments.c

MEMBER_COUNT = (
    select(func.count())
    .select_from(memberships)
    .where(ms.group_id == c.id, ms.left_at.is_(None))
    .correlate(table)
    .scalar_subquery()
    .label("member_count")
)

COLUMNS = (
    c.id,
    c.name,
    c.description,
    c.theme_id,
    t.name.label("theme_name"),
    t.transition_role.label("theme_transition_role"),
    c.mode,
    c.facilitator_organisation_id,
    o.name.label("organisation_name"),
    c.formed_at_workshop_id,
    w.title.label("workshop_title"),
    w.starts_at.label("workshop_starts_at"),
    c.status,
    c.merged_into_id,
    mi.name.label("merged_into_name"),
    MEMBER_COUNT,
    c.version,
    c.created_at,
    c.updated_at,
)

SORTING = Sorting(
    {"name": c.name, "status": c.status, "createdAt": c.created_at},
    id_column=c.id,
    default="name",
)


# Built once (a Select is immutable); the detail statements are also compiled once by the
# fast reader, which hands back rows unpacked by position.
_BASE: Select[Any] = select(*COLUMNS).select_from(
    table.join(table_of(Theme), t.id == c.theme_id)
    .outerjoin(table_of(Organisation), o.id == c.facilitator_organisation_id)
    .outerjoin(workshops, w.id == c.formed_at_workshop_id)
    .outerjoin(merged_into, mi.id == c.merged_into_id)
)
_BY_ID: Select[Any] = _BASE.where(c.id == bindparam("group_id"))
_CURRENT_MEMBERS: Select[Any] = (
    select(
        ms.id,
        ms.member_id,
        m.display_name,
        m.department_id,
        d.code,
        d.name,
        m.status,
        ms.role,
        ms.joined_at,
    )
    .select_from(
        memberships.join(members, m.id == ms.member_id).outerjoin(
            departments, d.id == m.department_id
        )
    )
    .where(ms.group_id == bindparam("group_id"), ms.left_at.is_(None))
    .order_by(ms.joined_at, ms.id)
)


def base_query() -> Select[Any]:
    return _BASE


def to_item(row: Sequence[Any]) -> GroupRead:
    # Unpacked in the order of COLUMNS (rows may be SQLAlchemy rows or asyncpg records).
    (
        group_id,
        name,
        description,
        theme_id,
        theme_name,
        theme_transition_role,
        mode,
        organisation_id,
        organisation_name,
        workshop_id,
        workshop_title,
        workshop_starts_at,
        status,
        merged_into_id,
        merged_into_name,
        member_count,
        version,
        created_at,
        updated_at,
    ) = row
    return {
        "id": group_id,
        "name": name,
        "description": description,
        "themeId": theme_id,
        "theme": {"id": theme_id, "name": theme_name, "transitionRole": theme_transition_role},
        "mode": mode,
        "facilitatorOrganisationId": organisation_id,
        "facilitatorOrganisation": (
            {"id": organisation_id, "name": organisation_name}
            if organisation_id is not None
            else None
        ),
        "formedAtWorkshopId": workshop_id,
        "formedAtWorkshop": (
            {"id": workshop_id, "title": workshop_title, "startsAt": workshop_starts_at}
            if workshop_id is not None
            else None
        ),
        "status": status,
        "mergedIntoId": merged_into_id,
        "mergedInto": (
            {"id": merged_into_id, "name": merged_into_name} if merged_into_id is not None else None
        ),
        "allowedTransitions": allowed_next(TRANSITIONS, status),
        "memberCount": int(member_count),
        "version": version,
        "createdAt": created_at,
        "updatedAt": updated_at,
    }


def list_query(
    *,
    theme_id: uuid.UUID | None = None,
    mode: Sequence[str] | None = None,
    status: Sequence[str] | None = None,
    member_id: uuid.UUID | None = None,
    facilitator_organisation_id: uuid.UUID | None = None,
    formed_at_workshop_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[Any]:
    query = base_query()
    if theme_id is not None:
        query = query.where(c.theme_id == theme_id)
    if mode is not None:
        query = query.where(matches(c.mode, mode))
    if status is not None:
        query = query.where(matches(c.status, status))
    if member_id is not None:
        query = query.where(
            select(ms.id)
            .where(ms.group_id == c.id, ms.member_id == member_id, ms.left_at.is_(None))
            .correlate(table)
            .exists()
        )
    if facilitator_organisation_id is not None:
        query = query.where(c.facilitator_organisation_id == facilitator_organisation_id)
    if formed_at_workshop_id is not None:
        query = query.where(c.formed_at_workshop_id == formed_at_workshop_id)
    if q:
        query = query.where(or_(contains(c.name, q), contains(c.description, q)))
    return query


async def get(conn: AsyncConnection, group_id: uuid.UUID) -> GroupRead:
    """The group without its members: one statement."""
    return _found((await conn.execute(_BY_ID, {"group_id": group_id})).all())


async def current_members(conn: AsyncConnection, group_id: uuid.UUID) -> list[GroupMember]:
    """Everyone in the group now, in one statement whatever the group's size."""
    return _members((await conn.execute(_CURRENT_MEMBERS, {"group_id": group_id})).all())


async def get_detail(conn: AsyncConnection, group_id: uuid.UUID) -> GroupDetail:
    """The group with its theme, facilitator organisation and current members: two statements."""
    item = await get(conn, group_id)
    return {**item, "members": await current_members(conn, group_id)}


async def read_detail(group_id: uuid.UUID) -> GroupDetail:
    """`get_detail` on the hot path (outside any transaction; app/core/fastread.py)."""
    params = {"group_id": group_id}
    item = _found(await reader.fetch(_BY_ID, params))
    return {**item, "members": _members(await reader.fetch(_CURRENT_MEMBERS, params))}


def _found(rows: Sequence[Any]) -> GroupRead:
    if not rows:
        raise NotFound("No learning group has that id.")
    return to_item(rows[0])


def _members(rows: Sequence[Any]) -> list[GroupMember]:
    return [
        {
            "membershipId": membership_id,
            "memberId": member_id,
            "displayName": display_name,
            "department": (
                {"id": department_id, "code": department_code, "name": department_name}
                if department_id is not None
                else None
            ),
            "status": status,
            "role": role,
            "joinedAt": joined_at,
        }
        for (
            membership_id,
            member_id,
            display_name,
            department_id,
            department_code,
            department_name,
            status,
            role,
            joined_at,
        ) in rows
    ]


async def status_of(conn: AsyncConnection, group_id: uuid.UUID) -> str | None:
    row = (await conn.execute(select(c.status).where(c.id == group_id))).first()
    return str(row.status) if row is not None else None


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    group_id = new_id()
    await conn.execute(insert(table).values(id=group_id, version=1, **values))
    return group_id


async def update(
    conn: AsyncConnection, group_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, group_id, version, values)


async def facilitated_groups(conn: AsyncConnection, member_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The groups the member currently holds a facilitator membership of, in one statement."""
    query = select(ms.group_id).where(
        ms.member_id == member_id,
        ms.role == MembershipRole.FACILITATOR,
        ms.left_at.is_(None),
    )
    return frozenset(row.group_id for row in await conn.execute(query))


async def facilitates(conn: AsyncConnection, member_id: uuid.UUID, group_id: uuid.UUID) -> bool:
    """Whether the member currently holds a facilitator membership of the group."""
    query = select(ms.id).where(
        ms.group_id == group_id,
        ms.member_id == member_id,
        ms.role == MembershipRole.FACILITATOR,
        ms.left_at.is_(None),
    )
    return (await conn.execute(query.limit(1))).first() is not None


# Memberships: joining inserts a row; leaving sets left_at, so the history stays.

MEMBERSHIP_COLUMNS = (
    ms.id,
    ms.group_id,
    c.name.label("group_name"),
    ms.member_id,
    m.display_name,
    ms.role,
    ms.joined_at,
    ms.left_at,
)

MEMBERSHIP_SORTING = Sorting(
    {"joinedAt": ms.joined_at, "displayName": m.display_name_key},
    id_column=ms.id,
    default="joinedAt",
    folds={"displayName": name_key},
)


def membership_item(row: Row[Any]) -> MembershipRead:
    return {
        "id": row.id,
        "groupId": row.group_id,
        "group": {"id": row.group_id, "name": row.group_name},
        "memberId": row.member_id,
        "member": {"id": row.member_id, "displayName": row.display_name},
        "displayName": row.display_name,
        "role": row.role,
        "joinedAt": row.joined_at,
        "leftAt": row.left_at,
        "current": row.left_at is None,
    }


def membership_query(
    group_id: uuid.UUID,
    *,
    current: bool | None = None,
    member_id: uuid.UUID | None = None,
    role: str | None = None,
) -> Select[Any]:
    query = (
        select(*MEMBERSHIP_COLUMNS)
        .select_from(
            memberships.join(members, m.id == ms.member_id).join(table, c.id == ms.group_id)
        )
        .where(ms.group_id == group_id)
    )
    if current is True:
        query = query.where(ms.left_at.is_(None))
    elif current is False:
        query = query.where(ms.left_at.is_not(None))
    if member_id is not None:
        query = query.where(ms.member_id == member_id)
    if role is not None:
        query = query.where(ms.role == role)
    return query


async def get_membership(
    conn: AsyncConnection, group_id: uuid.UUID, membership_id: uuid.UUID
) -> MembershipRead:
    query = membership_query(group_id).where(ms.id == membership_id)
    return membership_item(await one_row(conn, query, "membership of this group"))


async def current_membership_id(
    conn: AsyncConnection, group_id: uuid.UUID, member_id: uuid.UUID
) -> uuid.UUID | None:
    query = select(ms.id).where(
        ms.group_id == group_id, ms.member_id == member_id, ms.left_at.is_(None)
    )
    row = (await conn.execute(query)).first()
    return row.id if row is not None else None


async def create_membership(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    membership_id = new_id()
    await conn.execute(insert(memberships).values(id=membership_id, **values))
    return membership_id


async def update_membership(
    conn: AsyncConnection, membership_id: uuid.UUID, values: dict[str, Any]
) -> bool:
    """Change a membership that is still current; False when it ended meanwhile."""
    result = await conn.execute(
        sql_update(memberships).where(ms.id == membership_id, ms.left_at.is_(None)).values(**values)
    )
    return bool(result.rowcount)


async def end_memberships_of(
    conn: AsyncConnection, member_ids: Sequence[uuid.UUID], left_at: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """End every current membership of these members now, as leaving does (the rows stay, with
    `left_at` set), except in merged groups, which accept no change; answers (membership id,
    group id, member id) of each one ended. One statement on Postgres however many members."""
    frozen = select(c.id).where(c.status.in_(sorted(FROZEN)))
    ended: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    for among in one_of(conn, ms.member_id, member_ids):
        result = await conn.execute(
            sql_update(memberships)
            .where(among, ms.left_at.is_(None), ms.group_id.not_in(frozen))
            .values(left_at=left_at)
            .returning(ms.id, ms.group_id, ms.member_id)
        )
        ended.extend((row.id, row.group_id, row.member_id) for row in result)
    return ended


def the_member(member_id: uuid.UUID) -> Select[Any]:
    """One member, if active: the recipient of a notification about their own membership."""
    return select(m.id).where(m.id == member_id, m.status == "active")


def members_now(group_id: uuid.UUID, actor: uuid.UUID | None) -> Select[Any]:
    """The active members in a group now (notifications), the actor excepted."""
    query = select(ms.member_id).where(
        ms.group_id == group_id,
        ms.left_at.is_(None),
        ms.member_id.in_(select(m.id).where(m.status == "active")),
    )
    if actor is not None:
        query = query.where(ms.member_id != actor)
    return query
