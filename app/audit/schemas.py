"""Response schemas of the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.core.schemas import ApiModel, ListPageModel


class AuditEventRead(ApiModel):
    id: int
    occurred_at: datetime
    actor_key_id: uuid.UUID | None
    actor_role: str | None
    actor_name: str | None
    actor_member_id: uuid.UUID | None
    action: str
    object_type: str | None
    object_id: str | None
    result: str
    status_code: int | None
    client_address: str | None
    user_agent: str | None
    request_id: str | None
    detail: dict[str, Any] | None


class AuditEventPage(ListPageModel):
    items: list[AuditEventRead]
