"""The case and case-partner tables."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, VersionedMixin, str_enum


@described(
    "Where a case (casus) stands.",
    {
        "proposed": "Voorgesteld: proposed to the group.",
        "in_progress": "In behandeling: the group works on it.",
        "presented": "Gepresenteerd: presented at a werkplaats.",
        "closed": "Afgesloten: finished, with its outcome.",
    },
)
class CaseStatus(enum.StrEnum):
    PROPOSED = "proposed"
    IN_PROGRESS = "in_progress"
    PRESENTED = "presented"
    CLOSED = "closed"


class Case(IdMixin, VersionedMixin, Base):
    __tablename__ = "cases"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    learning_group_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=True, index=True
    )
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("departments.id"), nullable=True, index=True
    )
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "case_status"), nullable=False)
    presented_at_workshop_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("workshops.id"), nullable=True
    )
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_cases_title_id", "title", "id"),)


class CasePartner(Base):
    __tablename__ = "case_partners"

    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cases.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), primary_key=True, index=True
    )
