"""Response schemas of the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from typing_extensions import TypedDict

from app.core.schemas import ListPage


# An audit event as the API shows it; `repository.to_item` builds it.
class AuditEventRead(TypedDict):
    id: int
    occurredAt: datetime
    actorKeyId: uuid.UUID | None
    actorRole: str | None
    actorName: str | None
    actorMemberId: uuid.UUID | None
    action: str
    objectType: str | None
    objectId: str | None
    result: str
    statusCode: int | None
    clientAddress: str | None
    userAgent: str | None
    requestId: str | None
    detail: dict[str, Any] | None


class AuditEventPage(ListPage):
    items: list[AuditEventRead]
