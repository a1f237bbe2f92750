"""Response schemas of the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from typing_extensions import TypedDict

from app.core.enums import DescribedValues
from app.core.schemas import ListPage

# The outcome an audit event records (a filter of the list).
AuditResult = Annotated[
    Literal["success", "denied", "rejected"],
    DescribedValues(
        "The outcome of the request the event records.",
        {
            "success": "Gelukt: done (a write, or an audited read such as personal data).",
            "denied": "Geweigerd: no valid credentials, or a role that may not (401, 403, 429).",
            "rejected": "Afgewezen: refused for its input or the resource's state (400, 409, 412, "
            "413, 415, 422).",
        },
    ),
]


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
