"""Request and response schemas of learning groups and their memberships."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.departments.schemas import DepartmentRef
from app.learning_groups.models import GroupMode, GroupStatus, MembershipRole
from app.members.models import MemberStatus
from app.members.schemas import MemberRef
from app.organisations.schemas import OrganisationRef
from app.themes.schemas import ThemeRef
from app.workshops.schemas import WorkshopRef

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


class GroupRef(Embedded):
    """A learning group wherever another resource refers to one."""

    id: uuid.UUID
    name: str


# A learning group as the API shows it; `repository.to_item` builds it.
class GroupRead(TypedDict):
    id: uuid.UUID
    name: str
    description: str | None
    themeId: uuid.UUID
    theme: ThemeRef
    mode: GroupMode
    facilitatorOrganisationId: uuid.UUID | None
    facilitatorOrganisation: OrganisationRef | None
    formedAtWorkshopId: uuid.UUID | None
    formedAtWorkshop: WorkshopRef | None
    status: GroupStatus
    mergedIntoId: uuid.UUID | None
    mergedInto: GroupRef | None
    allowedTransitions: Annotated[
        list[GroupStatus],
        Field(
            description="The statuses the caller may move this group to next: the lifecycle's for an admin "
            "and its facilitators, none for anyone else (and none when final)."
        ),
    ]
    memberCount: Annotated[int, Field(description="How many members the group has now.")]
    version: int
    createdAt: datetime
    updatedAt: datetime


# A current member of a group, as the group's detail lists them: the member's own row (their
# name, department and status) with the membership's role and start.
class GroupMember(Embedded):
    membershipId: uuid.UUID
    memberId: uuid.UUID
    displayName: str
    department: DepartmentRef | None
    status: Annotated[
        MemberStatus,
        Field(description="The member's own status in the community, not the membership's."),
    ]
    role: MembershipRole
    joinedAt: datetime


# The group with its current members, as a single group is read and written.
class GroupDetail(GroupRead):
    members: Annotated[
        list[GroupMember], Field(description="The current members (history: memberships).")
    ]


class GroupPage(ListPage):
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


# A membership as the API shows it; `repository.membership_item` builds it.
class MembershipRead(TypedDict):
    id: uuid.UUID
    groupId: uuid.UUID
    group: GroupRef
    memberId: uuid.UUID
    member: MemberRef
    displayName: str
    role: MembershipRole
    joinedAt: datetime
    leftAt: datetime | None
    current: Annotated[bool, Field(description="True while the membership has not ended.")]


class MembershipPage(ListPage):
    items: list[MembershipRead]
