"""Response schemas of the personal-data export and the erasure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from app.members.schemas import MemberRead


# The export's lists are free-form objects in the document: each is a few columns of another
# resource, as the export reads them (app/privacy/repository.py).
class PersonalData(TypedDict):
    """Everything the API holds about one member (AVG art. 15)."""

    generatedAt: datetime
    member: MemberRead
    apiKeys: Annotated[
        list[dict[str, Any]], Field(description="Keys that act for the member (no secrets).")
    ]
    groupMemberships: list[dict[str, Any]]
    workshopsAttended: list[dict[str, Any]]
    learningQuestionsRaised: list[dict[str, Any]]
    learningQuestionsSupported: Annotated[
        list[dict[str, Any]],
        Field(
            description='Every support the member gave ("ik wil dit ook leren"), withdrawn ones too.'
        ),
    ]
    insightsCaptured: list[dict[str, Any]]
    commentsWritten: Annotated[
        list[dict[str, Any]],
        Field(
            description="Their comments and replies, with the text as stored: none once they "
            "deleted one, still there when a moderator hid it."
        ),
    ]
    scimIdentity: dict[str, Any] | None
    syncChanges: Annotated[
        list[dict[str, Any]],
        Field(description="What intranet syncs changed about the member, run by run."),
    ]
    auditEvents: Annotated[
        list[dict[str, Any]],
        Field(description="Audit events by or about the member (they name members by id only)."),
    ]


# The answer to an erasure: the pseudonym the member now goes by, and the member as they are.
class Erasure(TypedDict):
    memberId: uuid.UUID
    pseudonym: str
    erasedAt: datetime
    member: MemberRead
