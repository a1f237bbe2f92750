"""Shapes of the inbox and of the settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from app.core.schemas import Embedded, InputModel, ListPage
from app.notifications.models import NotificationKind


class NotificationSubject(Embedded):
    type: Annotated[str, Field(description="The kind of resource it is about.")]
    id: Annotated[str, Field(description="That resource's id (a revision: its number).")]
    href: Annotated[str, Field(description="Its path in this API.")]


class NotificationRead(TypedDict):
    id: Annotated[int, Field(description="Ascending: a later notification has a higher id.")]
    kind: NotificationKind
    createdAt: datetime
    readAt: Annotated[datetime | None, Field(description="When it was marked read; null: unread.")]
    subject: NotificationSubject
    detail: Annotated[
        dict[str, Any],
        Field(
            description="What a screen shows: titles, numbers and statuses of resources "
            "(never a person's name)."
        ),
    ]


class NotificationPage(ListPage):
    items: list[NotificationRead]


class ReadMark(InputModel):
    """Exactly one of `upTo` and `all`."""

    up_to: Annotated[
        int | None,
        Field(
            ge=1,
            le=2**63 - 1,
            description="Mark this notification of yours and every earlier one read.",
        ),
    ] = None
    all: Annotated[bool | None, Field(description="`true`: mark all of yours read.")] = None


class ReadMarked(TypedDict):
    marked: Annotated[int, Field(description="How many were unread and are read now.")]
    unread: Annotated[int, Field(description="How many of yours are unread still.")]


class KindSetting(TypedDict):
    kind: NotificationKind
    enabled: bool


class NotificationSettings(TypedDict):
    kinds: Annotated[list[KindSetting], Field(description="Every kind, on unless turned off.")]


class KindSettingInput(InputModel):
    kind: NotificationKind
    enabled: bool


class NotificationSettingsInput(InputModel):
    kinds: Annotated[
        list[KindSettingInput],
        Field(
            max_length=len(NotificationKind),
            description="Each kind at most once; a kind not named is on.",
        ),
    ]
