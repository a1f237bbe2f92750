"""Rules of the discussion: who reads and writes which thread, replies one level deep, members
edit and delete only their own comments, moderators hide, and a per-member rate limit.

A thread is readable by whoever may read the resource it hangs under; a thread the caller may
not know about is a 404, never a 403 (nothing tells a caller whether it exists). Today every
role that reads the community reads every learning question, case, insight and learning group
(the routes' `CanReadCommunity`), so a thread is readable when its resource exists; a resource
that gains read rules of its own must apply them in `_ensure_readable` and `list_thread`."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.comments import repository
from app.comments.models import ThreadType
from app.comments.schemas import CommentCreate, CommentRead, CommentUpdate
from app.core.context import Principal
from app.core.db import database
from app.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidParam,
    NotFound,
    TooManyRequests,
)
from app.core.http import check_version, json_response
from app.core.models import utcnow
from app.core.pagination import PageRequest, page_from_rows, page_links
from app.core.permissions import Role
from app.notifications import service as notifications
from app.notifications.models import NotificationKind

OBJECT = feed.resource("comment", repository.table, path="/comments/{id}", readers=feed.COMMUNITY)
SORTING = repository.SORTING
# Who moderates: they hide comments, show them again, and read the text of hidden ones.
MODERATORS = frozenset({Role.ADMIN.value, Role.FACILITATOR.value})
RATE_WINDOW = timedelta(minutes=1)


def moderates(principal: Principal) -> bool:
    return principal.role in MODERATORS


def _thread_not_found(thread_type: ThreadType) -> NotFound:
    return NotFound(f"No {repository.thread_noun(thread_type)} has that id.")


# --- reading -----------------------------------------------------------------------------------


async def list_thread(
    request: Request,
    principal: Principal,
    thread_type: ThreadType,
    thread_id: uuid.UUID,
    page: PageRequest,
) -> Response:
    """One page of a thread: its top-level comments, each with its replies, answered as the
    route answers it. Two statements on the hot path whatever the page's size: the comments
    and their replies, or, for a page without comments, whether the thread's resource exists
    (comments exist only under one that does)."""
    items, sort_name = await repository.read_thread_page(
        thread_type, thread_id, page, moderates(principal)
    )
    if not items and not await repository.read_thread_exists(thread_type, thread_id):
        raise _thread_not_found(thread_type)
    body, headers = page_links(request, page_from_rows(items, page, sort_name, "createdAt"))
    return json_response(body, headers=headers)


async def get_comment(
    conn: AsyncConnection, principal: Principal, comment_id: uuid.UUID
) -> CommentRead:
    # A comment exists only under a resource that exists, which every reader may read.
    return await repository.get(conn, comment_id, moderates(principal))


# --- writing -----------------------------------------------------------------------------------


def _own_member(principal: Principal) -> uuid.UUID:
    if principal.member_id is None:
        raise Forbidden(
            "Comments are written by members: this key or token acts for no member. Ask an "
            "admin for a key linked to your member."
        )
    return principal.member_id


async def _ensure_readable(
    conn: AsyncConnection, thread_type: ThreadType, thread_id: uuid.UUID
) -> None:
    if not await repository.thread_exists(conn, thread_type, thread_id):
        raise _thread_not_found(thread_type)


def _parent_refused(reason: str, code: str) -> InvalidInput:
    return InvalidInput([InvalidParam("parentId", reason, code=code)])


async def _check_parent(
    conn: AsyncConnection,
    principal: Principal,
    thread_type: ThreadType,
    thread_id: uuid.UUID,
    parent_id: uuid.UUID,
) -> None:
    try:
        parent = await repository.get(conn, parent_id, moderates(principal), with_replies=False)
    except NotFound:
        raise _parent_refused(f"No comment has id {parent_id}.", "unknown_reference") from None
    if parent["threadType"] != thread_type or parent["threadId"] != thread_id:
        raise _parent_refused(
            "That comment is in another thread: a reply goes in its parent's thread.",
            "other_thread",
        )
    if parent["parentId"] is not None:
        raise _parent_refused(
            "That comment is a reply, and replies go one level deep: reply to the comment it "
            f"replies to ({parent['parentId']}).",
            "reply_depth",
        )
    if parent["deleted"]:
        raise Conflict("That comment was deleted by its author; it takes no more replies.")
    if parent["hidden"]:
        raise Conflict("A moderator hid that comment; it takes no replies while hidden.")


async def _within_rate_limit(conn: AsyncConnection, member_id: uuid.UUID) -> None:
    """At most COMMENT_RATE_LIMIT new comments per member per minute, counted in the
    database (so across workers and machines); the member's row is taken for the transaction
    first, so two requests of the same member cannot both take the last one."""
    limit = database.settings.comment_rate_limit
    now = utcnow()
    await repository.lock_author(conn, member_id)
    count, first = await repository.written_since(conn, member_id, now - RATE_WINDOW)
    if count >= limit:
        wait = (first + RATE_WINDOW - now).total_seconds() if first is not None else 1.0
        raise TooManyRequests(
            f"A member writes at most {limit} comments a minute; wait before posting again.",
            retry_after=max(1, math.ceil(wait)),
        )


async def create_comment(
    conn: AsyncConnection,
    principal: Principal,
    thread_type: ThreadType,
    thread_id: uuid.UUID,
    data: CommentCreate,
) -> CommentRead:
    await _ensure_readable(conn, thread_type, thread_id)
    author_id = _own_member(principal)
    if data.parent_id is not None:
        await _check_parent(conn, principal, thread_type, thread_id, data.parent_id)
    await _within_rate_limit(conn, author_id)
    comment_id = await repository.create(
        conn,
        {
            "thread_type": thread_type,
            "thread_id": thread_id,
            "parent_id": data.parent_id,
            "author_member_id": author_id,
            "body": data.body,
            "format": data.format,
        },
    )
    detail: dict[str, Any] = {"threadType": str(thread_type), "threadId": str(thread_id)}
    if data.parent_id is not None:
        detail["parentId"] = str(data.parent_id)
    await trail.record(conn, "comments-create", OBJECT, comment_id, detail=detail)
    await notifications.notify(
        conn,
        NotificationKind.COMMENT_IN_THREAD,
        repository.participants(thread_type, thread_id, author_id),
        subject_type="comment",
        subject_id=comment_id,
        href=f"/v1/comments/{comment_id}",
        payload={
            "threadType": str(thread_type),
            "threadId": str(thread_id),
            "threadTitle": await repository.thread_title(conn, thread_type, thread_id),
            "reply": data.parent_id is not None,
        },
    )
    return await repository.get(conn, comment_id, moderates(principal), with_replies=False)


async def _own_comment(
    conn: AsyncConnection, principal: Principal, comment_id: uuid.UUID, action: str
) -> CommentRead:
    current = await repository.get(conn, comment_id, moderates(principal), with_replies=False)
    if principal.member_id is None or principal.member_id != current["author"]["id"]:
        raise Forbidden(
            f"Only its author may {action} a comment; moderators hide comments instead."
        )
    return current


async def update_comment(
    conn: AsyncConnection,
    principal: Principal,
    comment_id: uuid.UUID,
    patch: CommentUpdate,
    expected_version: int | None,
) -> CommentRead:
    current = await _own_comment(conn, principal, comment_id, "edit")
    check_version(current["version"], expected_version)
    if current["deleted"]:
        raise Conflict("This comment was deleted; a deleted comment cannot be edited.")
    if current["hidden"]:
        raise Conflict("A moderator hid this comment; its text stays as it was while it is hidden.")
    changes = patch.changes()
    if changes:
        await repository.update(
            conn, comment_id, current["version"], {**changes, "edited_at": utcnow()}
        )
        await trail.record(
            conn, "comments-update", OBJECT, comment_id, detail={"fields": sorted(changes)}
        )
    return await repository.get(conn, comment_id, moderates(principal))


async def delete_comment(
    conn: AsyncConnection,
    principal: Principal,
    comment_id: uuid.UUID,
    expected_version: int | None,
) -> CommentRead:
    """A soft delete: the comment keeps its place (and its replies) without its text. The
    text is cleared, unless a moderator hid the comment: then it stays for the moderators.
    Deleting a deleted comment changes nothing."""
    current = await _own_comment(conn, principal, comment_id, "delete")
    check_version(current["version"], expected_version)
    if not current["deleted"]:
        values: dict[str, Any] = {"deleted_at": utcnow()}
        if not current["hidden"]:
            values["body"] = None
        await repository.update(conn, comment_id, current["version"], values)
        await trail.record(conn, "comments-delete", OBJECT, comment_id)
    return await repository.get(conn, comment_id, moderates(principal))


async def hide_comment(
    conn: AsyncConnection,
    principal: Principal,
    comment_id: uuid.UUID,
    reason: str,
    expected_version: int | None,
) -> CommentRead:
    """A moderator hides a comment: its text stays, shown to moderators only."""
    if not moderates(principal):
        raise Forbidden("Only admins and facilitators moderate comments.")
    current = await repository.get(conn, comment_id, True, with_replies=False)
    check_version(current["version"], expected_version)
    if current["hidden"]:
        raise Conflict("This comment is hidden already.")
    if current["deleted"]:
        raise Conflict("Its author deleted this comment; there is no text left to hide.")
    await repository.update(
        conn,
        comment_id,
        current["version"],
        {
            "hidden_at": utcnow(),
            "hidden_by_member_id": principal.member_id,
            "hidden_reason": reason,
        },
    )
    await trail.record(conn, "comments-hide", OBJECT, comment_id)
    return await repository.get(conn, comment_id, True)


async def unhide_comment(
    conn: AsyncConnection,
    principal: Principal,
    comment_id: uuid.UUID,
    expected_version: int | None,
) -> CommentRead:
    """A moderator shows a hidden comment again. One its author deleted meanwhile stays
    deleted, and loses the text that was kept only for the moderators."""
    if not moderates(principal):
        raise Forbidden("Only admins and facilitators moderate comments.")
    current = await repository.get(conn, comment_id, True, with_replies=False)
    check_version(current["version"], expected_version)
    if not current["hidden"]:
        raise Conflict("This comment is not hidden.")
    values: dict[str, Any] = {
        "hidden_at": None,
        "hidden_by_member_id": None,
        "hidden_reason": None,
    }
    if current["deleted"]:
        values["body"] = None
    await repository.update(conn, comment_id, current["version"], values)
    await trail.record(conn, "comments-unhide", OBJECT, comment_id)
    return await repository.get(conn, comment_id, True)
