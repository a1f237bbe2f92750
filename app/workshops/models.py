"""The workshop and attendee tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, str_enum, utcnow


@described(
    "Whether a workshop (werkplaats) goes ahead.",
    {
        "planned": "Gepland: it goes ahead; members may sign up while it lies ahead.",
        "cancelled": "Afgelast: it does not take place; nobody can sign up, and the calendar "
        "feeds show it as cancelled.",
    },
)
class WorkshopStatus(enum.StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class Workshop(IdMixin, VersionedMixin, Base):
    __tablename__ = "workshops"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[WorkshopStatus] = mapped_column(
        str_enum(WorkshopStatus, "workshop_status"),
        nullable=False,
        default=WorkshopStatus.PLANNED,
        server_default=WorkshopStatus.PLANNED.value,
    )
    # How many members may sign up themselves; null: no limit.
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_workshops_starts_at_id", "starts_at", "id"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),
    )


class WorkshopAttendee(Base):
    __tablename__ = "workshop_attendees"

    workshop_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workshops.id"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id"), primary_key=True, index=True
    )
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
