"""The theme table."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Base, IdMixin, VersionedMixin, str_enum
from app.members.models import TransitionRole


class Theme(IdMixin, VersionedMixin, Base):
    __tablename__ = "themes"

    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    transition_role: Mapped[TransitionRole] = mapped_column(
        str_enum(TransitionRole, "theme_transition_role"), nullable=False, unique=True
    )
