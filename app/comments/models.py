"""The comments table and the enums stored in it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, str_enum


@described(
    "What a thread of comments is about: the resource it hangs under.",
    {
        "learning-question": "Leervraag: a learning question.",
        "case": "Casus: a case a learning group works on.",
        "insight": "Inzicht: an insight.",
        "learning-group": "Leergroep: a learning group.",
    },
)
class ThreadType(enum.StrEnum):
    LEARNING_QUESTION = "learning-question"
    CASE = "case"
    INSIGHT = "insight"
    LEARNING_GROUP = "learning-group"


@described(
    "How a comment's text is meant to be read. The API stores and returns the text as it was "
    "written and never turns it into HTML; a client that renders `markdown` does so with HTML "
    "switched off (see the README, *Discussion*).",
    {
        "plain": "Platte tekst: show the text as it is, line breaks kept.",
        "markdown": "Markdown: a small subset (emphasis, strong, inline code and code blocks, "
        "quotes, lists, links), rendered without HTML.",
    },
)
class CommentFormat(enum.StrEnum):
    PLAIN = "plain"
    MARKDOWN = "markdown"


class Comment(IdMixin, VersionedMixin, Base):
    """A comment in a thread, or a reply to one (`parent_id`, one level deep). Deleting keeps
    the row (the thread keeps its shape); hiding keeps the text for the moderators."""

    __tablename__ = "comments"

    thread_type: Mapped[ThreadType] = mapped_column(
        str_enum(ThreadType, "comment_thread_type"), nullable=False
    )
    # The resource's id; which table it is in depends on thread_type, so there is no foreign
    # key. Those resources are never deleted, and a comment is written only under one that
    # exists (app/comments/service.py).
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("comments.id"), nullable=True
    )
    author_member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=False
    )
    # Null once its author deleted it (unless a moderator hid it first: then the text stays).
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    format: Mapped[CommentFormat] = mapped_column(
        str_enum(CommentFormat, "comment_format"), nullable=False
    )
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=True
    )
    hidden_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        # A thread's page: its top-level comments in order, from a keyset position.
        Index(
            "ix_comments_thread",
            "thread_type",
            "thread_id",
            "created_at",
            "id",
            postgresql_where=text("parent_id IS NULL"),
            sqlite_where=text("parent_id IS NULL"),
        ),
        # The replies of a page's comments, in order.
        Index("ix_comments_parent_id_created_at", "parent_id", "created_at", "id"),
        # The per-member rate limit and the personal-data export.
        Index("ix_comments_author_member_id_created_at", "author_member_id", "created_at"),
    )
