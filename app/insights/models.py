"""The insight table and the departments that adopted each insight."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, str_enum, utcnow


@described(
    "How far an insight (inzicht) has travelled towards the normal way of working.",
    {
        "captured": "Vastgelegd: written down.",
        "shared": "Gedeeld: shared with the community or departments.",
        "piloted": "Beproefd: tried out in practice.",
        "embedded": "Geborgd: part of the normal way of working.",
    },
)
class Adoption(enum.StrEnum):
    CAPTURED = "captured"
    SHARED = "shared"
    PILOTED = "piloted"
    EMBEDDED = "embedded"


class Insight(IdMixin, VersionedMixin, Base):
    __tablename__ = "insights"

    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_case_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cases.id"), nullable=True
    )
    source_group_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=True
    )
    source_question_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_questions.id"), nullable=True
    )
    created_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=True
    )
    adoption: Mapped[Adoption] = mapped_column(
        str_enum(Adoption, "insight_adoption"), nullable=False
    )

    __table_args__ = (Index("ix_insights_title_id", "title", "id"),)


class InsightAdoption(Base):
    __tablename__ = "insight_adoptions"

    insight_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("insights.id"), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("departments.id"), primary_key=True, index=True
    )
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
