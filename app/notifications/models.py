"""The inbox (`notifications`) and the kinds each member turned off (`notification_opt_outs`)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, UTCDateTime


@described(
    "What a notification tells.",
    {
        "agenda-revision-published": "A revision of the learning agenda was published (everyone).",
        "comment-in-thread": "Someone commented or replied in a thread you take part in: you "
        "wrote in it, raised the question, wrote the insight or are in the group it is about.",
        "question-status-changed": "A learning question you raised or support changed status.",
        "question-merged": "A learning question you raised or support was merged into another.",
        "question-on-agenda": "A learning question you raised or support is on the agenda "
        "revision just published, and was not on the one before (detail: its rank).",
        "question-off-agenda": "A learning question you raised or support was on the previous "
        "agenda revision and is not on the one just published.",
        "workshop-changed": "A werkplaats you signed up for was changed (time, place, title…).",
        "workshop-cancelled": "A werkplaats you signed up for was cancelled.",
        "membership-added": "Someone else added you to a learning group.",
        "membership-removed": "Someone else ended your membership of a learning group.",
        "group-concluded": "A learning group you are in concluded.",
        "group-case-added": "A case was added to (or moved into) a learning group you are in.",
    },
)
class NotificationKind(enum.StrEnum):
    AGENDA_REVISION_PUBLISHED = "agenda-revision-published"
    COMMENT_IN_THREAD = "comment-in-thread"
    QUESTION_STATUS_CHANGED = "question-status-changed"
    QUESTION_MERGED = "question-merged"
    QUESTION_ON_AGENDA = "question-on-agenda"
    QUESTION_OFF_AGENDA = "question-off-agenda"
    WORKSHOP_CHANGED = "workshop-changed"
    WORKSHOP_CANCELLED = "workshop-cancelled"
    MEMBERSHIP_ADDED = "membership-added"
    MEMBERSHIP_REMOVED = "membership-removed"
    GROUP_CONCLUDED = "group-concluded"
    GROUP_CASE_ADDED = "group-case-added"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What it is about: a resource's type, id and path (no personal data of anyone).
    subject_type: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(100), nullable=False)
    subject_href: Mapped[str] = mapped_column(String(300), nullable=False)
    # A short description: titles and numbers of resources, never a person's name.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    __table_args__ = (
        Index("ix_notifications_member_id_id", "member_id", "id"),
        Index(
            "ix_notifications_unread",
            "member_id",
            "id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )


class NotificationOptOut(Base):
    """A kind a member does not want; every kind is on unless a row here says otherwise."""

    __tablename__ = "notification_opt_outs"

    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (PrimaryKeyConstraint("member_id", "kind"),)
