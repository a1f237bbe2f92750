"""Request and response schemas of workshops (werkplaatsen) and their attendees."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field

from app.core.schemas import ApiModel, InputModel, ListPageModel, NotNull, PatchModel
from app.members.schemas import DepartmentRef

Title = Annotated[str, Field(min_length=1, max_length=200)]
Location = Annotated[str, Field(min_length=1, max_length=200)]
Summary = Annotated[str, Field(min_length=1, max_length=20_000)]


class WorkshopCreate(InputModel):
    title: Title
    starts_at: AwareDatetime = Field(description="When it starts, with a UTC offset.")
    ends_at: AwareDatetime | None = Field(default=None, description="Not before startsAt.")
    location: Location | None = None
    summary: Summary | None = None


class WorkshopUpdate(PatchModel):
    title: NotNull[Title] = None
    starts_at: NotNull[AwareDatetime] = None
    ends_at: AwareDatetime | None = None
    location: Location | None = None
    summary: Summary | None = None


class WorkshopRead(ApiModel):
    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str | None
    summary: str | None
    attendee_count: int = Field(description="How many members attended.")
    version: int
    created_at: datetime
    updated_at: datetime


class WorkshopPage(ListPageModel):
    items: list[WorkshopRead]


class AttendeeCreate(InputModel):
    member_id: uuid.UUID
    registered_at: AwareDatetime | None = Field(
        default=None, description="When the attendance was recorded; defaults to now."
    )


class AttendeeRead(ApiModel):
    workshop_id: uuid.UUID
    member_id: uuid.UUID
    display_name: str
    department: DepartmentRef | None
    registered_at: datetime


class AttendeePage(ListPageModel):
    items: list[AttendeeRead]
