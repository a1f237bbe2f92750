"""The department table."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, VersionedMixin, str_enum


@described(
    "What kind of unit of the municipality (organisatieonderdeel) a department is.",
    {
        "directie": "Directie: a directorate.",
        "afdeling": "Afdeling: a department within or beside a directorate.",
        "stadsdeel": "Stadsdeel: a borough of the city.",
        "team": "Team: a team within a directorate or afdeling.",
    },
)
class DepartmentKind(enum.StrEnum):
    DIRECTIE = "directie"
    AFDELING = "afdeling"
    STADSDEEL = "stadsdeel"
    TEAM = "team"


class Department(IdMixin, VersionedMixin, Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[DepartmentKind] = mapped_column(
        str_enum(DepartmentKind, "department_kind"), nullable=False
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("departments.id"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (Index("ix_departments_name_id", "name", "id"),)
