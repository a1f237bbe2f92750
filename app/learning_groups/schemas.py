"""Request and response schemas of learning groups and their memberships."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field

from app.core.schemas import (
    ApiModel,
    Embedded,
    EmbeddedModel,
    InputModel,
    ListPageModel,
    NotNull,
    PatchModel,
)
from app.learning_groups.models import GroupMode, GroupStatus, MembershipRole
from app.members.models import TransitionRole
from app.members.schemas import OrganisationRef

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(min_length=1, max_length=20_000)]


class GroupCreate(InputModel):
    """A new group always starts `forming`; its status then follows the lifecycle."""

    name: Name
    description: Description | None = None
    theme_id: uuid.UUID
    mode: GroupMode
    facilitator_organisation_id: uuid.UUID | None = Field(
        default=None, description="Only for a facilitated group (e.g. DRIFT)."
    )
    formed_at_workshop_id: uuid.UUID | None = None


class GroupUpdate(PatchModel):
    name: NotNull[Name] = None
    description: Description | None = None
    theme_id: NotNull[uuid.UUID] = None
    mode: NotNull[GroupMode] = None
    facilitator_organisation_id: uuid.UUID | None = None
    formed_at_workshop_id: uuid.UUID | None = None
    status: NotNull[GroupStatus] = Field(
        default=None,
        description=(
            "forming → active → presented → concluded; forming, active or presented → merged "
            "(with mergedIntoId). A merged group accepts no further changes."
        ),
    )
    merged_into_id: uuid.UUID | None = Field(
        default=None,
        description="The group this one carries on in; set together with status `merged`.",
    )


class ThemeRef(Embedded):
    id: uuid.UUID
    name: str
    transitionRole: TransitionRole


class GroupRead(ApiModel):
    id: uuid.UUID
    name: str
    description: str | None
    theme_id: uuid.UUID
    theme: ThemeRef
    mode: GroupMode
    facilitator_organisation_id: uuid.UUID | None
    facilitator_organisation: OrganisationRef | None
    formed_at_workshop_id: uuid.UUID | None
    status: GroupStatus
    merged_into_id: uuid.UUID | None
    allowed_transitions: list[GroupStatus] = Field(
        description="The statuses this group may move to next (empty when final)."
    )
    member_count: int = Field(description="How many members the group has now.")
    version: int
    created_at: datetime
    updated_at: datetime


class GroupMember(EmbeddedModel):
    membership_id: uuid.UUID
    member_id: uuid.UUID
    display_name: str
    role: MembershipRole
    joined_at: datetime


class GroupDetail(GroupRead):
    members: list[GroupMember] = Field(description="The current members (history: memberships).")


class GroupPage(ListPageModel):
    items: list[GroupRead]


class MembershipCreate(InputModel):
    member_id: uuid.UUID
    role: MembershipRole = MembershipRole.MEMBER
    joined_at: AwareDatetime | None = Field(
        default=None, description="Defaults to now; never in the future."
    )


class MembershipUpdate(PatchModel):
    left_at: NotNull[AwareDatetime] = Field(
        default=None,
        description="Ends the membership (not before joinedAt, not in the future); kept as history.",
    )
    role: NotNull[MembershipRole] = None


class MembershipRead(ApiModel):
    id: uuid.UUID
    group_id: uuid.UUID
    member_id: uuid.UUID
    display_name: str
    role: MembershipRole
    joined_at: datetime
    left_at: datetime | None
    current: bool = Field(description="True while the membership has not ended.")


class MembershipPage(ListPageModel):
    items: list[MembershipRead]
