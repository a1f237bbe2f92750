"""Request and response schemas of API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field

from app.core.permissions import Role
from app.core.schemas import ApiModel, InputModel, ListPageModel


class ApiKeyCreate(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    member_id: uuid.UUID | None = Field(default=None, description="The member the key acts for.")
    expires_at: AwareDatetime | None = None


class ApiKeyRead(ApiModel):
    id: uuid.UUID
    name: str
    role: Role
    member_id: uuid.UUID | None
    prefix: str = Field(description="The first characters of the key, to tell keys apart.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret. It is shown this once and never again.")


class ApiKeyPage(ListPageModel):
    items: list[ApiKeyRead]
