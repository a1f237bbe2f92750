"""Request and response schemas of webhook subscriptions and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from app.core.schemas import InputModel, ListPage, NotNull, PatchModel
from app.webhooks.models import DeliveryStatus

Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Where deliveries are POSTed: an https URL of a public host.",
    ),
]
Types = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z-]+$")]],
    Field(
        max_length=50,
        description="The resource types whose changes it receives, as the change feed names "
        "them (`member`, `learning-question` …); empty: every type.",
    ),
]
Description = Annotated[str, Field(max_length=500)]


class SubscriptionCreate(InputModel):
    url: Url
    types: Types = []
    description: Description | None = None
    active: bool = True


class SubscriptionUpdate(PatchModel):
    url: NotNull[Url] = None
    types: NotNull[Types] = None
    description: Description | None = None
    active: NotNull[bool] = Field(
        default=None,
        description="False pauses deliveries (they wait); true resumes them, also after the "
        "API disabled the subscription.",
    )


# A subscription as the API shows it (never its secret); `repository.to_item` builds it.
class SubscriptionRead(TypedDict):
    id: uuid.UUID
    url: str
    types: list[str]
    description: str | None
    active: bool
    disabledReason: Annotated[
        str | None,
        Field(description="Why the API disabled it (deliveries failed for about a day)."),
    ]
    secretRotatedUntil: Annotated[
        datetime | None,
        Field(description="Until when the previous secret also signs, after a rotation."),
    ]
    version: int
    createdAt: datetime
    updatedAt: datetime


# The answer to registering a subscription or rotating its secret: this once, the secret.
class SubscriptionWithSecret(SubscriptionRead):
    secret: Annotated[
        str,
        Field(
            description="The `whsec_…` secret that signs deliveries (Standard Webhooks). It is "
            "shown this once."
        ),
    ]


class SubscriptionPage(ListPage):
    items: list[SubscriptionRead]


class DeliveryRead(TypedDict):
    id: int
    messageId: Annotated[
        str, Field(description="The `webhook-id` header: the same on every attempt.")
    ]
    eventType: Annotated[str, Field(description="e.g. `member.updated`.")]
    status: DeliveryStatus
    attempts: int
    responseStatus: Annotated[
        int | None, Field(description="The receiver's HTTP status at the last attempt.")
    ]
    lastError: Annotated[str | None, Field(description="Why the last attempt failed, when it did.")]
    nextAttemptAt: datetime | None
    lastAttemptAt: datetime | None
    createdAt: datetime
    deliveredAt: datetime | None
    payload: Annotated[dict[str, Any], Field(description="The body that is POSTed.")]


class DeliveryPage(ListPage):
    items: list[DeliveryRead]
