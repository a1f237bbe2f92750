"""Response schemas of the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.audit.feed import ChangeKind
from app.core.schemas import ListPage


class ChangeActor(TypedDict):
    role: Annotated[str | None, Field(description="The role of the key or token that wrote it.")]
    memberId: Annotated[
        uuid.UUID | None, Field(description="The member who wrote it, when a person did.")
    ]


class ChangeRead(TypedDict):
    position: Annotated[
        str,
        Field(description="Where this change stands in the feed: `after=` it continues there."),
    ]
    type: Annotated[str, Field(description="The kind of resource, e.g. `member`.")]
    resourceId: Annotated[
        str, Field(description="The resource's id (an agenda revision's number).")
    ]
    change: ChangeKind
    version: Annotated[
        int | None,
        Field(description="The resource's version after the change (its ETag), if it has one."),
    ]
    occurredAt: datetime
    actor: ChangeActor
    href: Annotated[str, Field(description="The resource's URL: its current representation.")]


class ChangePage(ListPage):
    items: list[ChangeRead]
    resume: Annotated[
        str,
        Field(
            description="Where to ask again for the changes that come later: this feed after "
            "the last change shown (after none: where this page began). Always present; with "
            "`wait`, a long poll. `next` is null once a page holds every change there is now."
        ),
    ]
