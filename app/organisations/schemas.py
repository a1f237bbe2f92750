"""Request and response schemas of organisations (partners)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.organisations.models import OrganisationKind

Name = Annotated[str, Field(min_length=1, max_length=200)]
# A host name (letters, digits, dots, hyphens), an optional port, then any visible ASCII: no
# spaces, no IP literals in brackets. Spelled out rather than `\S`, which Python, pydantic's
# regex engine and JSON Schema readers each read differently.
WEBSITE_PATTERN = r"^https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?(?:[/?#][!-~]*)?$"
Website = Annotated[str, Field(min_length=8, max_length=500, pattern=WEBSITE_PATTERN)]


class OrganisationCreate(InputModel):
    name: Name = Field(description="Unique.")
    kind: OrganisationKind
    website: Website | None = None


class OrganisationUpdate(PatchModel):
    name: NotNull[Name] = None
    kind: NotNull[OrganisationKind] = None
    website: Website | None = None


class OrganisationRef(Embedded):
    """An organisation wherever another resource refers to one."""

    id: uuid.UUID
    name: str


# An organisation as the API shows it; `repository.to_item` builds it.
class OrganisationRead(TypedDict):
    id: uuid.UUID
    name: str
    kind: OrganisationKind
    website: str | None
    version: int
    createdAt: datetime
    updatedAt: datetime


class OrganisationPage(ListPage):
    items: list[OrganisationRead]
