"""The workshop and attendee tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, utcnow


class Workshop(IdMixin, VersionedMixin, Base):
    __tablename__ = "workshops"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_workshops_starts_at_id", "starts_at", "id"),)


class WorkshopAttendee(Base):
    __tablename__ = "workshop_attendees"

    workshop_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workshops.id"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id"), primary_key=True, index=True
    )
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
