"""All SQL about comments: a thread's page and the replies of its comments (on the hot path),
one comment, and the writes. Rows map straight into response items; what a caller may see of
a hidden comment is decided here too, from one flag (`moderator`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    any_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from app.cases.models import Case
from app.comments.models import Comment, ThreadType
from app.comments.schemas import CommentRead, CommentReply
from app.core.db import database
from app.core.errors import NotFound
from app.core.fastread import reader
from app.core.models import new_id, table_of
from app.core.pagination import PageRequest, Sorting, paginate_named
from app.core.repository import update_versioned
from app.insights.models import Insight
from app.learning_groups.models import GroupMembership, LearningGroup
from app.learning_questions.models import LearningQuestion
from app.members.models import Member

table = table_of(Comment)
c = table.c
replies_table = table.alias("replies")
r = replies_table.c
members = table_of(Member)
author = members.alias("author")
moderator = members.alias("moderator")

# The resource each kind of thread hangs under, and its name in a 404.
THREADS: dict[ThreadType, tuple[Table, str]] = {
    ThreadType.LEARNING_QUESTION: (table_of(LearningQuestion), "learning question"),
    ThreadType.CASE: (table_of(Case), "case"),
    ThreadType.INSIGHT: (table_of(Insight), "insight"),
    ThreadType.LEARNING_GROUP: (table_of(LearningGroup), "learning group"),
}

COLUMNS = (
    c.id,
    c.thread_type,
    c.thread_id,
    c.parent_id,
    c.author_member_id,
    author.c.display_name.label("author_name"),
    c.body,
    c.format,
    c.edited_at,
    c.deleted_at,
    c.hidden_at,
    c.hidden_reason,
    c.hidden_by_member_id,
    moderator.c.display_name.label("moderator_name"),
    c.version,
    c.created_at,
    c.updated_at,
)

SORTING = Sorting({"createdAt": c.created_at}, id_column=c.id, default="createdAt")

# Built once (a Select is immutable): the hot path compiles each statement object once.
_BASE: Select[Any] = select(*COLUMNS).select_from(
    table.join(author, author.c.id == c.author_member_id).outerjoin(
        moderator, moderator.c.id == c.hidden_by_member_id
    )
)
_THREAD = _BASE.where(
    c.thread_type == bindparam("thread_type", type_=c.thread_type.type),
    c.thread_id == bindparam("thread_id", type_=c.thread_id.type),
    c.parent_id.is_(None),
)
# `updatedSince` on a thread: the top-level comments that changed since, or whose replies did.
_THREAD_SINCE = _THREAD.where(
    or_(
        c.updated_at >= bindparam("since", type_=c.updated_at.type),
        exists()
        .where(r.parent_id == c.id, r.updated_at >= bindparam("since", type_=c.updated_at.type))
        .correlate(table),
    )
)
_BY_ID = _BASE.where(c.id == bindparam("comment_id", type_=c.id.type))


def _replies_statement(postgres: bool) -> Select[Any]:
    # The page's comments: an array on Postgres (one statement whatever the page's size), an
    # expanded IN list on SQLite.
    parents = (
        c.parent_id == any_(bindparam("parent_ids", type_=ARRAY(c.parent_id.type)))
        if postgres
        else c.parent_id.in_(bindparam("parent_ids", expanding=True))
    )
    return _BASE.where(parents).order_by(c.parent_id, c.created_at, c.id)


# The replies of a page's comments, by whether the database is Postgres.
REPLIES = {postgres: _replies_statement(postgres) for postgres in (False, True)}
_THREAD_EXISTS = {
    kind: select(thread.c.id).where(thread.c.id == bindparam("thread_id", type_=thread.c.id.type))
    for kind, (thread, _noun) in THREADS.items()
}


def _shown_body(
    body: str | None, deleted_at: datetime | None, hidden_at: datetime | None, moderator_sees: bool
) -> str | None:
    if hidden_at is not None:
        # Kept for the moderators (deleted or not); nobody else sees it.
        return body if moderator_sees else None
    return None if deleted_at is not None else body


def to_reply(row: Sequence[Any], moderator_sees: bool) -> CommentReply:
    """A comment as the caller may see it: `moderator_sees` for admins and facilitators."""
    (
        comment_id,
        thread_type,
        thread_id,
        parent_id,
        author_id,
        author_name,
        body,
        comment_format,
        edited_at,
        deleted_at,
        hidden_at,
        hidden_reason,
        hidden_by,
        moderator_name,
        version,
        created_at,
        updated_at,
    ) = cast("tuple[Any, ...]", row)
    return {
        "id": comment_id,
        "threadType": thread_type,
        "threadId": thread_id,
        "parentId": parent_id,
        "author": {"id": author_id, "displayName": author_name},
        "body": _shown_body(body, deleted_at, hidden_at, moderator_sees),
        "format": comment_format,
        "deleted": deleted_at is not None,
        "deletedAt": deleted_at,
        "editedAt": edited_at,
        "hidden": hidden_at is not None,
        "hiddenAt": hidden_at,
        "hiddenReason": hidden_reason,
        "hiddenBy": (
            {"id": hidden_by, "displayName": moderator_name}
            if moderator_sees and hidden_by is not None
            else None
        ),
        "version": version,
        "createdAt": created_at,
        "updatedAt": updated_at,
    }


def to_item(row: Sequence[Any], moderator_sees: bool) -> CommentRead:
    """A comment with room for its replies (`with_replies` fills them in)."""
    item = cast("CommentRead", to_reply(row, moderator_sees))
    item["replies"] = []
    return item


def attach_replies(items: list[CommentRead], rows: Sequence[Any], moderator_sees: bool) -> None:
    """The rows of `REPLIES` put under the comments they reply to."""
    by_id = {item["id"]: item for item in items}
    for row in rows:
        by_id[row[3]]["replies"].append(to_reply(row, moderator_sees))


# --- the hot path: a thread's page, outside any transaction (app/core/fastread.py) ------------


def thread_page_query(
    thread_type: ThreadType, thread_id: uuid.UUID, page: PageRequest
) -> tuple[Select[Any], dict[str, Any], str]:
    """The statement of a page of a thread's top-level comments, its parameters, and the
    sort's name (for the cursor)."""
    params: dict[str, Any] = {"thread_type": thread_type, "thread_id": thread_id}
    query = _THREAD
    if page.updated_since is not None:
        query = _THREAD_SINCE
        params["since"] = page.updated_since
        page = PageRequest(page.cursor, page.size, page.sort)
    return paginate_named(query, page, SORTING, params)


async def read_thread_page(
    thread_type: ThreadType,
    thread_id: uuid.UUID,
    page: PageRequest,
    moderator_sees: bool,
) -> tuple[list[CommentRead], str]:
    """Up to `page.size + 1` top-level comments of the thread (the extra one tells whether a
    next page exists), with every reply of each: two statements, whatever the page's size.
    Also the sort's name, for the cursor."""
    statement, values, sort_name = thread_page_query(thread_type, thread_id, page)
    items = [to_item(row, moderator_sees) for row in await reader.fetch(statement, values)]
    if items:
        postgres = not database.sqlite
        rows = await reader.fetch(REPLIES[postgres], {"parent_ids": [item["id"] for item in items]})
        attach_replies(items, rows, moderator_sees)
    return items, sort_name


async def read_thread_exists(thread_type: ThreadType, thread_id: uuid.UUID) -> bool:
    return bool(await reader.fetch(_THREAD_EXISTS[thread_type], {"thread_id": thread_id}))


# --- inside a transaction ---------------------------------------------------------------------


async def thread_exists(
    conn: AsyncConnection, thread_type: ThreadType, thread_id: uuid.UUID
) -> bool:
    found = await conn.execute(_THREAD_EXISTS[thread_type], {"thread_id": thread_id})
    return found.first() is not None


async def get_row(conn: AsyncConnection, comment_id: uuid.UUID) -> Sequence[Any]:
    row = (await conn.execute(_BY_ID, {"comment_id": comment_id})).first()
    if row is None:
        raise NotFound("No comment has that id.")
    return cast("Sequence[Any]", row)


async def get(
    conn: AsyncConnection,
    comment_id: uuid.UUID,
    moderator_sees: bool,
    *,
    with_replies: bool = True,
) -> CommentRead:
    """The comment, with its replies when it is a top-level one: one or two statements."""
    item = to_item(await get_row(conn, comment_id), moderator_sees)
    if with_replies and item["parentId"] is None:
        postgres = conn.dialect.name == "postgresql"
        rows = (await conn.execute(REPLIES[postgres], {"parent_ids": [comment_id]})).all()
        attach_replies([item], rows, moderator_sees)
    return item


async def lock_author(conn: AsyncConnection, member_id: uuid.UUID) -> None:
    """Take the author's row for this transaction, so that one member's comments are written
    one at a time and the rate limit counts exactly (on SQLite one writer at a time does it)."""
    m = members.c
    await conn.execute(select(m.id).where(m.id == member_id).with_for_update(key_share=True))


async def written_since(
    conn: AsyncConnection, member_id: uuid.UUID, since: datetime
) -> tuple[int, datetime | None]:
    """How many comments the member wrote at or after `since`, and when the first of those."""
    row = (
        await conn.execute(
            select(func.count(), func.min(c.created_at)).where(
                c.author_member_id == member_id, c.created_at >= since
            )
        )
    ).one()
    return int(row[0]), row[1]


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    comment_id = new_id()
    await conn.execute(insert(table).values(id=comment_id, version=1, **values))
    return comment_id


async def update(
    conn: AsyncConnection, comment_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, comment_id, version, values)


def thread_noun(thread_type: ThreadType) -> str:
    return THREADS[thread_type][1]


# --- who takes part in a thread (notifications) ----------------------------------------------

_THREAD_TITLES = {
    kind: (thread.c.name if kind is ThreadType.LEARNING_GROUP else thread.c.title)
    for kind, (thread, _noun) in THREADS.items()
}


async def thread_title(conn: AsyncConnection, thread_type: ThreadType, thread_id: uuid.UUID) -> str:
    thread = THREADS[thread_type][0]
    found = await conn.execute(select(_THREAD_TITLES[thread_type]).where(thread.c.id == thread_id))
    return str(found.scalar_one())


def participants(thread_type: ThreadType, thread_id: uuid.UUID, writer: uuid.UUID) -> Select[Any]:
    """The active members who take part in a thread, the writer excepted: whoever wrote in it
    (deleted comments too: they took part), and the thread's own people: a question's raiser,
    an insight's author, a group's current members."""
    people: list[Select[Any]] = [
        select(c.author_member_id.label("member_id")).where(
            c.thread_type == thread_type, c.thread_id == thread_id
        )
    ]
    if thread_type is ThreadType.LEARNING_QUESTION:
        q = table_of(LearningQuestion).c
        people.append(select(q.raised_by_member_id).where(q.id == thread_id))
    elif thread_type is ThreadType.INSIGHT:
        i = table_of(Insight).c
        people.append(select(i.created_by_member_id).where(i.id == thread_id))
    elif thread_type is ThreadType.LEARNING_GROUP:
        m = table_of(GroupMembership).c
        people.append(select(m.member_id).where(m.group_id == thread_id, m.left_at.is_(None)))
    everyone = union(*people).subquery("people")
    return select(members.c.id).where(
        members.c.id.in_(select(everyone.c.member_id)),
        members.c.id != writer,
        members.c.status == "active",
    )
