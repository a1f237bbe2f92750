"""All SQL about learning questions, their lineage (merges), their status and title histories, and
their supports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Select, insert, literal, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.cases.models import Case
from app.core.http import json_response
from app.core.lifecycle import allowed_next
from app.core.models import new_id, table_of, utcnow
from app.core.pagination import Page, PageRequest, Sorting, page_from_rows, page_links, paginate
from app.core.repository import matches, one_row, update_versioned
from app.core.text import contains
from app.learning_groups.models import LearningGroup
from app.learning_questions.lifecycle import TRANSITIONS
from app.learning_questions.models import (
    LearningQuestion,
    QuestionStatus,
    QuestionStatusChange,
    QuestionSupport,
    QuestionTitleChange,
)
from app.learning_questions.schemas import QuestionRead, SupporterRead, SupportRead
from app.members.models import Member
from app.members.rules import name_key
from app.themes.models import Theme
from app.workshops.models import Workshop

table = table_of(LearningQuestion)
history = table_of(QuestionStatusChange)
titles = table_of(QuestionTitleChange)
supports = table_of(QuestionSupport)
members = table_of(Member)
themes = table_of(Theme)
groups = table_of(LearningGroup)
c = table.c
t = themes.c
g = groups.c
s = supports.c
m = members.c

# What a question refers to, each joined under a name of its own (two joins reach learning
# groups, two reach questions), so one statement reads a page with every reference's name.
origin_workshops = table_of(Workshop).alias("origin_workshop")
origin_groups = table_of(LearningGroup).alias("origin_group")
origin_cases = table_of(Case).alias("origin_case")
raisers = table_of(Member).alias("raised_by")
survivors = table.alias("merged_into")
ow = origin_workshops.c
og = origin_groups.c
oc = origin_cases.c
rb = raisers.c
mi = survivors.c

COLUMNS = (
    c.id,
    c.title,
    c.description,
    c.theme_id,
    c.kind,
    c.origin_workshop_id,
    c.origin_group_id,
    c.origin_case_id,
    c.raised_by_member_id,
    c.owner_group_id,
    c.status,
    c.merged_into_id,
    c.answer,
    c.support_count,
    c.version,
    c.created_at,
    c.updated_at,
    t.name.label("theme_name"),
    t.transition_role.label("theme_transition_role"),
    g.name.label("owner_group_name"),
    ow.title.label("origin_workshop_title"),
    ow.starts_at.label("origin_workshop_starts_at"),
    og.name.label("origin_group_name"),
    oc.title.label("origin_case_title"),
    rb.display_name.label("raised_by_display_name"),
    mi.title.label("merged_into_title"),
)

SORTING = Sorting(
    {
        "title": c.title,
        "status": c.status,
        "kind": c.kind,
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
        "supportCount": c.support_count,
    },
    id_column=c.id,
    default="title",
)


def base_query() -> Select[Any]:
    return select(*COLUMNS).select_from(
        table.outerjoin(themes, t.id == c.theme_id)
        .outerjoin(groups, g.id == c.owner_group_id)
        .outerjoin(origin_workshops, ow.id == c.origin_workshop_id)
        .outerjoin(origin_groups, og.id == c.origin_group_id)
        .outerjoin(origin_cases, oc.id == c.origin_case_id)
        .outerjoin(raisers, rb.id == c.raised_by_member_id)
        .outerjoin(survivors, mi.id == c.merged_into_id)
    )


def to_item(row: Sequence[Any]) -> QuestionRead:
    """The question without its lineage; `with_merged` adds what was merged into it."""
    # Unpacked in the order of COLUMNS: on a list page this runs for every row, and reading
    # every attribute of a Row by name costs a hundred times more than one unpacking.
    (
        question_id,
        title,
        description,
        theme_id,
        kind,
        origin_workshop_id,
        origin_group_id,
        origin_case_id,
        raised_by_member_id,
        owner_group_id,
        status,
        merged_into_id,
        answer,
        support_count,
        version,
        created_at,
        updated_at,
        theme_name,
        theme_transition_role,
        owner_group_name,
        origin_workshop_title,
        origin_workshop_starts_at,
        origin_group_name,
        origin_case_title,
        raised_by_name,
        merged_into_title,
    ) = row
    return {
        "id": question_id,
        "title": title,
        "description": description,
        "themeId": theme_id,
        "theme": (
            {"id": theme_id, "name": theme_name, "transitionRole": theme_transition_role}
            if theme_id is not None
            else None
        ),
        "kind": kind,
        "originWorkshopId": origin_workshop_id,
        "originWorkshop": (
            {
                "id": origin_workshop_id,
                "title": origin_workshop_title,
                "startsAt": origin_workshop_starts_at,
            }
            if origin_workshop_id is not None
            else None
        ),
        "originGroupId": origin_group_id,
        "originGroup": (
            {"id": origin_group_id, "name": origin_group_name}
            if origin_group_id is not None
            else None
        ),
        "originCaseId": origin_case_id,
        "originCase": (
            {"id": origin_case_id, "title": origin_case_title}
            if origin_case_id is not None
            else None
        ),
        "raisedByMemberId": raised_by_member_id,
        "raisedBy": (
            {"id": raised_by_member_id, "displayName": raised_by_name}
            if raised_by_member_id is not None
            else None
        ),
        "ownerGroupId": owner_group_id,
        "ownerGroup": (
            {"id": owner_group_id, "name": owner_group_name} if owner_group_id is not None else None
        ),
        "status": status,
        "allowedTransitions": allowed_next(TRANSITIONS, status),
        "mergedIntoId": merged_into_id,
        "mergedInto": (
            {"id": merged_into_id, "title": merged_into_title}
            if merged_into_id is not None
            else None
        ),
        "mergedQuestionIds": [],
        "mergedQuestions": [],
        "answer": answer,
        "supportCount": support_count,
        "version": version,
        "createdAt": created_at,
        "updatedAt": updated_at,
    }


async def with_merged(conn: AsyncConnection, items: list[QuestionRead]) -> list[QuestionRead]:
    """Fill in `mergedQuestionIds` and `mergedQuestions` for every item with one statement,
    whatever their number."""
    if not items:
        return items
    by_id = {item["id"]: item for item in items}
    rows = await conn.execute(
        select(c.id, c.title, c.merged_into_id)
        .where(c.merged_into_id.in_(list(by_id)))
        .order_by(c.updated_at, c.id)
    )
    for merged_id, title, survivor_id in rows:
        survivor = by_id[survivor_id]
        survivor["mergedQuestionIds"].append(merged_id)
        survivor["mergedQuestions"].append({"id": merged_id, "title": title})
    return items


def list_query(
    *,
    theme_id: uuid.UUID | None = None,
    status: Sequence[str] | None = None,
    owner_group_id: uuid.UUID | None = None,
    kind: Sequence[str] | None = None,
    raised_by_member_id: uuid.UUID | None = None,
    origin_workshop_id: uuid.UUID | None = None,
    origin_group_id: uuid.UUID | None = None,
    origin_case_id: uuid.UUID | None = None,
    merged_into_id: uuid.UUID | None = None,
    supported_by_member_id: uuid.UUID | None = None,
    q: str | None = None,
) -> Select[Any]:
    query = base_query()
    filters = {
        c.theme_id: theme_id,
        c.status: status,
        c.owner_group_id: owner_group_id,
        c.kind: kind,
        c.raised_by_member_id: raised_by_member_id,
        c.origin_workshop_id: origin_workshop_id,
        c.origin_group_id: origin_group_id,
        c.origin_case_id: origin_case_id,
        c.merged_into_id: merged_into_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(matches(column, value))
    if supported_by_member_id is not None:
        query = query.where(
            select(s.id)
            .where(
                s.question_id == c.id,
                s.member_id == supported_by_member_id,
                s.withdrawn_at.is_(None),
            )
            .correlate(table)
            .exists()
        )
    if q:
        query = query.where(or_(contains(c.title, q), contains(c.description, q)))
    return query


async def get(conn: AsyncConnection, question_id: uuid.UUID) -> QuestionRead:
    row = await one_row(conn, base_query().where(c.id == question_id), "learning question")
    return (await with_merged(conn, [to_item(row)]))[0]


async def survivor_chain(conn: AsyncConnection, question_id: uuid.UUID) -> list[uuid.UUID]:
    """The questions this one was merged into, nearest first, walked in one recursive query.

    The depth bound keeps a corrupt (cyclic) lineage from looping forever."""
    chain = (
        select(c.merged_into_id.label("id"), literal(1).label("depth"))
        .where(c.id == question_id, c.merged_into_id.is_not(None))
        .cte("chain", recursive=True)
    )
    step = table.alias("step")
    chain = chain.union_all(
        select(step.c.merged_into_id, chain.c.depth + 1).where(
            step.c.id == chain.c.id, step.c.merged_into_id.is_not(None), chain.c.depth < 1000
        )
    )
    rows = await conn.execute(select(chain.c.id).order_by(chain.c.depth))
    return [row.id for row in rows]


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    question_id = new_id()
    await conn.execute(insert(table).values(id=question_id, version=1, **values))
    await record_status(conn, question_id, None, values["status"])
    await record_title(conn, question_id, values["title"])
    return question_id


async def update(
    conn: AsyncConnection,
    question_id: uuid.UUID,
    version: int,
    values: dict[str, Any],
    *,
    from_status: str,
    from_title: str,
) -> None:
    """A version-guarded write; a new status or title also appends its history row (same
    transaction), so the agenda can show the question as it was at any moment."""
    await update_versioned(conn, table, question_id, version, values)
    new_status = values.get("status")
    if new_status is not None and new_status != from_status:
        await record_status(conn, question_id, from_status, new_status)
    new_title = values.get("title")
    if new_title is not None and new_title != from_title:
        await record_title(conn, question_id, new_title)


async def touch(conn: AsyncConnection, question_id: uuid.UUID, version: int) -> None:
    """Raise the version of a question whose representation changed (a survivor of a merge)."""
    await update_versioned(conn, table, question_id, version, {})


async def record_status(
    conn: AsyncConnection,
    question_id: uuid.UUID,
    from_status: str | None,
    to_status: str,
) -> None:
    await conn.execute(
        insert(history).values(
            question_id=question_id,
            from_status=None if from_status is None else str(from_status),
            to_status=str(to_status),
            changed_at=utcnow(),
        )
    )


async def record_title(conn: AsyncConnection, question_id: uuid.UUID, title: str) -> None:
    await conn.execute(
        insert(titles).values(question_id=question_id, title=title, changed_at=utcnow())
    )


# --- supports ("ik wil dit ook leren") ------------------------------------------------------
# A support is current until withdrawn; the question's `support_count` is the number of its
# current supports, changed in the same transaction as each support and withdrawal.

# Statuses in which a question takes no new support.
CLOSED = (QuestionStatus.MERGED.value, QuestionStatus.RETIRED.value)

SUPPORTER_SORTING = Sorting(
    {"supportedAt": s.supported_at, "displayName": m.display_name_key},
    # A member supports a question at most once at a time: the member is the tie-breaker.
    id_column=s.member_id,
    default="supportedAt",
    folds={"displayName": name_key},
)


def supporter_query(question_id: uuid.UUID) -> Select[Any]:
    """The question's current supporters with their names (an erased member's name is the
    pseudonym their record now holds)."""
    return (
        select(s.member_id, m.display_name, s.supported_at)
        .select_from(supports.join(members, m.id == s.member_id))
        .where(s.question_id == question_id, s.withdrawn_at.is_(None))
    )


# A supporter that carries its member id as `id` too, the key the list helper takes a cursor's
# tie-breaker from; the key is dropped before the page is written.
class _Positioned(SupporterRead):
    id: uuid.UUID


async def supporter_page(
    conn: AsyncConnection, request: Request, question_id: uuid.UUID, page: PageRequest
) -> Response:
    """One page of a question's current supporters in one statement."""
    paged, sort_name, _column, _desc = paginate(
        supporter_query(question_id), page, SUPPORTER_SORTING
    )
    rows: list[_Positioned] = [
        {"memberId": member_id, "displayName": name, "supportedAt": since, "id": member_id}
        for member_id, name, since in (await conn.execute(paged)).all()
    ]
    result = page_from_rows(rows, page, sort_name, sort_name.lstrip("-"))
    items: list[SupporterRead] = [
        {
            "memberId": r["memberId"],
            "displayName": r["displayName"],
            "supportedAt": r["supportedAt"],
        }
        for r in result.items
    ]
    body, headers = page_links(request, Page(items, result.next_cursor))
    return json_response(body, headers=headers)


async def support_of(
    conn: AsyncConnection, question_id: uuid.UUID, member_id: uuid.UUID
) -> SupportRead | None:
    """The member's current support of the question with the question's count and the
    member's name (one statement), or None when they do not support it now."""
    query = (
        select(s.supported_at, c.support_count, m.display_name)
        .select_from(supports.join(table, c.id == s.question_id).join(members, m.id == s.member_id))
        .where(s.question_id == question_id, s.member_id == member_id, s.withdrawn_at.is_(None))
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return {
        "questionId": question_id,
        "memberId": member_id,
        "member": {"id": member_id, "displayName": row.display_name},
        "supportedAt": row.supported_at,
        "supportCount": int(row.support_count),
    }


async def add_support(
    conn: AsyncConnection, question_id: uuid.UUID, member_id: uuid.UUID
) -> bool | None:
    """Record the member's support unless they support the question already. True: recorded
    (and counted); False: it was there already (nothing changed); None: the question is
    merged or retired (the caller rolls back the row just inserted).

    The insert leaves an existing current support alone (the partial unique index decides,
    also between two racing requests), and the count rises only when a row went in; the
    count's UPDATE also checks the status under the question's row lock, so a merge that
    commits meanwhile is seen."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    statement = (
        insert_(supports)
        .values(question_id=question_id, member_id=member_id, supported_at=utcnow())
        .on_conflict_do_nothing(
            index_elements=[s.question_id, s.member_id], index_where=s.withdrawn_at.is_(None)
        )
    )
    if not (await conn.execute(statement)).rowcount:
        return False
    counted = await conn.execute(
        sql_update(table)
        .where(c.id == question_id, c.status.not_in(CLOSED))
        .values(support_count=c.support_count + 1)
    )
    return True if counted.rowcount else None


async def withdraw_support(
    conn: AsyncConnection, question_id: uuid.UUID, member_id: uuid.UUID
) -> bool:
    """End the member's current support (the row stays, with `withdrawn_at`); False when
    there was none. Of two racing withdrawals only one finds the row still current."""
    ended = await conn.execute(
        sql_update(supports)
        .where(s.question_id == question_id, s.member_id == member_id, s.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    )
    if not ended.rowcount:
        return False
    await conn.execute(
        sql_update(table).where(c.id == question_id).values(support_count=c.support_count - 1)
    )
    return True


async def status_of(conn: AsyncConnection, question_id: uuid.UUID) -> QuestionStatus | None:
    row = (await conn.execute(select(c.status).where(c.id == question_id))).first()
    return None if row is None else QuestionStatus(row.status)


def concerned(question_id: uuid.UUID, actor: uuid.UUID | None) -> Select[Any]:
    """Whom a change of a question concerns (notifications): its raiser and the members who
    support it now, if active, except the member who made the change."""
    q = table_of(LearningQuestion).c
    m = table_of(Member).c
    people = (
        select(q.raised_by_member_id.label("member_id"))
        .where(q.id == question_id)
        .union(select(s.member_id).where(s.question_id == question_id, s.withdrawn_at.is_(None)))
        .subquery("people")
    )
    query = select(m.id).where(m.id.in_(select(people.c.member_id)), m.status == "active")
    if actor is not None:
        query = query.where(m.id != actor)
    return query
