"""Request and response schemas of workshops (werkplaatsen) and their attendees."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.departments.schemas import DepartmentRef
from app.members.schemas import MemberRef
from app.workshops.models import WorkshopStatus

Title = Annotated[str, Field(min_length=1, max_length=200)]
Location = Annotated[str, Field(min_length=1, max_length=200)]
Summary = Annotated[str, Field(min_length=1, max_length=20_000)]
Capacity = Annotated[
    int,
    Field(
        ge=1,
        le=100_000,
        description="How many members may sign up themselves (`PUT …/attendees/me`); "
        "null: no limit. Lowering it below the sign-ups keeps them all and only stops new ones.",
    ),
]


class WorkshopCreate(InputModel):
    title: Title
    starts_at: AwareDatetime = Field(description="When it starts, with a UTC offset.")
    ends_at: AwareDatetime | None = Field(default=None, description="Not before startsAt.")
    location: Location | None = None
    summary: Summary | None = None
    capacity: Capacity | None = None


class WorkshopUpdate(PatchModel):
    title: NotNull[Title] = None
    starts_at: NotNull[AwareDatetime] = None
    ends_at: AwareDatetime | None = None
    location: Location | None = None
    summary: Summary | None = None
    status: NotNull[WorkshopStatus] = Field(
        default=None,
        description="`cancelled` calls the workshop off (sign-ups are then refused, and the "
        "calendar feeds show it as cancelled); `planned` puts it back on.",
    )
    capacity: Capacity | None = None


class WorkshopRef(Embedded):
    """A werkplaats wherever another resource refers to one."""

    id: uuid.UUID
    title: str
    startsAt: datetime


# A workshop as the API shows it; `repository.to_item` builds it.
class WorkshopRead(TypedDict):
    id: uuid.UUID
    title: str
    startsAt: datetime
    endsAt: datetime | None
    location: str | None
    summary: str | None
    status: WorkshopStatus
    capacity: Annotated[
        int | None,
        Field(description="How many members may sign up themselves; null: no limit."),
    ]
    attendeeCount: Annotated[
        int, Field(description="How many members signed up for it (or attended it).")
    ]
    placesLeft: Annotated[
        int | None,
        Field(
            description="How many more members may sign up (capacity minus attendeeCount, never "
            "below 0); null when there is no limit."
        ),
    ]
    version: int
    createdAt: datetime
    updatedAt: datetime


class WorkshopPage(ListPage):
    items: list[WorkshopRead]


class AttendeeCreate(InputModel):
    member_id: uuid.UUID
    registered_at: AwareDatetime | None = Field(
        default=None, description="When the attendance was recorded; defaults to now."
    )


# An attendance as the API shows it; `repository.attendee_item` builds it.
class AttendeeRead(TypedDict):
    workshopId: uuid.UUID
    workshop: WorkshopRef
    memberId: uuid.UUID
    member: MemberRef
    displayName: str
    department: DepartmentRef | None
    registeredAt: datetime


class AttendeePage(ListPage):
    items: list[AttendeeRead]
