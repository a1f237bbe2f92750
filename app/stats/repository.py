"""The community's numbers, each computed by one GROUP BY query in the database: the number of
statements is fixed, whatever the number of members, groups, questions or insights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import FromClause

from app.core.models import table_of
from app.departments.models import Department
from app.insights.models import Insight
from app.learning_groups.models import GroupStatus, LearningGroup
from app.learning_questions.models import LearningQuestion, QuestionStatusChange
from app.members.models import Member, MemberStatus, Participation
from app.themes.models import Theme

members = table_of(Member)
departments = table_of(Department)
themes = table_of(Theme)
groups = table_of(LearningGroup)
questions = table_of(LearningQuestion)
history = table_of(QuestionStatusChange)
insights = table_of(Insight)
m = members.c
d = departments.c


def active_as_of(as_of: datetime) -> ColumnElement[bool]:
    """A member counts at `as_of` when they had joined and had not (yet) been deactivated."""
    return and_(
        m.joined_at <= as_of,
        or_(
            and_(m.deactivated_at.is_(None), m.status == MemberStatus.ACTIVE),
            m.deactivated_at > as_of,
        ),
    )


def _count_of(participation: Participation) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((m.participation == participation, 1), else_=0)), 0)


def _month(conn: AsyncConnection, column: Any) -> ColumnElement[str]:
    """`YYYY-MM` of a UTC instant; SQLite keeps instants as UTC text already."""
    if conn.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


async def member_counts(conn: AsyncConnection, as_of: datetime) -> list[Any]:
    """Per participation and whether a department is known: counts of members at `as_of`."""
    has_department = m.department_id.is_not(None).label("has_department")
    rows = await conn.execute(
        select(m.participation, has_department, func.count().label("n"))
        .where(active_as_of(as_of))
        .group_by(m.participation, has_department)
    )
    return list(rows.all())


async def membership_events(conn: AsyncConnection, as_of: datetime) -> list[Any]:
    """Joins and departures per month and participation, up to `as_of`."""
    joined = select(
        _month(conn, m.joined_at).label("month"),
        m.participation.label("participation"),
        literal("joined").label("event"),
    ).where(m.joined_at <= as_of)
    left = select(
        _month(conn, m.deactivated_at).label("month"),
        m.participation.label("participation"),
        literal("left").label("event"),
    ).where(m.deactivated_at.is_not(None), m.deactivated_at <= as_of, m.joined_at <= as_of)
    events = union_all(joined, left).subquery("events")
    rows = await conn.execute(
        select(events.c.month, events.c.participation, events.c.event, func.count().label("n"))
        .group_by(events.c.month, events.c.participation, events.c.event)
        .order_by(events.c.month)
    )
    return list(rows.all())


async def department_counts(conn: AsyncConnection, as_of: datetime) -> list[Any]:
    """Every department with its participants and followers at `as_of` (zero included)."""
    rows = await conn.execute(
        select(
            d.id,
            d.code,
            d.name,
            d.active,
            _count_of(Participation.PARTICIPANT).label("participants"),
            _count_of(Participation.FOLLOWER).label("followers"),
        )
        .select_from(
            departments.outerjoin(members, and_(m.department_id == d.id, active_as_of(as_of)))
        )
        .group_by(d.id, d.code, d.name, d.active)
        .order_by(d.name, d.id)
    )
    return list(rows.all())


async def transition_role_counts(conn: AsyncConnection, as_of: datetime) -> list[Any]:
    """Per department (None: members without one), how many members declare each role.

    `transitionRoles` is a JSON list; each database unnests it with its own function."""
    roles: FromClause
    if conn.dialect.name == "sqlite":
        roles = func.json_each(m.transition_roles).table_valued("value").alias("roles")
    else:
        unnested = func.json_array_elements_text(m.transition_roles).table_valued("value")
        roles = unnested.lateral("roles")
    rows = await conn.execute(
        select(m.department_id, roles.c.value.label("role"), func.count().label("n"))
        .select_from(members.join(roles, true()))
        .where(active_as_of(as_of))
        .group_by(m.department_id, roles.c.value)
    )
    return list(rows.all())


async def group_counts(conn: AsyncConnection, as_of: datetime) -> list[Any]:
    """Groups per theme and mode (every theme listed, merged groups left out)."""
    t = themes.c
    g = groups.c
    rows = await conn.execute(
        select(t.id, t.name, t.transition_role, g.mode, func.count(g.id).label("n"))
        .select_from(
            themes.outerjoin(
                groups,
                and_(
                    g.theme_id == t.id,
                    g.status != GroupStatus.MERGED,
                    g.created_at <= as_of,
                ),
            )
        )
        .group_by(t.id, t.name, t.transition_role, g.mode)
        .order_by(t.name, t.id)
    )
    return list(rows.all())


async def question_counts(conn: AsyncConnection, as_of: datetime | None) -> list[Any]:
    """Questions per status: now from the questions, or at `as_of` from their status history
    (each question's last status change at or before that moment)."""
    if as_of is None:
        q = questions.c
        rows = await conn.execute(
            select(q.status.label("status"), func.count().label("n")).group_by(q.status)
        )
        return list(rows.all())
    h = history.c
    ranked = (
        select(
            h.to_status,
            func.row_number()
            .over(partition_by=h.question_id, order_by=(h.changed_at.desc(), h.id.desc()))
            .label("position"),
        )
        .where(h.changed_at <= as_of)
        .subquery("ranked")
    )
    rows = await conn.execute(
        select(ranked.c.to_status.label("status"), func.count().label("n"))
        .where(ranked.c.position == 1)
        .group_by(ranked.c.to_status)
    )
    return list(rows.all())


async def insight_counts(conn: AsyncConnection, as_of: datetime) -> list[Any]:
    i = insights.c
    rows = await conn.execute(
        select(i.adoption.label("adoption"), func.count().label("n"))
        .where(i.created_at <= as_of)
        .group_by(i.adoption)
    )
    return list(rows.all())
