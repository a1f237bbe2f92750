"""All SQL of SCIM: users are members joined with their SCIM record and department; groups are
active departments; a group's members are the visible members placed in it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import InvalidFilterException
from scim2_models.path import CompareOperator, FilterNode
from sqlalchemy import (
    Select,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.models import table_of
from app.departments.models import Department
from app.members.models import Member, MemberStatus
from app.members.rules import email_key
from app.scim.filters import Attribute, Condition, SqlFilter, compare_column
from app.scim.models import ScimUser
from app.scim.schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

members = table_of(Member)
m = members.c
departments = table_of(Department)
d = departments.c
scim_users = table_of(ScimUser)
s = scim_users.c

# A member SCIM created without an address holds a reserved, never-delivered one (RFC 2606)
# until the provider sends a real one; SCIM never shows it.
NO_EMAIL_DOMAIN = "no-email.invalid"

USER_COLUMNS = (
    m.id,
    m.external_id,
    m.email,
    m.email_key,
    m.given_name,
    m.family_name,
    m.display_name,
    m.department_id,
    m.organisation_id,
    m.status,
    m.source,
    m.version,
    m.created_at,
    m.updated_at,
    d.code.label("department_code"),
    d.name.label("department_name"),
    s.member_id.label("scim_member_id"),
    s.user_name,
    s.employee_number,
    s.department_label,
    s.email_type,
    s.email_primary,
    s.display_name_sent,
    s.deprovisioned_at,
)


def _user_from() -> Any:
    return members.outerjoin(scim_users, s.member_id == m.id).outerjoin(
        departments, d.id == m.department_id
    )


def user_query() -> Select[Any]:
    """Users SCIM shows: every member it has not deleted."""
    return select(*USER_COLUMNS).select_from(_user_from()).where(s.deprovisioned_at.is_(None))


def _has_email() -> Condition:
    return ~m.email_key.like(f"%@{NO_EMAIL_DOMAIN}")


def _named(user_name: str) -> Condition:
    """Two indexed lookups: the SCIM userName, or the address of a member SCIM never named."""
    return or_(
        s.user_name_key == user_name.lower(),
        and_(s.member_id.is_(None), m.email_key == email_key(user_name)),
    )


def _user_name_compare(op: CompareOperator | None, value: Any) -> Condition:
    if op == CompareOperator.eq and isinstance(value, str):
        return _named(value)
    return compare_column(Attribute(func.coalesce(s.user_name, m.email)), op, value)


def _active_compare(op: CompareOperator | None, value: Any) -> Condition:
    if op is None:
        return true()
    condition = compare_column(Attribute(m.status == MemberStatus.ACTIVE.value, "bool"), op, value)
    return condition


def _email_value(op: CompareOperator | None, value: Any) -> Condition:
    if op is None:
        return _has_email()
    if op == CompareOperator.eq and isinstance(value, str):
        return m.email_key == email_key(value)
    return and_(_has_email(), compare_column(Attribute(m.email), op, value))


def _email_type(op: CompareOperator | None, value: Any) -> Condition:
    if op is None:
        return _has_email()
    if op == CompareOperator.eq and isinstance(value, str):
        return _has_email() if value.lower() == "work" else false()
    if op == CompareOperator.ne and isinstance(value, str):
        return false() if value.lower() == "work" else _has_email()
    return false()


def _email_primary(op: CompareOperator | None, value: Any) -> Condition:
    if op is None or (op == CompareOperator.eq and value is True):
        return _has_email()
    return false()


_EMAIL_ATTRIBUTES = {
    f"{USER_SCHEMA}:value".lower(): Attribute(compare=_email_value),
    f"{USER_SCHEMA}:type".lower(): Attribute(compare=_email_type),
    f"{USER_SCHEMA}:primary".lower(): Attribute(compare=_email_primary),
}


def _emails_selection(node: FilterNode) -> Condition:
    return SqlFilter(USER_SCHEMA, _EMAIL_ATTRIBUTES, {}).visit(node)


def _user(name: str, urn: str = USER_SCHEMA) -> str:
    return f"{urn}:{name}".lower()


USER_FILTER = SqlFilter(
    USER_SCHEMA,
    {
        _user("id"): Attribute(m.id, "uuid"),
        _user("externalId"): Attribute(m.external_id, "exact"),
        _user("userName"): Attribute(compare=_user_name_compare),
        _user("displayName"): Attribute(m.display_name),
        _user("name.givenName"): Attribute(m.given_name),
        _user("name.familyName"): Attribute(m.family_name),
        _user("active"): Attribute(compare=_active_compare),
        _user("emails.value"): Attribute(compare=_email_value),
        _user("emails.type"): Attribute(compare=_email_type),
        _user("emails.primary"): Attribute(compare=_email_primary),
        _user("meta.created"): Attribute(m.created_at, "datetime"),
        _user("meta.lastModified"): Attribute(m.updated_at, "datetime"),
        _user("employeeNumber", ENTERPRISE_SCHEMA): Attribute(s.employee_number),
        _user("department", ENTERPRISE_SCHEMA): Attribute(
            func.coalesce(s.department_label, d.name)
        ),
    },
    {_user("emails"): _emails_selection},
)


def visible_member() -> Condition:
    return ~exists().where(s.member_id == m.id, s.deprovisioned_at.is_not(None))


def _has_member(op: CompareOperator | None, value: Any) -> Condition:
    if op is None:
        return exists().where(m.department_id == d.id, visible_member())
    if op != CompareOperator.eq or not isinstance(value, str):
        return compare_column(Attribute(m.id, "uuid"), op, value)  # raises the right error
    try:
        member_id = uuid.UUID(value)
    except ValueError:
        return false()
    return exists().where(m.department_id == d.id, m.id == member_id, visible_member())


_GROUP_MEMBER_ATTRIBUTES = {f"{GROUP_SCHEMA}:value".lower(): Attribute(compare=_has_member)}


def _members_selection(node: FilterNode) -> Condition:
    return SqlFilter(GROUP_SCHEMA, _GROUP_MEMBER_ATTRIBUTES, {}).visit(node)


def _group(name: str) -> str:
    return f"{GROUP_SCHEMA}:{name}".lower()


GROUP_FILTER = SqlFilter(
    GROUP_SCHEMA,
    {
        _group("id"): Attribute(d.id, "uuid"),
        _group("externalId"): Attribute(d.code, "exact"),
        _group("displayName"): Attribute(d.name),
        _group("members.value"): Attribute(compare=_has_member),
        _group("meta.created"): Attribute(d.created_at, "datetime"),
        _group("meta.lastModified"): Attribute(d.updated_at, "datetime"),
    },
    {_group("members"): _members_selection},
)

GROUP_COLUMNS = (d.id, d.code, d.name, d.version, d.created_at, d.updated_at)


def group_query() -> Select[Any]:
    """Groups SCIM shows: the active departments."""
    return select(*GROUP_COLUMNS).where(d.active.is_(True))


async def page(
    conn: AsyncConnection,
    query: Select[Any],
    id_column: Any,
    created_column: Any,
    start_index: int,
    count: int,
) -> tuple[int, list[Row[Any]]]:
    """The total and one page, in a stable order (creation, then id)."""
    total = (
        await conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    if count == 0:
        return int(total), []
    rows = await conn.execute(
        query.order_by(created_column, id_column).offset(start_index - 1).limit(count)
    )
    return int(total), list(rows.all())


async def users_page(
    conn: AsyncConnection, where: FilterNode | None, start_index: int, count: int
) -> tuple[int, list[Row[Any]]]:
    """The users a filter matches (all when None): their total and one page. A filter on an
    attribute users lack is refused (InvalidFilterException)."""
    query = user_query()
    if where is not None:
        query = query.where(USER_FILTER.visit(where))
    return await page(conn, query, m.id, m.created_at, start_index, count)


async def groups_page(
    conn: AsyncConnection, where: FilterNode | None, start_index: int, count: int
) -> tuple[int, list[Row[Any]]]:
    """`users_page` for groups."""
    query = group_query()
    if where is not None:
        query = query.where(GROUP_FILTER.visit(where))
    return await page(conn, query, d.id, d.created_at, start_index, count)


@dataclass(frozen=True)
class UsersThenGroups:
    user_total: int
    users: list[Row[Any]]
    group_total: int
    groups: list[Row[Any]]


def _condition(sql_filter: SqlFilter, where: FilterNode | None) -> Condition | None:
    """The filter for one resource type; one naming an attribute the type lacks matches none of
    its resources (RFC 7644 §3.4.2.1), and None when it fits no type at all."""
    if where is None:
        return true()
    try:
        return sql_filter.visit(where)
    except InvalidFilterException:
        return None


async def users_then_groups_page(
    conn: AsyncConnection, where: FilterNode | None, start_index: int, count: int
) -> UsersThenGroups:
    """A search across both resource types (RFC 7644 §3.4.3) as one list, users first, then
    groups: the group page starts where the users ran out. A filter no type can answer is
    refused (InvalidFilterException)."""
    users = _condition(USER_FILTER, where)
    groups = _condition(GROUP_FILTER, where)
    if users is None and groups is None:
        raise InvalidFilterException(detail="No resource type can be filtered this way.")
    user_total, user_rows = await page(
        conn,
        user_query().where(users if users is not None else false()),
        m.id,
        m.created_at,
        start_index,
        count,
    )
    group_total, group_rows = await page(
        conn,
        group_query().where(groups if groups is not None else false()),
        d.id,
        d.created_at,
        max(1, start_index - user_total),
        count - len(user_rows),
    )
    return UsersThenGroups(user_total, user_rows, group_total, group_rows)


async def user(conn: AsyncConnection, member_id: uuid.UUID) -> Row[Any] | None:
    row: Row[Any] | None = (await conn.execute(user_query().where(m.id == member_id))).first()
    return row


async def user_including_deleted(conn: AsyncConnection, condition: Condition) -> list[Row[Any]]:
    query: Select[Any] = select(*USER_COLUMNS).select_from(_user_from()).where(condition)
    return list((await conn.execute(query)).all())


async def user_including_deleted_by_id(
    conn: AsyncConnection, member_id: uuid.UUID
) -> list[Row[Any]]:
    return await user_including_deleted(conn, m.id == member_id)


async def user_name_holders(conn: AsyncConnection, user_name: str) -> list[Row[Any]]:
    """Members whose userName is this one (any case): named so by SCIM, or by their address."""
    return await user_including_deleted(conn, _named(user_name))


async def email_holder(conn: AsyncConnection, email: str) -> uuid.UUID | None:
    row = (await conn.execute(select(m.id).where(m.email_key == email_key(email)))).first()
    return row.id if row else None


async def save_scim_user(
    conn: AsyncConnection, member_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Insert or replace the SCIM record of a member."""
    exists_ = (await conn.execute(select(s.member_id).where(s.member_id == member_id))).first()
    if exists_ is None:
        await conn.execute(insert(scim_users).values(member_id=member_id, **values))
    else:
        await conn.execute(update(scim_users).where(s.member_id == member_id).values(**values))


async def drop_scim_user(conn: AsyncConnection, member_id: uuid.UUID) -> None:
    await conn.execute(delete(scim_users).where(s.member_id == member_id))


async def group(conn: AsyncConnection, department_id: uuid.UUID) -> Row[Any] | None:
    row: Row[Any] | None = (await conn.execute(group_query().where(d.id == department_id))).first()
    return row


async def group_members(
    conn: AsyncConnection, department_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """The visible members of each of these departments, in one statement."""
    found: dict[uuid.UUID, list[Any]] = {dep: [] for dep in department_ids}
    if not department_ids:
        return found
    rows = await conn.execute(
        select(m.id, m.display_name, m.department_id)
        .where(m.department_id.in_(list(department_ids)), visible_member())
        .order_by(m.created_at, m.id)
    )
    for row in rows:
        found[row.department_id].append(row)
    return found


async def department_by_code(conn: AsyncConnection, code: str) -> Row[Any] | None:
    query: Select[Any] = select(*GROUP_COLUMNS, d.active).where(d.code == code)
    row: Row[Any] | None = (await conn.execute(query)).first()
    return row


async def department_for_label(conn: AsyncConnection, label: str) -> uuid.UUID | None:
    """The department an enterprise `department` names: by code, else by name (any case)."""
    row = (
        await conn.execute(
            select(d.id)
            .where(or_(d.code == label, func.lower(d.name) == label.lower()))
            .order_by((d.code == label).desc(), d.active.desc())
            .limit(1)
        )
    ).first()
    return row.id if row else None


async def existing_member_ids(
    conn: AsyncConnection, member_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not member_ids:
        return set()
    rows = await conn.execute(select(m.id).where(m.id.in_(list(member_ids)), visible_member()))
    return {row.id for row in rows}


async def move_members(
    conn: AsyncConnection,
    member_ids: Sequence[uuid.UUID],
    department_id: uuid.UUID | None,
    now: datetime,
    from_department: uuid.UUID | None = None,
) -> None:
    """Place members in a department (or none): one statement, each version raised. A
    department label SCIM kept for them no longer says where they are, so it is cleared."""
    if not member_ids:
        return
    condition: Condition = m.id.in_(list(member_ids))
    if from_department is not None:
        condition = and_(condition, m.department_id == from_department)
    await conn.execute(
        update(members)
        .where(condition)
        .values(department_id=department_id, version=m.version + 1, updated_at=now)
    )
    await conn.execute(
        update(scim_users).where(s.member_id.in_(list(member_ids))).values(department_label=None)
    )
