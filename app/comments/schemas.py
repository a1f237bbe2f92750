"""Request and response schemas of comments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from app.comments.models import CommentFormat, ThreadType
from app.core.schemas import InputModel, ListPage, NotNull, PatchModel
from app.members.schemas import MemberRef

MAX_BODY = 5_000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "A comment needs text: white space alone is empty.")
    return value


# Stored as written: leading and trailing white space too (Markdown can mean something by it),
# so this property is not trimmed as other text is; a text of white space alone is empty.
CommentBody = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    Field(
        min_length=1,
        max_length=MAX_BODY,
        description=f"The text, 1 to {MAX_BODY:,} characters and not white space alone, "
        "stored and returned exactly as written (never as HTML). NUL characters are refused.",
    ),
    AfterValidator(_not_blank),
]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class CommentCreate(InputModel):
    body: CommentBody
    format: CommentFormat = Field(
        default=CommentFormat.PLAIN,
        description="How the text is meant to be read: `plain`, or `markdown` (a small subset, "
        "rendered by the client without HTML).",
    )
    parent_id: uuid.UUID | None = Field(
        default=None,
        description="Reply to this comment of the same thread. Replies go one level deep: the "
        "parent must be a top-level comment (a reply to a reply is a 400), and neither deleted "
        "nor hidden (409).",
    )


class CommentUpdate(PatchModel):
    body: NotNull[CommentBody] = None
    format: NotNull[CommentFormat] = None


class CommentHide(InputModel):
    reason: Reason = Field(
        description="Why the comment is hidden, shown with it to everyone who reads the thread "
        "(the text itself only to moderators)."
    )


# A comment as the API shows it: a reply, and the shape of every comment (a top-level one adds
# its replies). The text is null when its author deleted it, and for a hidden comment to
# anyone but a moderator.
class CommentReply(TypedDict):
    id: uuid.UUID
    threadType: ThreadType
    threadId: Annotated[uuid.UUID, Field(description="The id of the resource it is about.")]
    parentId: Annotated[
        uuid.UUID | None,
        Field(description="The top-level comment this replies to; null for a top-level one."),
    ]
    author: MemberRef
    body: Annotated[
        str | None,
        Field(
            description="The text as written; null when the author deleted it, and when a "
            "moderator hid it (except to admins and facilitators)."
        ),
    ]
    format: CommentFormat
    deleted: Annotated[
        bool, Field(description="The author deleted it; it keeps its place in the thread.")
    ]
    deletedAt: datetime | None
    editedAt: Annotated[
        datetime | None, Field(description="When its author last changed the text, if ever.")
    ]
    hidden: Annotated[bool, Field(description="A moderator hid it.")]
    hiddenAt: datetime | None
    hiddenReason: Annotated[str | None, Field(description="Why a moderator hid it.")]
    hiddenBy: Annotated[
        MemberRef | None,
        Field(
            description="The moderator who hid it; shown to admins and facilitators only (and "
            "null when an admin key that acts for no member hid it)."
        ),
    ]
    version: int
    createdAt: datetime
    updatedAt: datetime


class CommentRead(CommentReply):
    replies: Annotated[
        list[CommentReply],
        Field(
            description="Every reply, oldest first, deleted and hidden ones in their place; "
            "always empty on a reply."
        ),
    ]


class CommentPage(ListPage):
    items: Annotated[
        list[CommentRead],
        Field(description="Top-level comments in the order asked for, each with its replies."),
    ]
