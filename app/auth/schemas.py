"""Request and response schemas of API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field
from typing_extensions import TypedDict

from app.core.permissions import Role
from app.core.schemas import InputModel, ListPage
from app.members.schemas import MemberRef


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
    member: MemberRef | None
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


class StreamTicketCreate(InputModel):
    types: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z-]+$", max_length=50)]] | None,
        Field(
            default=None,
            min_length=1,
            max_length=20,
            description="Only the changes of these resource types (e.g. `member`); without it, "
            "every type the caller's role reads.",
        ),
    ] = None


class StreamTicketCreated(TypedDict):
    ticket: Annotated[
        str,
        Field(
            description="The ticket (`lgs_…`): the credential of a browser's EventSource on "
            "the change feed's event stream, and of nothing else. Shown this once."
        ),
    ]
    expiresAt: Annotated[
        datetime,
        Field(
            description="Until when it opens streams (`STREAM_TICKET_SECONDS` after it was "
            "issued): EventSource's reconnects within that time work; later, ask for another."
        ),
    ]
    types: Annotated[
        list[str] | None, Field(description="The resource types it is for (null: all).")
    ]
    href: Annotated[
        str,
        Field(description="What to open: `new EventSource(href)` (relative to the API's origin)."),
    ]


class CalendarSubscription(TypedDict):
    createdAt: Annotated[
        datetime,
        Field(
            description="When the subscription URL in use was issued (the URL itself is shown "
            "only when it is issued)."
        ),
    ]


class CalendarSubscriptionIssued(CalendarSubscription):
    ticket: Annotated[
        str,
        Field(
            description="The calendar ticket (`lgc_…`): the credential in the URL, good for "
            "your own werkplaatsen feed and nothing else. Shown this once."
        ),
    ]
    href: Annotated[
        str,
        Field(description="The feed's URL relative to the API's origin, ticket included."),
    ]
    url: Annotated[
        str,
        Field(
            description="The same URL in full, as the API was reached: paste it into Outlook "
            "(Add calendar, From internet), Google Calendar (From URL) or Apple Calendar "
            "(New Calendar Subscription). Treat it as a password."
        ),
    ]
