"""The learning group and membership tables. Memberships end (left_at); they are never deleted."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, UTCDateTime, VersionedMixin, str_enum, utcnow


@described(
    "How a learning group (leergroep) works.",
    {
        "self_directed": "Zelfsturend: the group organises its own learning.",
        "facilitated": "Begeleid: a partner organisation (such as DRIFT) facilitates the group, usually on cases.",
    },
)
class GroupMode(enum.StrEnum):
    SELF_DIRECTED = "self_directed"
    FACILITATED = "facilitated"


@described(
    "Where a learning group (leergroep) is in its life.",
    {
        "forming": "In oprichting: forming, members join.",
        "active": "Actief: working on its theme and cases.",
        "presented": "Gepresenteerd: presented its results at a werkplaats.",
        "concluded": "Afgerond: finished.",
        "merged": "Samengevoegd: merged into another group (`mergedIntoId`).",
    },
)
class GroupStatus(enum.StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    PRESENTED = "presented"
    CONCLUDED = "concluded"
    MERGED = "merged"


@described(
    "A member's role in a learning group (leergroep).",
    {
        "lead": "Trekker: leads the group.",
        "member": "Lid: takes part in the group.",
        "facilitator": "Begeleider: facilitates the group (and may manage it, its cases and its memberships).",
    },
)
class MembershipRole(enum.StrEnum):
    LEAD = "lead"
    MEMBER = "member"
    FACILITATOR = "facilitator"


class LearningGroup(IdMixin, VersionedMixin, Base):
    __tablename__ = "learning_groups"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    theme_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("themes.id"), nullable=False, index=True
    )
    mode: Mapped[GroupMode] = mapped_column(str_enum(GroupMode, "group_mode"), nullable=False)
    facilitator_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=True
    )
    formed_at_workshop_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("workshops.id"), nullable=True
    )
    status: Mapped[GroupStatus] = mapped_column(
        str_enum(GroupStatus, "group_status"), nullable=False
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=True
    )

    __table_args__ = (Index("ix_learning_groups_name_id", "name", "id"),)


class GroupMembership(IdMixin, Base):
    __tablename__ = "group_memberships"

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_groups.id"), nullable=False
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("members.id"), nullable=False, index=True
    )
    role: Mapped[MembershipRole] = mapped_column(
        str_enum(MembershipRole, "membership_role"), nullable=False
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_group_memberships_group_id_joined_at", "group_id", "joined_at"),
        # One current membership per member and group; history rows (left_at set) may repeat.
        Index(
            "uq_group_memberships_current",
            "group_id",
            "member_id",
            unique=True,
            sqlite_where=left_at.is_(None),
            postgresql_where=left_at.is_(None),
        ),
    )
