"""All SQL about insights and the departments that adopted them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, delete, exists, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.cases.models import Case
from app.core.lifecycle import allowed_next
from app.core.models import new_id, table_of, utcnow
from app.core.pagination import Sorting
from app.core.repository import matches, one_row, update_versioned
from app.core.text import contains
from app.departments.models import Department
from app.insights.lifecycle import TRANSITIONS
from app.insights.models import Insight, InsightAdoption
from app.insights.schemas import InsightRead
from app.learning_groups.models import LearningGroup
from app.learning_questions.models import LearningQuestion
from app.members.models import Member

table = table_of(Insight)
adoptions = table_of(InsightAdoption)
departments = table_of(Department)
c = table.c
a = adoptions.c
d = departments.c

# What an insight refers to, joined under names of their own: one statement reads a page with
# every reference's name.
source_cases = table_of(Case).alias("source_case")
source_groups = table_of(LearningGroup).alias("source_group")
source_questions = table_of(LearningQuestion).alias("source_question")
creators = table_of(Member).alias("created_by")
sc = source_cases.c
sg = source_groups.c
sq = source_questions.c
cb = creators.c

COLUMNS = (
    c.id,
    c.title,
    c.body,
    c.source_case_id,
    c.source_group_id,
    c.source_question_id,
    c.created_by_member_id,
    c.adoption,
    c.version,
    c.created_at,
    c.updated_at,
    sc.title.label("source_case_title"),
    sg.name.label("source_group_name"),
    sq.title.label("source_question_title"),
    cb.display_name.label("created_by_display_name"),
)

WITH_REFERENCES = (
    table.outerjoin(source_cases, sc.id == c.source_case_id)
    .outerjoin(source_groups, sg.id == c.source_group_id)
    .outerjoin(source_questions, sq.id == c.source_question_id)
    .outerjoin(creators, cb.id == c.created_by_member_id)
)

SORTING = Sorting(
    {
        "title": c.title,
        "adoption": c.adoption,
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
    },
    id_column=c.id,
    default="title",
)


def base_query() -> Select[Any]:
    return select(*COLUMNS).select_from(WITH_REFERENCES)


def to_item(row: Row[Any]) -> InsightRead:
    """The insight without its adopters; `with_adopters` adds them."""
    case_id = row.source_case_id
    group_id = row.source_group_id
    question_id = row.source_question_id
    creator_id = row.created_by_member_id
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "sourceCaseId": case_id,
        "sourceCase": (
            None if case_id is None else {"id": case_id, "title": row.source_case_title}
        ),
        "sourceGroupId": group_id,
        "sourceGroup": (
            None if group_id is None else {"id": group_id, "name": row.source_group_name}
        ),
        "sourceQuestionId": question_id,
        "sourceQuestion": (
            None if question_id is None else {"id": question_id, "title": row.source_question_title}
        ),
        "createdByMemberId": creator_id,
        "createdBy": (
            None
            if creator_id is None
            else {"id": creator_id, "displayName": row.created_by_display_name}
        ),
        "adoption": row.adoption,
        "allowedTransitions": allowed_next(TRANSITIONS, row.adoption),
        "adoptedByDepartmentIds": [],
        "adoptedByDepartments": [],
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


async def with_adopters(conn: AsyncConnection, items: list[InsightRead]) -> list[InsightRead]:
    """Fill in the adopting departments of every item with one statement, whatever their number."""
    if not items:
        return items
    by_id = {item["id"]: item for item in items}
    rows = await conn.execute(
        select(a.insight_id, a.adopted_at, d.id, d.code, d.name)
        .select_from(adoptions.join(departments, d.id == a.department_id))
        .where(a.insight_id.in_(list(by_id)))
        .order_by(a.adopted_at, d.code)
    )
    for row in rows:
        item = by_id[row.insight_id]
        item["adoptedByDepartmentIds"].append(row.id)
        item["adoptedByDepartments"].append(
            {"id": row.id, "code": row.code, "name": row.name, "adoptedAt": row.adopted_at}
        )
    return items


def list_query(
    *,
    adoption: Sequence[str] | None = None,
    department_id: uuid.UUID | None = None,
    source_case_id: uuid.UUID | None = None,
    source_group_id: uuid.UUID | None = None,
    source_question_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[Any]:
    query = base_query()
    filters = {
        c.adoption: adoption,
        c.source_case_id: source_case_id,
        c.source_group_id: source_group_id,
        c.source_question_id: source_question_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(matches(column, value))
    if department_id is not None:
        query = query.where(exists().where(a.insight_id == c.id, a.department_id == department_id))
    if q:
        query = query.where(or_(contains(c.title, q), contains(c.body, q)))
    return query


async def get(conn: AsyncConnection, insight_id: uuid.UUID) -> InsightRead:
    row = await one_row(conn, base_query().where(c.id == insight_id), "insight")
    return (await with_adopters(conn, [to_item(row)]))[0]


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    insight_id = new_id()
    await conn.execute(insert(table).values(id=insight_id, version=1, **values))
    return insight_id


async def update(
    conn: AsyncConnection, insight_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, insight_id, version, values)


async def set_adopters(
    conn: AsyncConnection,
    insight_id: uuid.UUID,
    current: Collection[uuid.UUID],
    wanted: Collection[uuid.UUID],
) -> None:
    """Make the adopting departments exactly `wanted`; those that stay keep their date, those
    added are dated now."""
    removed = set(current) - set(wanted)
    added = [department_id for department_id in wanted if department_id not in set(current)]
    if removed:
        await conn.execute(
            delete(adoptions).where(a.insight_id == insight_id, a.department_id.in_(removed))
        )
    if added:
        now = utcnow()
        await conn.execute(
            insert(adoptions),
            [
                {"insight_id": insight_id, "department_id": department_id, "adopted_at": now}
                for department_id in added
            ],
        )
