"""All SQL of "me": the caller's member with what they take part in now (three statements
however many groups, questions and werkplaatsen), and their own lists, built on the queries
and item shapes of the domains that hold them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import NotFound
from app.core.fastread import reader
from app.core.models import UTCDateTime, table_of
from app.core.pagination import Sorting
from app.learning_groups import repository as groups
from app.learning_groups.models import GroupMembership, LearningGroup
from app.learning_questions import repository as questions
from app.learning_questions.lifecycle import CLOSED
from app.learning_questions.models import LearningQuestion, QuestionSupport
from app.me.schemas import (
    MeRead,
    MyGroupRead,
    MyGroupRef,
    MyQuestionRead,
    MyWorkshopRead,
    MyWorkshopRef,
    QuestionRelation,
)
from app.members import repository as members
from app.notifications.models import Notification
from app.themes.models import Theme
from app.workshops import repository as workshops
from app.workshops.models import Workshop, WorkshopAttendee

g = table_of(LearningGroup).c
ms = table_of(GroupMembership).c
q = table_of(LearningQuestion).c
sp = table_of(QuestionSupport).c
w = table_of(Workshop).c
a = table_of(WorkshopAttendee).c
nt = table_of(Notification).c
th = table_of(Theme).c

# --- the summary (GET /me): built once, read on the hot path ---------------------------------

_OPEN_QUESTIONS = (
    select(func.count())
    .select_from(table_of(LearningQuestion))
    # Each closed status compared on its own: the fast reader binds no expanding IN list.
    .where(q.raised_by_member_id == members.c.id, *(q.status != s for s in sorted(CLOSED)))
    .correlate(members.table)
    .scalar_subquery()
    .label("open_learning_questions")
)
_SUPPORTED = (
    select(func.count())
    .select_from(table_of(QuestionSupport))
    .where(sp.member_id == members.c.id, sp.withdrawn_at.is_(None))
    .correlate(members.table)
    .scalar_subquery()
    .label("supported_learning_questions")
)
_UNREAD = (
    select(func.count())
    .select_from(table_of(Notification))
    .where(nt.member_id == members.c.id, nt.read_at.is_(None))
    .correlate(members.table)
    .scalar_subquery()
    .label("unread_notifications")
)
_MEMBER: Select[Any] = (
    members.base_query()
    .add_columns(_OPEN_QUESTIONS, _SUPPORTED, _UNREAD)
    .where(members.c.id == bindparam("member_id"))
)
_MEMBER_WIDTH = len(members.COLUMNS)
_GROUPS: Select[Any] = (
    select(
        g.id,
        g.name,
        g.status,
        g.theme_id,
        th.name.label("theme_name"),
        th.transition_role,
        ms.id.label("membership_id"),
        ms.role,
        ms.joined_at,
    )
    .select_from(
        table_of(GroupMembership)
        .join(table_of(LearningGroup), g.id == ms.group_id)
        .join(table_of(Theme), th.id == g.theme_id)
    )
    .where(ms.member_id == bindparam("member_id"), ms.left_at.is_(None))
    .order_by(g.name, g.id)
)
_AHEAD: Select[Any] = (
    select(w.id, w.title, w.starts_at, w.ends_at, w.location, a.registered_at)
    .select_from(table_of(WorkshopAttendee).join(table_of(Workshop), w.id == a.workshop_id))
    .where(
        a.member_id == bindparam("member_id"),
        w.starts_at > bindparam("now", type_=UTCDateTime()),
    )
    .order_by(w.starts_at, w.id)
)

# How the summary's statements are run: on the hot path (one connection for the three), or in
# the caller's transaction.
FetchEach = Callable[[Sequence[tuple[Select[Any], Mapping[str, Any]]]], Awaitable[list[Any]]]


def in_transaction(conn: AsyncConnection) -> FetchEach:
    async def fetch_each(queries: Sequence[tuple[Select[Any], Mapping[str, Any]]]) -> list[Any]:
        return [(await conn.execute(statement, params)).all() for statement, params in queries]

    return fetch_each


async def summary(
    member_id: uuid.UUID, now: datetime, fetch_each: FetchEach | None = None
) -> MeRead:
    """The member with their current groups, the werkplaatsen ahead they signed up for and the
    counts of their questions and unread notifications: three statements, on one connection
    (the hot path's, unless `fetch_each` runs them in a transaction)."""
    found, groups, ahead = await (fetch_each or reader.fetch_each)(
        [
            (_MEMBER, {"member_id": member_id}),
            (_GROUPS, {"member_id": member_id}),
            (_AHEAD, {"member_id": member_id, "now": now}),
        ]
    )
    if not found:
        raise NotFound("No member has that id.")
    row = found[0]
    member = members.to_item(row[:_MEMBER_WIDTH])
    group_refs: list[MyGroupRef] = [
        {
            "id": group_id,
            "name": name,
            "status": status,
            "themeId": theme_id,
            "theme": {"id": theme_id, "name": theme_name, "transitionRole": transition_role},
            "membership": {"id": membership_id, "role": role, "joinedAt": joined_at},
        }
        for (
            group_id,
            name,
            status,
            theme_id,
            theme_name,
            transition_role,
            membership_id,
            role,
            joined_at,
        ) in groups
    ]
    workshop_refs: list[MyWorkshopRef] = [
        {
            "id": workshop_id,
            "title": title,
            "startsAt": starts_at,
            "endsAt": ends_at,
            "location": location,
            "registeredAt": registered_at,
        }
        for workshop_id, title, starts_at, ends_at, location, registered_at in ahead
    ]
    return {
        **member,
        "learningGroups": group_refs,
        "upcomingWorkshops": workshop_refs,
        "counts": {
            "openLearningQuestions": int(row[_MEMBER_WIDTH]),
            "supportedLearningQuestions": int(row[_MEMBER_WIDTH + 1]),
            "unreadNotifications": int(row[_MEMBER_WIDTH + 2]),
        },
    }


# --- their groups ------------------------------------------------------------------------

_GROUP_WIDTH = len(groups.COLUMNS)
GROUP_SORTING = Sorting({"name": g.name, "joinedAt": ms.joined_at}, id_column=g.id, default="name")
# Where a group item holds the value of a sort key that is not its own.
GROUP_SORT_FIELDS = {"joinedAt": "membership.joinedAt"}


def groups_query(member_id: uuid.UUID, *, role: str | None = None) -> Select[Any]:
    """The groups the member is in now (at most one current membership each), with it."""
    query = (
        groups.base_query()
        .add_columns(ms.id.label("membership_id"), ms.role, ms.joined_at)
        .join(table_of(GroupMembership), ms.group_id == g.id)
        .where(ms.member_id == member_id, ms.left_at.is_(None))
    )
    if role is not None:
        query = query.where(ms.role == role)
    return query


def group_item(row: Sequence[Any]) -> MyGroupRead:
    membership_id, role, joined_at = row[_GROUP_WIDTH:]
    return {
        **groups.to_item(row[:_GROUP_WIDTH]),
        "membership": {"id": membership_id, "role": role, "joinedAt": joined_at},
    }


# --- their questions ---------------------------------------------------------------------

QUESTION_SORTING = questions.SORTING


def _supports(member_id: uuid.UUID) -> Any:
    """Whether the member supports the question now (a condition on a question's row)."""
    return (
        select(sp.id)
        .where(sp.question_id == q.id, sp.member_id == member_id, sp.withdrawn_at.is_(None))
        .correlate(table_of(LearningQuestion))
        .exists()
    )


def _relations(member_id: uuid.UUID) -> dict[QuestionRelation, Any]:
    """Each relation as a condition on a question."""
    return {
        QuestionRelation.RAISED: q.raised_by_member_id == member_id,
        QuestionRelation.SUPPORTED: _supports(member_id),
    }


def questions_query(
    member_id: uuid.UUID,
    *,
    relations: Sequence[QuestionRelation],
    status: Sequence[str] | None = None,
    open_: bool | None = None,
) -> Select[Any]:
    conditions = _relations(member_id)
    # The last column says whether they support it (the item's `relations`).
    query = (
        questions.list_query(status=status)
        .where(or_(*(conditions[relation] for relation in relations)))
        .add_columns(_supports(member_id).label("supported"))
    )
    if open_ is True:
        query = query.where(q.status.not_in(sorted(CLOSED)))
    elif open_ is False:
        query = query.where(q.status.in_(sorted(CLOSED)))
    return query


def question_item(member_id: uuid.UUID) -> Callable[[Sequence[Any]], MyQuestionRead]:
    def item(row: Sequence[Any]) -> MyQuestionRead:
        question = questions.to_item(row[:-1])
        related = [QuestionRelation.RAISED] if question["raisedByMemberId"] == member_id else []
        if row[-1]:
            related.append(QuestionRelation.SUPPORTED)
        return {**question, "relations": related}

    return item


with_merged = questions.with_merged


# --- their werkplaatsen --------------------------------------------------------------------

WORKSHOP_SORTING = workshops.SORTING


def workshops_query(
    member_id: uuid.UUID, *, upcoming: bool | None = None, now: datetime
) -> Select[Any]:
    """The workshops the member signed up for (or attended)."""
    query = (
        select(*workshops.COLUMNS, a.registered_at)
        .select_from(table_of(Workshop).join(table_of(WorkshopAttendee), a.workshop_id == w.id))
        .where(a.member_id == member_id)
    )
    if upcoming is True:
        query = query.where(w.starts_at > now)
    elif upcoming is False:
        query = query.where(w.starts_at <= now)
    return query


def workshop_item(row: Any) -> MyWorkshopRead:
    return {**workshops.to_item(row), "registeredAt": row.registered_at}
