"""Request and response schemas of themes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.members.models import TransitionRole

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(min_length=1, max_length=20_000)]


class ThemeCreate(InputModel):
    name: Name = Field(description="Unique.")
    description: Description | None = None
    transition_role: TransitionRole = Field(
        description="The civil servant's role this theme asks for; one theme per role."
    )


class ThemeUpdate(PatchModel):
    name: NotNull[Name] = None
    description: Description | None = None
    transition_role: NotNull[TransitionRole] = None


class ThemeRef(Embedded):
    """A theme wherever another resource refers to one."""

    id: uuid.UUID
    name: str
    transitionRole: TransitionRole


# A theme as the API shows it; `repository.to_item` builds it.
class ThemeRead(TypedDict):
    id: uuid.UUID
    name: str
    description: str | None
    transitionRole: TransitionRole
    version: int
    createdAt: datetime
    updatedAt: datetime


class ThemePage(ListPage):
    items: list[ThemeRead]
