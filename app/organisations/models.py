"""The organisation table."""

from __future__ import annotations

import enum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import described
from app.core.models import Base, IdMixin, VersionedMixin, str_enum


@described(
    "What kind of partner (partnerorganisatie) outside the municipality an organisation is.",
    {
        "facilitator": "Begeleider: facilitates learning groups and werkplaatsen (such as DRIFT).",
        "market_party": "Marktpartij: a company the municipality works with.",
        "societal_initiative": "Maatschappelijk initiatief: a citizens' or societal initiative.",
        "knowledge_institute": "Kennisinstelling: a university or research institute.",
    },
)
class OrganisationKind(enum.StrEnum):
    FACILITATOR = "facilitator"
    MARKET_PARTY = "market_party"
    SOCIETAL_INITIATIVE = "societal_initiative"
    KNOWLEDGE_INSTITUTE = "knowledge_institute"


class Organisation(IdMixin, VersionedMixin, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        str_enum(OrganisationKind, "organisation_kind"), nullable=False
    )
    website: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (Index("ix_organisations_name_id", "name", "id"),)
