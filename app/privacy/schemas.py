"""Response schemas of the personal-data export and the erasure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import ApiModel
from app.members.schemas import MemberRead


class PersonalData(ApiModel):
    """Everything the API holds about one member (AVG art. 15)."""

    generated_at: datetime
    member: MemberRead
    api_keys: list[dict[str, Any]] = Field(description="Keys that act for the member (no secrets).")
    group_memberships: list[dict[str, Any]]
    workshops_attended: list[dict[str, Any]]
    learning_questions_raised: list[dict[str, Any]]
    insights_captured: list[dict[str, Any]]
    scim_identity: dict[str, Any] | None
    sync_changes: list[dict[str, Any]] = Field(
        description="What intranet syncs changed about the member, run by run."
    )
    audit_events: list[dict[str, Any]] = Field(
        description="Audit events by or about the member (they name members by id only)."
    )


class Erasure(ApiModel):
    member_id: uuid.UUID
    pseudonym: str
    erased_at: datetime
    member: MemberRead
