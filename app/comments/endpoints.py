"""HTTP routes of the discussion: each thread's comments under its resource
(`/v1/learning-questions/{questionId}/comments`, and of cases, insights and learning groups),
and one comment at `/v1/comments/{commentId}`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import Response
from pydantic import Field

from app.comments import service
from app.comments.models import ThreadType
from app.comments.schemas import CommentCreate, CommentHide, CommentPage, CommentRead, CommentUpdate
from app.core.db import ReadDb, WriteDb
from app.core.http import IDEMPOTENT, IfMatch, resource_headers, resource_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageQuery
from app.core.permissions import CanContribute, CanModerate, CanReadCommunity
from app.core.query import query_openapi, read_query
from app.core.routes import ContractRoute
from app.core.schemas import Instant

CommentId = Annotated[uuid.UUID, Path(alias="commentId")]

router = APIRouter(tags=["comments"], route_class=ContractRoute)

WHO_READS = (
    "Everyone who may read the resource reads its thread (admins, facilitators, members, "
    "readers); a thread under a resource the caller may not know about is a 404. A hidden "
    "comment shows `hidden`, its reason and no text; admins and facilitators (the moderators) "
    "also see its text and who hid it. A deleted comment keeps its place without its text."
)
WHO_WRITES = (
    "Only a key or token that acts for a member writes comments (others: 403), as that member; "
    "members edit and delete only their own. A member writes at most `COMMENT_RATE_LIMIT` "
    "comments and replies a minute (429 with `Retry-After`). The text is stored and returned "
    "as written, never as HTML."
)


class ThreadQuery(PageQuery):
    sort: str | None = service.SORTING.sort_field()
    updated_since: Instant | None = Field(
        None,
        alias="updatedSince",
        description="Only the top-level comments that changed at or after this moment (RFC "
        "3339 with its offset), or that have a reply that did; each with all its replies.",
    )


@dataclass(frozen=True)
class Thread:
    kind: ThreadType
    prefix: str  # the resource's collection
    parameter: str  # its id's path parameter, as the resource's own routes name it
    singular: str  # in operation ids
    noun: str  # in summaries


THREADS = (
    Thread(
        ThreadType.LEARNING_QUESTION,
        "/v1/learning-questions",
        "questionId",
        "learning-question",
        "a learning question",
    ),
    Thread(ThreadType.CASE, "/v1/cases", "caseId", "case", "a case"),
    Thread(ThreadType.INSIGHT, "/v1/insights", "insightId", "insight", "an insight"),
    Thread(
        ThreadType.LEARNING_GROUP,
        "/v1/learning-groups",
        "groupId",
        "learning-group",
        "a learning group",
    ),
)


def _with_thread_id(endpoint: Callable[..., Awaitable[Response]], thread: Thread) -> Any:
    # Annotations are strings under `from __future__ import annotations`, and a string cannot
    # name this thread's path parameter: hand FastAPI the real annotation instead.
    endpoint.__annotations__["thread_id"] = Annotated[uuid.UUID, Path(alias=thread.parameter)]
    return endpoint


def _thread_routes(thread: Thread) -> None:
    path = f"{thread.prefix}/{{{thread.parameter}}}/comments"

    async def list_comments(
        request: Request, principal: CanReadCommunity, thread_id: Any
    ) -> Response:
        query = read_query(ThreadQuery, request)
        return await service.list_thread(request, principal, thread.kind, thread_id, query.page)

    router.get(
        path,
        operation_id=f"{thread.singular}-comments-list",
        summary=f"List the comments on {thread.noun}",
        description=(
            "Its top-level comments, oldest first (`sort=-createdAt`: newest first), each with "
            "every reply embedded, oldest first. `pageSize` counts top-level comments. " + WHO_READS
        ),
        response_model=CommentPage,
        responses=responses(200, "One page of the thread.", *READ, 404, headers=("Link",)),
        openapi_extra=query_openapi(ThreadQuery),
    )(_with_thread_id(list_comments, thread))

    async def create_comment(
        request: Request,
        principal: CanContribute,
        conn: WriteDb,
        thread_id: Any,
        data: CommentCreate,
    ) -> Response:
        item = await service.create_comment(conn, principal, thread.kind, thread_id, data)
        location = str(request.url_for("comments-get", commentId=item["id"]))
        return await written(
            conn, request, item, status=201, headers=resource_headers(item, location)
        )

    router.post(
        path,
        operation_id=f"{thread.singular}-comments-create",
        summary=f"Comment on {thread.noun}, or reply to a comment there",
        description=(
            "A top-level comment, or with `parentId` a reply to one (one level deep). " + WHO_WRITES
        ),
        status_code=201,
        response_model=CommentRead,
        responses=responses(
            201, "The comment was written.", *WRITE, 404, headers=("Location", "ETag")
        ),
        dependencies=[IDEMPOTENT],
    )(_with_thread_id(create_comment, thread))


for _thread in THREADS:
    _thread_routes(_thread)


@router.get(
    "/v1/comments/{commentId}",
    operation_id="comments-get",
    name="comments-get",
    summary="Get a comment (a top-level one with its replies)",
    description=WHO_READS,
    response_model=CommentRead,
    responses=responses(200, "The comment.", *READ, 404, headers=("ETag",)),
)
async def get_comment(principal: CanReadCommunity, conn: ReadDb, comment_id: CommentId) -> Response:
    return resource_response(await service.get_comment(conn, principal, comment_id))


@router.patch(
    "/v1/comments/{commentId}",
    operation_id="comments-update",
    summary="Edit a comment's text (JSON Merge Patch; its author only)",
    description=(
        "Its author changes `body` and `format`; `editedAt` records when. A deleted comment, "
        "and one a moderator hid, cannot be edited (409). Anyone else: 403. " + WHO_WRITES
    ),
    response_model=CommentRead,
    responses=responses(200, "The edited comment.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_comment(
    request: Request,
    principal: CanContribute,
    conn: WriteDb,
    comment_id: CommentId,
    expected: IfMatch,
    patch: Annotated[CommentUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_comment(conn, principal, comment_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.delete(
    "/v1/comments/{commentId}",
    operation_id="comments-delete",
    summary="Delete a comment (its author only; it keeps its place in the thread)",
    description=(
        "A soft delete: the comment stays in its thread, with its replies, as `deleted` and "
        "without its text, which is removed (unless a moderator hid the comment: then it is "
        "kept for them). Deleting it again changes nothing. Anyone but its author: 403."
    ),
    response_model=CommentRead,
    responses=responses(200, "The deleted comment.", *WRITE, 404, 412, headers=("ETag",)),
)
async def delete_comment(
    request: Request,
    principal: CanContribute,
    conn: WriteDb,
    comment_id: CommentId,
    expected: IfMatch,
) -> Response:
    item = await service.delete_comment(conn, principal, comment_id, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.post(
    "/v1/comments/{commentId}/_hide",
    operation_id="comments-hide",
    summary="Hide a comment, with a reason (admins and facilitators)",
    description=(
        "Moderation: the comment keeps its place, shows `hidden` and the reason to everyone, "
        "and its text to admins and facilitators only; the text is kept. Hiding a hidden or "
        "deleted comment is a 409."
    ),
    response_model=CommentRead,
    responses=responses(200, "The hidden comment.", *WRITE, 404, 412, headers=("ETag",)),
    dependencies=[IDEMPOTENT],
)
async def hide_comment(
    request: Request,
    principal: CanModerate,
    conn: WriteDb,
    comment_id: CommentId,
    expected: IfMatch,
    data: CommentHide,
) -> Response:
    item = await service.hide_comment(conn, principal, comment_id, data.reason, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.post(
    "/v1/comments/{commentId}/_unhide",
    operation_id="comments-unhide",
    summary="Show a hidden comment again (admins and facilitators)",
    description=(
        "Undoes `_hide`. A comment that is not hidden is a 409. A comment its author deleted "
        "while it was hidden stays deleted, and its kept text is removed."
    ),
    response_model=CommentRead,
    responses=responses(200, "The comment, shown again.", *WRITE, 404, 412, headers=("ETag",)),
    dependencies=[IDEMPOTENT],
)
async def unhide_comment(
    request: Request,
    principal: CanModerate,
    conn: WriteDb,
    comment_id: CommentId,
    expected: IfMatch,
) -> Response:
    item = await service.unhide_comment(conn, principal, comment_id, expected)
    return await written(conn, request, item, headers=resource_headers(item))
