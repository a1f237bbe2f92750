"""Response shapes of "me": the caller's own member, with what they take part in now."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.core.enums import described
from app.core.schemas import Embedded, ListPage
from app.learning_groups.models import GroupStatus, MembershipRole
from app.learning_groups.schemas import GroupRead
from app.learning_questions.schemas import QuestionRead
from app.members.schemas import MemberRead
from app.themes.schemas import ThemeRef
from app.workshops.schemas import WorkshopRead


@described(
    "How the caller relates to a learning question in their own list.",
    {
        "raised": "Ingebracht: they raised it (`raisedByMemberId` is their member).",
        "supported": 'Gesteund: they support it now ("ik wil dit ook leren").',
    },
)
class QuestionRelation(enum.StrEnum):
    RAISED = "raised"
    SUPPORTED = "supported"


class MyMembership(Embedded):
    id: Annotated[uuid.UUID, Field(description="The membership (its history: memberships).")]
    role: MembershipRole
    joinedAt: datetime


class MyGroupRef(Embedded):
    id: uuid.UUID
    name: str
    status: GroupStatus
    themeId: uuid.UUID
    theme: ThemeRef
    membership: MyMembership


class MyWorkshopRef(Embedded):
    id: uuid.UUID
    title: str
    startsAt: datetime
    endsAt: datetime | None
    location: str | None
    registeredAt: Annotated[datetime, Field(description="When they signed up.")]


class MeCounts(Embedded):
    openLearningQuestions: Annotated[
        int,
        Field(
            description="The learning questions they raised that are still open: not "
            "answered, merged or retired."
        ),
    ]
    supportedLearningQuestions: Annotated[
        int, Field(description="The learning questions they support now.")
    ]
    unreadNotifications: Annotated[
        int,
        Field(description="Their notifications not yet marked read (GET /me/notifications)."),
    ]


# The caller's member as GET /members/{id} shows it, and what they take part in now; the
# ETag is the member's version (PATCH /me's If-Match).
class MeRead(MemberRead):
    learningGroups: Annotated[
        list[MyGroupRef],
        Field(
            description="Every group they are in now, by name, with their role "
            "(GET /me/learning-groups pages them in full)."
        ),
    ]
    upcomingWorkshops: Annotated[
        list[MyWorkshopRef],
        Field(description="The werkplaatsen ahead that they signed up for, soonest first."),
    ]
    counts: MeCounts


class MyGroupRead(GroupRead):
    membership: Annotated[MyMembership, Field(description="Their membership, current.")]


class MyGroupPage(ListPage):
    items: list[MyGroupRead]


class MyQuestionRead(QuestionRead):
    relations: Annotated[
        list[QuestionRelation],
        Field(description="Why the question is in their list (more than one may apply)."),
    ]


class MyQuestionPage(ListPage):
    items: list[MyQuestionRead]


class MyWorkshopRead(WorkshopRead):
    registeredAt: Annotated[datetime, Field(description="When they signed up.")]


class MyWorkshopPage(ListPage):
    items: list[MyWorkshopRead]
