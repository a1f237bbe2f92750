"""Request and response schemas of API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from app.core.permissions import Role
from app.core.schemas import InputModel, ListPage


class ApiKeyCreate(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    member_id: uuid.UUID | None = Field(default=None, description="The member the key acts for.")
    expires_at: AwareDatetime | None = None


# An API key's metadata as the API shows it (never the secret); `repository.to_item` builds it.
class ApiKeyRead(TypedDict):
    id: uuid.UUID
    name: str
    role: Role
    memberId: uuid.UUID | None
    prefix: Annotated[
        str, Field(description="The first characters of the key, to tell keys apart.")
    ]
    createdAt: datetime
    expiresAt: datetime | None
    revokedAt: datetime | None


# The answer to issuing a key: its metadata and, this once, the secret.
class ApiKeyCreated(ApiKeyRead):
    key: Annotated[str, Field(description="The secret. It is shown this once and never again.")]


class ApiKeyPage(ListPage):
    items: list[ApiKeyRead]
