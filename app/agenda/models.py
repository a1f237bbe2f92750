"""The agenda revision and item tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, str_enum


@described(
    "Whether a revision of the learning agenda (leeragenda) is in force or still being written.",
    {
        "draft": "Concept: being written; at most one exists, and it may change.",
        "published": "Gepubliceerd: published; it never changes again, the latest is the agenda in force.",
    },
)
class RevisionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@described(
    "How urgent a learning question is on the learning agenda (leeragenda).",
    {
        "high": "Hoog: high priority.",
        "medium": "Middel: medium priority.",
        "low": "Laag: low priority.",
    },
)
class Priority(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class AgendaRevision(IdMixin, VersionedMixin, Base):
    __tablename__ = "agenda_revisions"

    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    status: Mapped[RevisionStatus] = mapped_column(
        str_enum(RevisionStatus, "revision_status"), nullable=False
    )
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    workshop_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("workshops.id"), nullable=True
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    published_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        # At most one draft, enforced by the database so that racing creators cannot both win.
        Index(
            "uq_agenda_revisions_one_draft",
            "status",
            unique=True,
            sqlite_where=status == RevisionStatus.DRAFT.value,
            postgresql_where=status == RevisionStatus.DRAFT.value,
        ),
    )


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    revision_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agenda_revisions.id"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_questions.id"), primary_key=True, index=True
    )
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "agenda_priority"), nullable=False
    )
    owner_group_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=True
    )
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("revision_id", "rank", name="uq_agenda_items_revision_rank"),
    )
