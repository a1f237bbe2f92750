"""The member table. Members are never deleted; they become inactive."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import (
    Base,
    IdMixin,
    UTCDateTime,
    VersionedMixin,
    sort_key,
    str_enum,
    utcnow,
)

# The length of the name sort keys (members.rules.KEY_LENGTH, which cuts them to it).
NAME_KEY_LENGTH = 200


@described(
    "How a member takes part in the community.",
    {
        "participant": "Deelnemer: takes part actively, in learning groups and at werkplaatsen.",
        "follower": "Volger: follows the community's work without (yet) taking part actively.",
    },
)
class Participation(enum.StrEnum):
    PARTICIPANT = "participant"
    FOLLOWER = "follower"


@described(
    "Whether the member is in the community now.",
    {
        "active": "Actief: a current member.",
        "inactive": "Inactief: left the community, or deactivated by a sync or SCIM; their history stays.",
    },
)
class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@described(
    "Who manages the member's synced fields (name, e-mail, department, externalId).",
    {
        "manual": "Handmatig: created and edited through this API.",
        "sync": "The intranet sync (`POST /member-syncs`) manages them; read-only through the API.",
        "scim": "The identity provider manages them through SCIM (`/scim/v2`); read-only through the API.",
    },
)
class MemberSource(enum.StrEnum):
    MANUAL = "manual"
    SYNC = "sync"
    SCIM = "scim"


@described(
    "A role a civil servant takes in the circular transition; each theme asks one.",
    {
        "verbinder": "Verbinder (connector): brings lessons from projects into the organisation (theme: the municipality as organisation).",
        "coalitiebouwer": "Coalitiebouwer (coalition builder): builds coalitions with market parties (theme: the municipality and market parties).",
        "gebiedsmakelaar": "Gebiedsmakelaar (area broker): connects societal initiatives in an area (theme: the municipality and societal initiatives).",
    },
)
class TransitionRole(enum.StrEnum):
    VERBINDER = "verbinder"
    COALITIEBOUWER = "coalitiebouwer"
    GEBIEDSMAKELAAR = "gebiedsmakelaar"


class Member(IdMixin, VersionedMixin, Base):
    __tablename__ = "members"

    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    # Lower-cased copy: e-mail addresses are unique regardless of case, on every database.
    email_key: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    given_name: Mapped[str] = mapped_column(String(200), nullable=False)
    family_name: Mapped[str] = mapped_column(String(200), nullable=False)
    display_name: Mapped[str] = mapped_column(String(400), nullable=False)
    # Keys the lists sort and search by, the same on every database: case and diacritics
    # folded, a family name without its tussenvoegsels (app/members/rules.py makes them).
    given_name_key: Mapped[str] = mapped_column(sort_key(NAME_KEY_LENGTH), nullable=False)
    family_name_key: Mapped[str] = mapped_column(sort_key(NAME_KEY_LENGTH), nullable=False)
    display_name_key: Mapped[str] = mapped_column(sort_key(NAME_KEY_LENGTH), nullable=False)
    search_key: Mapped[str] = mapped_column(Text, nullable=False)
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("departments.id"), nullable=True
    )
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=True, index=True
    )
    participation: Mapped[Participation] = mapped_column(
        str_enum(Participation, "member_participation"), nullable=False
    )
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "member_status"), nullable=False
    )
    transition_roles: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    discipline: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[MemberSource] = mapped_column(
        str_enum(MemberSource, "member_source"), nullable=False
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the member's personal data was erased (AVG art. 17); such a member stays a
    # pseudonym and is never reactivated or edited again.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_members_family_name_key_id", "family_name_key", "id"),
        Index("ix_members_department_id_family_name_key", "department_id", "family_name_key", "id"),
        Index("ix_members_given_name_key_id", "given_name_key", "id"),
        Index("ix_members_display_name_key_id", "display_name_key", "id"),
        Index("ix_members_joined_at_id", "joined_at", "id"),
    )
