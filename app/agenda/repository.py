"""All SQL about agenda revisions and their items (reads embed questions, themes and groups)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import (
    Column,
    CursorResult,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from app.agenda.models import AgendaItem, AgendaRevision, RevisionStatus
from app.agenda.schemas import AgendaItemRead, RevisionSummary
from app.core.errors import NotFound
from app.core.fastread import reader
from app.core.http import json_response
from app.core.models import UTCDateTime, table_of, utcnow
from app.core.pagination import Page, PageRequest, Sorting, encode_cursor, page_links, paginate
from app.learning_groups.models import LearningGroup
from app.learning_questions.models import (
    LearningQuestion,
    QuestionStatusChange,
    QuestionSupport,
    QuestionTitleChange,
)
from app.members.models import Member, MemberStatus
from app.themes.models import Theme
from app.workshops.models import Workshop

revisions = table_of(AgendaRevision)
items = table_of(AgendaItem)
questions = table_of(LearningQuestion)
themes = table_of(Theme)
groups = table_of(LearningGroup)
status_changes = table_of(QuestionStatusChange)
title_changes = table_of(QuestionTitleChange)
supports = table_of(QuestionSupport)
workshops = table_of(Workshop)

r = revisions.c
i = items.c
w = workshops.c

DRAFT = RevisionStatus.DRAFT.value
PUBLISHED = RevisionStatus.PUBLISHED.value

_item_count = (
    select(func.count())
    .select_from(items)
    .where(i.revision_id == r.id)
    .correlate(revisions)
    .scalar_subquery()
    .label("item_count")
)

REVISION_COLUMNS = (
    r.id,
    r.number,
    r.status,
    r.title,
    r.rationale,
    r.workshop_id,
    r.created_at,
    r.updated_at,
    r.published_at,
    r.published_by,
    r.version,
    _item_count,
    w.title.label("workshop_title"),
    w.starts_at.label("workshop_starts_at"),
)

# A revision with the werkplaats that triggered it (REVISION_COLUMNS read from this).
REVISIONS = revisions.outerjoin(workshops, w.id == r.workshop_id)

# Where a revision row holds its publication (the moment a published revision shows).
PUBLISHED_AT = 8
assert REVISION_COLUMNS[PUBLISHED_AT] is r.published_at

# The number is the revision's public identity, so it is both the sort key and the tie-breaker.
SORTING = Sorting({"number": r.number}, id_column=r.number, default="number")


def _select(*columns: Any) -> Select[Any]:
    """A select typed loosely, so its rows are plain `Row[Any]` (read by attribute name)."""
    return select(*columns)


def _revisions() -> Select[Any]:
    """Revisions as REVISION_COLUMNS reads them (with their werkplaats: one outer join)."""
    return _select(*REVISION_COLUMNS).select_from(REVISIONS)


def to_revision(row: Sequence[Any]) -> RevisionSummary:
    # Unpacked in the order of REVISION_COLUMNS (SQLAlchemy rows and asyncpg records alike).
    (
        _,
        number,
        status,
        title,
        rationale,
        workshop_id,
        created_at,
        updated_at,
        published_at,
        published_by,
        version,
        item_count,
        workshop_title,
        workshop_starts_at,
    ) = row
    return {
        "number": number,
        "status": status,
        "title": title,
        "rationale": rationale,
        "workshopId": workshop_id,
        "workshop": (
            {"id": workshop_id, "title": workshop_title, "startsAt": workshop_starts_at}
            if workshop_id is not None
            else None
        ),
        "createdAt": created_at,
        "updatedAt": updated_at,
        "publishedAt": published_at,
        "publishedBy": published_by,
        "version": version,
        "itemCount": item_count,
    }


def list_query(status: RevisionStatus | None) -> Select[Any]:
    query = _revisions()
    if status is not None:
        query = query.where(r.status == status.value)
    return query


async def revision_page(
    conn: AsyncConnection, request: Request, status: RevisionStatus | None, page: PageRequest
) -> Response:
    """One page of revisions (without items) in one statement. The number is unique, so the
    cursor's position and tie-breaker are both the last number."""
    query, sort_name, _column, _desc = paginate(list_query(status), page, SORTING)
    rows = [to_revision(row) for row in (await conn.execute(query)).all()]
    result = Page(rows[: page.size], None)
    if len(rows) > page.size:
        last = result.items[-1]["number"]
        result.next_cursor = encode_cursor(sort_name, last, last)
    body, headers = page_links(request, result)
    return json_response(body, headers=headers)


async def revision_by_number(conn: AsyncConnection, number: int) -> Row[Any]:
    row = (await conn.execute(_revisions().where(r.number == number))).first()
    if row is None:
        raise NotFound(f"There is no agenda revision {number}.")
    found: Row[Any] = row
    return found


async def revisions_by_number(
    conn: AsyncConnection, numbers: Collection[int]
) -> dict[int, Row[Any]]:
    rows = await conn.execute(_revisions().where(r.number.in_(list(numbers))))
    return {row.number: row for row in rows}


# The newest published revision (now), and the newest published by `as_of`.
_IN_FORCE = _revisions().where(r.status == PUBLISHED).order_by(r.number.desc()).limit(1)
_IN_FORCE_AT = _IN_FORCE.where(r.published_at <= bindparam("as_of"))
_BY_NUMBER = _revisions().where(r.number == bindparam("number"))


async def read_revision_in_force(as_of: datetime | None) -> Sequence[Any] | None:
    """The published revision a reader saw at `as_of` (now when None), as a row in the order
    of REVISION_COLUMNS; read on the hot path (app/core/fastread.py)."""
    if as_of is None:
        rows = await reader.fetch(_IN_FORCE, {})
    else:
        rows = await reader.fetch(_IN_FORCE_AT, {"as_of": as_of})
    return rows[0] if rows else None


async def revision_row(conn: AsyncConnection, number: int) -> Sequence[Any]:
    """One revision as a row in the order of REVISION_COLUMNS, in the caller's transaction."""
    return _revision_found((await conn.execute(_BY_NUMBER, {"number": number})).all(), number)


async def read_revision_row(number: int) -> Sequence[Any]:
    """`revision_row` on the hot path."""
    return _revision_found(await reader.fetch(_BY_NUMBER, {"number": number}), number)


def _revision_found(rows: Sequence[Any], number: int) -> Sequence[Any]:
    if not rows:
        raise NotFound(f"There is no agenda revision {number}.")
    row: Sequence[Any] = rows[0]
    return row


async def latest_published_id(conn: AsyncConnection) -> uuid.UUID | None:
    query = select(r.id).where(r.status == PUBLISHED).order_by(r.number.desc()).limit(1)
    row = (await conn.execute(query)).first()
    return row.id if row else None


async def draft_number(conn: AsyncConnection) -> int | None:
    row = (await conn.execute(select(r.number).where(r.status == DRAFT))).first()
    return row.number if row else None


async def next_number(conn: AsyncConnection) -> int:
    highest = (await conn.execute(select(func.max(r.number)))).scalar()
    return int(highest or 0) + 1


async def create_revision(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    revision_id = uuid.uuid4()
    now = utcnow()
    await conn.execute(
        insert(revisions).values(
            id=revision_id, status=DRAFT, version=1, created_at=now, updated_at=now, **values
        )
    )
    return revision_id


async def copy_items(conn: AsyncConnection, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
    """One INSERT … SELECT, however long the agenda."""
    columns = ("question_id", "rank", "priority", "owner_group_id", "note")
    source = select(literal(target_id, type_=i.revision_id.type), *(i[c] for c in columns)).where(
        i.revision_id == source_id
    )
    await conn.execute(insert(items).from_select(["revision_id", *columns], source))


async def replace_items(
    conn: AsyncConnection, revision_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await conn.execute(delete(items).where(i.revision_id == revision_id))
    if rows:
        await conn.execute(insert(items), [{"revision_id": revision_id, **row} for row in rows])


async def delete_revision(conn: AsyncConnection, revision_id: uuid.UUID, version: int) -> bool:
    """Remove a draft and its items, only if it is still the draft at that version."""
    # The guarded UPDATE claims the row first, so a racing publish or edit cannot slip between.
    if not await bump_draft(conn, revision_id, version, {}):
        return False
    await conn.execute(delete(items).where(i.revision_id == revision_id))
    await conn.execute(delete(revisions).where(r.id == revision_id))
    return True


async def bump_draft(
    conn: AsyncConnection, revision_id: uuid.UUID, version: int, values: dict[str, Any]
) -> bool:
    """Write to a draft only if it is still a draft at `version`: the guard that makes
    concurrent edits and publications exclude each other."""
    result: CursorResult[Any] = await conn.execute(
        update(revisions)
        .where(r.id == revision_id, r.status == DRAFT, r.version == version)
        .values(**values, version=version + 1, updated_at=utcnow())
    )
    return result.rowcount == 1


async def latest_publication(conn: AsyncConnection) -> datetime | None:
    value: datetime | None = (await conn.execute(select(func.max(r.published_at)))).scalar()
    return value


async def question_states(
    conn: AsyncConnection, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """Status (and merge target) of each of these questions that exists (one statement)."""
    if not ids:
        return {}
    q = questions.c
    rows = await conn.execute(_select(q.id, q.status, q.merged_into_id).where(q.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def unusable_items(conn: AsyncConnection, revision_id: uuid.UUID) -> list[Row[Any]]:
    """Items of a revision whose question has since been merged or retired."""
    q = questions.c
    query = (
        _select(i.rank, i.question_id, q.status)
        .join(questions, q.id == i.question_id)
        .where(i.revision_id == revision_id, q.status.in_(("merged", "retired")))
        .order_by(i.rank)
    )
    return list((await conn.execute(query)).all())


async def question_title(conn: AsyncConnection, question_id: uuid.UUID) -> str | None:
    """The question's title now, or None when there is no such question."""
    q = questions.c
    title: str | None = (
        await conn.execute(select(q.title).where(q.id == question_id))
    ).scalar_one_or_none()
    return title


# --- items with what scripts want to see next to them -------------------------------------


def _latest_at(history: Table, value: Column[Any], question_id: Any, moment: Any) -> Any:
    """The last `value` a question's `history` recorded by `moment` (one index seek per row
    inside the statement); NULL when the question did not exist yet."""
    h = history.c
    return (
        select(value)
        .where(h.question_id == question_id, h.changed_at <= moment)
        .order_by(h.changed_at.desc(), h.id.desc())
        .limit(1)
        .correlate_except(history)
        .scalar_subquery()
    )


def _status_at(question_id: Any, moment: Any) -> ColumnElement[Any]:
    """The status a question had at `moment`, read back as its own status column reads (an
    enum member)."""
    latest = _latest_at(status_changes, status_changes.c.to_status, question_id, moment)
    return type_coerce(latest, questions.c.status.type)


def _title_at(question_id: Any, moment: Any) -> ColumnElement[Any]:
    """The title a question had at `moment`."""
    latest = _latest_at(title_changes, title_changes.c.title, question_id, moment)
    return type_coerce(latest, questions.c.title.type)


def _supports_at(question_id: Any, moment: Any) -> ColumnElement[Any]:
    """How many members supported a question at `moment`: the supports given by then and not
    withdrawn by then (one range of the supports' index inside the statement)."""
    s = supports.c
    return (
        select(func.count())
        .select_from(supports)
        .where(
            s.question_id == question_id,
            s.supported_at <= moment,
            or_(s.withdrawn_at.is_(None), s.withdrawn_at > moment),
        )
        .correlate_except(supports)
        .scalar_subquery()
    )


def _embedded_items_query(moment: Any = None, *, statuses: bool = True) -> Select[Any]:
    """Items with their question and owner group; with a `moment`, the question's title,
    support and (unless `statuses` is false) status as they were then (its present title and
    status where no history reaches back that far). Without one, its support now is the
    question's stored count."""
    q = questions.c
    t = themes.c
    g = groups.c
    title: ColumnElement[Any] = q.title
    status: ColumnElement[Any] = q.status
    support: ColumnElement[Any] = q.support_count
    if moment is not None:
        title = func.coalesce(_title_at(i.question_id, moment), q.title, type_=q.title.type)
        support = _supports_at(i.question_id, moment)
    if moment is not None and statuses:
        status = func.coalesce(_status_at(i.question_id, moment), q.status, type_=q.status.type)
    return (
        _select(
            i.revision_id,
            i.question_id,
            i.rank,
            i.priority,
            i.owner_group_id,
            i.note,
            title.label("question_title"),
            status.label("question_status"),
            support.label("question_support_count"),
            q.theme_id,
            t.name.label("theme_name"),
            t.transition_role.label("theme_transition_role"),
            g.name.label("group_name"),
        )
        .select_from(items)
        .join(questions, q.id == i.question_id)
        .outerjoin(themes, t.id == q.theme_id)
        .outerjoin(groups, g.id == i.owner_group_id)
    )


_ITEMS_OF = (
    _embedded_items_query().where(i.revision_id == bindparam("revision_id")).order_by(i.rank)
)


# The same items with their questions as they were at `moment` (the as-of agenda, a published
# revision at its publication).
_ITEMS_AT = (
    _embedded_items_query(bindparam("moment", type_=UTCDateTime()))
    .where(i.revision_id == bindparam("revision_id"))
    .order_by(i.rank)
)


def to_embedded_item(values: Sequence[Any]) -> AgendaItemRead:
    """An item with its question and owner group, from a row of the embedded-items query
    (unpacked by position: for a 500-item agenda, attribute lookups per row add up)."""
    (
        _,
        question_id,
        rank,
        priority,
        owner_id,
        note,
        title,
        status,
        support_count,
        theme_id,
        theme,
        transition_role,
        group,
    ) = values
    return {
        "questionId": question_id,
        "rank": rank,
        "priority": priority,
        "ownerGroupId": owner_id,
        "note": note,
        "question": {
            "id": question_id,
            "title": title,
            "status": status,
            "supportCount": support_count,
            "theme": (
                {"id": theme_id, "name": theme, "transitionRole": transition_role}
                if theme_id is not None
                else None
            ),
        },
        "ownerGroup": {"id": owner_id, "name": group} if owner_id is not None else None,
    }


async def items_of(conn: AsyncConnection, revision_id: Any) -> list[AgendaItemRead]:
    """One revision's items by rank, embedded, in the caller's transaction."""
    rows = (await conn.execute(_ITEMS_OF, {"revision_id": revision_id})).all()
    return [to_embedded_item(row) for row in rows]


async def read_items_of(revision_id: Any) -> list[AgendaItemRead]:
    """`items_of` on the hot path."""
    return [
        to_embedded_item(row) for row in await reader.fetch(_ITEMS_OF, {"revision_id": revision_id})
    ]


async def read_items_at(revision_id: Any, moment: datetime) -> list[AgendaItemRead]:
    """`read_items_of` with each question's title, status and support as they were at
    `moment`: still one statement (two index seeks and one index range per item inside it)."""
    rows = await reader.fetch(_ITEMS_AT, {"revision_id": revision_id, "moment": moment})
    return [to_embedded_item(row) for row in rows]


async def items_at(
    conn: AsyncConnection, revision_id: Any, moment: datetime
) -> list[AgendaItemRead]:
    """`read_items_at` in the caller's transaction."""
    rows = (await conn.execute(_ITEMS_AT, {"revision_id": revision_id, "moment": moment})).all()
    return [to_embedded_item(row) for row in rows]


async def embedded_items(
    conn: AsyncConnection, revision_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[AgendaItemRead]]:
    """The items of each revision, ordered by rank, each question with its title and support at
    its revision's moment (the publication; `now` for a draft): one statement for all of them.
    Statuses are left as they are now: a diff replays them from `status_history`."""
    by_revision: dict[uuid.UUID, list[AgendaItemRead]] = {rid: [] for rid in revision_ids}
    if not revision_ids:
        return by_revision
    moment = func.coalesce(r.published_at, bindparam("now", type_=UTCDateTime()))
    query = (
        _embedded_items_query(moment, statuses=False)
        .join(revisions, r.id == i.revision_id)
        .where(i.revision_id.in_(list(revision_ids)))
        .order_by(i.revision_id, i.rank)
    )
    # all() fetches in one go; iterating the async result would fetch row by row.
    for row in (await conn.execute(query, {"now": now})).all():
        by_revision[row[0]].append(to_embedded_item(row))
    return by_revision


async def status_history(
    conn: AsyncConnection, revision_ids: Collection[uuid.UUID], until: datetime
) -> list[Row[Any]]:
    """Every recorded status of every question on these revisions, up to `until`, in order."""
    s = status_changes.c
    on_revisions = select(i.question_id).where(i.revision_id.in_(list(revision_ids)))
    query = (
        _select(s.question_id, s.to_status, s.changed_at)
        .where(s.question_id.in_(on_revisions), s.changed_at <= until)
        .order_by(s.question_id, s.changed_at, s.id)
    )
    return list((await conn.execute(query)).all())


async def question_history(conn: AsyncConnection, question_id: uuid.UUID) -> list[Row[Any]]:
    """Every published revision, with this question's item on it where it had one (and the
    item's owner group's name), and its title, status and support at that revision's
    publication (NULL title and status before it existed)."""
    g = groups.c
    query = (
        _select(
            r.number,
            r.published_at,
            i.question_id,
            i.rank,
            i.priority,
            i.owner_group_id,
            g.name.label("owner_group_name"),
            i.note,
            _title_at(question_id, r.published_at).label("title"),
            _status_at(question_id, r.published_at).label("status"),
            _supports_at(question_id, r.published_at).label("support_count"),
        )
        .select_from(revisions)
        .outerjoin(items, and_(i.revision_id == r.id, i.question_id == question_id))
        .outerjoin(groups, g.id == i.owner_group_id)
        .where(r.status == PUBLISHED)
        .order_by(r.number)
    )
    return list((await conn.execute(query)).all())


def everyone() -> Select[Any]:
    """Who hears of a publication: every active member (an erased one is inactive too)."""
    members = table_of(Member).c
    return select(members.id).where(
        members.status == MemberStatus.ACTIVE.value, members.erased_at.is_(None)
    )


def agenda_moves(
    revision_id: uuid.UUID, number: int, actor: uuid.UUID | None, *, on: bool
) -> Select[Any]:
    """Whom the publication of revision `number` (id `revision_id`) tells that a question came
    on the agenda (`on`: on this revision, not on the published one before it, or on none when
    it is the first) or went off it (on that one, not on this): the raiser and the current
    supporters of each such question, if active, except the member who published. Rows of
    (member id, question id, its title, and its rank when it came on); a member who both
    raised and supports a question is named twice, which the fan-out makes one."""
    before = (
        select(r.id)
        .where(r.status == PUBLISHED, r.number < number)
        .order_by(r.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    here, there = (revision_id, before) if on else (before, revision_id)
    mine, theirs = items.alias("moved"), items.alias("kept")
    moved = (
        select(mine.c.question_id, mine.c.rank)
        .where(
            mine.c.revision_id == here,
            ~select(theirs.c.question_id)
            .where(theirs.c.revision_id == there, theirs.c.question_id == mine.c.question_id)
            .exists(),
        )
        .subquery("moved")
    )
    q = questions.c
    s = supports.c
    shown = [q.title.label("title")] + ([moved.c.rank.label("rank")] if on else [])
    raisers = select(q.raised_by_member_id.label("member_id"), q.id.label("question_id"), *shown)
    raisers = raisers.select_from(moved.join(questions, q.id == moved.c.question_id))
    backers = select(s.member_id, q.id, *shown).select_from(
        moved.join(questions, q.id == moved.c.question_id).join(
            supports, and_(s.question_id == q.id, s.withdrawn_at.is_(None))
        )
    )
    people = raisers.union_all(backers).subquery("people")
    m = table_of(Member).c
    query = (
        select(m.id, people.c.question_id, *[people.c[column.name] for column in shown])
        .select_from(people.join(table_of(Member), m.id == people.c.member_id))
        .where(m.status == MemberStatus.ACTIVE.value, m.erased_at.is_(None))
    )
    if actor is not None:
        query = query.where(m.id != actor)
    return query
