"""The learning question table, its status and title histories (which the agenda reads to show
a question as it was at a moment), and its supports ("ik wil dit ook leren")."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, str_enum, utcnow


@described(
    "What a learning question (leervraag) is about.",
    {
        "strategic": "Strategisch: about the direction of the transition.",
        "operational": "Operationeel: about the daily work.",
    },
)
class QuestionKind(enum.StrEnum):
    STRATEGIC = "strategic"
    OPERATIONAL = "operational"


@described(
    "Where a learning question (leervraag) stands.",
    {
        "proposed": "Voorgesteld: raised, not yet taken up by the community.",
        "open": "Open: taken up, not yet explored.",
        "exploring": "In onderzoek: a group is exploring it.",
        "answered": "Beantwoord: answered (`answer`).",
        "parked": "Geparkeerd: put aside for now.",
        "merged": "Samengevoegd: merged into another question (`mergedIntoId`); only `_merge` sets it.",
        "retired": "Vervallen: no longer asked (also: withdrawn by its proposer while proposed).",
    },
)
class QuestionStatus(enum.StrEnum):
    PROPOSED = "proposed"
    OPEN = "open"
    EXPLORING = "exploring"
    ANSWERED = "answered"
    PARKED = "parked"
    MERGED = "merged"
    RETIRED = "retired"


class LearningQuestion(IdMixin, VersionedMixin, Base):
    __tablename__ = "learning_questions"

    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    theme_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("themes.id"), nullable=True, index=True
    )
    kind: Mapped[QuestionKind] = mapped_column(
        str_enum(QuestionKind, "question_kind"), nullable=False
    )
    origin_workshop_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("workshops.id"), nullable=True
    )
    origin_group_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=True
    )
    origin_case_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cases.id"), nullable=True
    )
    # Indexed for a member's own questions (GET /me counts the open ones).
    raised_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=True, index=True
    )
    owner_group_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=True, index=True
    )
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus, "question_status"), nullable=False
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_questions.id"), nullable=True, index=True
    )
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    # How many members support it now: kept in the same transaction as every support and
    # withdrawal (`question_supports` holds who and since when), so lists read and sort on it.
    support_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )

    __table_args__ = (
        Index("ix_learning_questions_title_id", "title", "id"),
        # `sort=-supportCount` walks this index from its end (the id is the tie-breaker).
        Index("ix_learning_questions_support_count_id", "support_count", "id"),
    )


class QuestionStatusChange(Base):
    """Every status a question entered, and when: answers 'what was its status at moment X'."""

    __tablename__ = "question_status_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_questions.id"), nullable=False
    )
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str] = mapped_column(String(32), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    # "Its status at moment X" is one backward step in this index, in the order the query
    # asks for (changed_at, then id) and without visiting the table (the status is in it).
    __table_args__ = (
        Index(
            "ix_question_status_changes_question_id_changed_at",
            "question_id",
            "changed_at",
            "id",
            postgresql_include=["to_status"],
        ),
    )


class QuestionTitleChange(Base):
    """Every title a question had, and from when: answers 'what was it called at moment X'."""

    __tablename__ = "question_title_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_questions.id"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    # As for statuses: "its title at moment X" is one backward step in this index.
    __table_args__ = (
        Index(
            "ix_question_title_changes_question_id_changed_at",
            "question_id",
            "changed_at",
            "id",
            postgresql_include=["title"],
        ),
    )


class QuestionSupport(Base):
    """A member's support of a question ("ik wil dit ook leren"), from `supported_at` until it
    is withdrawn. A withdrawal sets `withdrawn_at` and keeps the row; supporting again adds a
    new one. So the support a question had at any moment can be counted (an agenda revision
    shows it as at its publication)."""

    __tablename__ = "question_supports"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_questions.id"), nullable=False
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=False, index=True
    )
    supported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # A member supports a question at most once at a time; withdrawn rows may repeat.
        Index(
            "uq_question_supports_current",
            "question_id",
            "member_id",
            unique=True,
            sqlite_where=withdrawn_at.is_(None),
            postgresql_where=withdrawn_at.is_(None),
        ),
        # The supporters list (by supportedAt, the member as tie-breaker), and "how many
        # supported it at moment X": one range of this index, without visiting the table.
        Index(
            "ix_question_supports_question_id_supported_at",
            "question_id",
            "supported_at",
            "member_id",
            postgresql_include=["withdrawn_at"],
        ),
    )
