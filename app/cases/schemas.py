"""Request and response schemas of cases (casussen)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.cases.models import CaseStatus
from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.departments.schemas import DepartmentRef
from app.learning_groups.schemas import GroupRef
from app.organisations.schemas import OrganisationRef
from app.workshops.schemas import WorkshopRef

Title = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
PartnerIds = Annotated[
    list[uuid.UUID],
    Field(max_length=50, description="Partner organisations working on the case; a set."),
]


class CaseCreate(InputModel):
    """A new case always starts `proposed`; its status then follows the lifecycle."""

    title: Title
    description: Text | None = None
    learning_group_id: uuid.UUID | None = Field(
        default=None, description="The group working on it; facilitators only for their groups."
    )
    department_id: uuid.UUID | None = Field(default=None, description="Where the case lives.")
    partner_organisation_ids: PartnerIds = Field(default_factory=list)
    presented_at_workshop_id: uuid.UUID | None = None
    outcome: Text | None = None


class CaseUpdate(PatchModel):
    title: NotNull[Title] = None
    description: Text | None = None
    learning_group_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    partner_organisation_ids: NotNull[PartnerIds] = Field(
        default=None, description="Replaces the set of partners."
    )
    status: NotNull[CaseStatus] = Field(
        default=None,
        description="proposed → in_progress → presented → closed, and proposed → closed.",
    )
    presented_at_workshop_id: uuid.UUID | None = None
    outcome: Text | None = None


class CaseRef(Embedded):
    """A case wherever another resource refers to one."""

    id: uuid.UUID
    title: str


# A case as the API shows it; `repository.to_item` builds it.
class CaseRead(TypedDict):
    id: uuid.UUID
    title: str
    description: str | None
    learningGroupId: uuid.UUID | None
    learningGroup: GroupRef | None
    departmentId: uuid.UUID | None
    department: DepartmentRef | None
    partnerOrganisationIds: list[uuid.UUID]
    partnerOrganisations: Annotated[
        list[OrganisationRef],
        Field(description="The partner organisations, in the order of partnerOrganisationIds."),
    ]
    status: CaseStatus
    allowedTransitions: Annotated[
        list[CaseStatus],
        Field(
            description="The statuses the caller may move this case to next: the lifecycle's for an admin "
            "and a facilitator of its group, none for anyone else (and none when final)."
        ),
    ]
    presentedAtWorkshopId: uuid.UUID | None
    presentedAtWorkshop: WorkshopRef | None
    outcome: str | None
    version: int
    createdAt: datetime
    updatedAt: datetime


class CasePage(ListPage):
    items: list[CaseRead]
