"""Request and response schemas of members."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, EmailStr, Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.departments.schemas import DepartmentRef
from app.members.models import MemberSource, MemberStatus, Participation, TransitionRole
from app.members.rules import DEFAULT_PARTICIPATION
from app.organisations.schemas import OrganisationRef

PersonName = Annotated[str, Field(min_length=1, max_length=200)]
DisplayName = Annotated[str, Field(min_length=1, max_length=400)]
ExternalId = Annotated[str, Field(min_length=1, max_length=200)]
Discipline = Annotated[str, Field(min_length=1, max_length=200)]
TransitionRoles = Annotated[list[TransitionRole], Field(max_length=3)]


class MemberCreate(InputModel):
    external_id: ExternalId | None = Field(
        default=None, description="The HR / identity system's key; unique."
    )
    email: EmailStr = Field(description="Unique regardless of case.")
    given_name: PersonName
    family_name: PersonName
    display_name: DisplayName | None = Field(
        default=None, description="Defaults to the given and family name."
    )
    department_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    participation: Participation = DEFAULT_PARTICIPATION
    transition_roles: TransitionRoles = Field(default_factory=list)
    discipline: Discipline | None = None
    joined_at: AwareDatetime | None = Field(
        default=None, description="When the member joined the community; defaults to now."
    )


class MemberUpdate(PatchModel):
    external_id: ExternalId | None = None
    email: NotNull[EmailStr] = None
    given_name: NotNull[PersonName] = None
    family_name: NotNull[PersonName] = None
    display_name: NotNull[DisplayName] = None
    department_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    participation: NotNull[Participation] = None
    status: NotNull[MemberStatus] = None
    transition_roles: NotNull[TransitionRoles] = None
    discipline: Discipline | None = None


class MemberRef(Embedded):
    """A member wherever another resource refers to one: an erased member's `displayName` is
    their pseudonym."""

    id: uuid.UUID
    displayName: str


# A member as the API shows it; `repository.to_item` builds it.
class MemberRead(TypedDict):
    id: uuid.UUID
    externalId: str | None
    email: str
    givenName: str
    familyName: str
    displayName: str
    departmentId: uuid.UUID | None
    department: DepartmentRef | None
    organisationId: uuid.UUID | None
    organisation: OrganisationRef | None
    participation: Participation
    status: MemberStatus
    transitionRoles: list[TransitionRole]
    discipline: str | None
    source: MemberSource
    joinedAt: datetime
    deactivatedAt: datetime | None
    erasedAt: Annotated[
        datetime | None,
        Field(description="When the member's personal data was erased; they remain a pseudonym."),
    ]
    version: int
    createdAt: datetime
    updatedAt: datetime


class MemberPage(ListPage):
    items: list[MemberRead]
