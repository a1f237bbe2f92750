"""Request and response schemas of learning questions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from typing_extensions import TypedDict

from app.cases.schemas import CaseRef
from app.core.enums import subset_schema
from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.learning_groups.schemas import GroupRef
from app.learning_questions.models import QuestionKind, QuestionStatus
from app.members.schemas import MemberRef
from app.themes.schemas import ThemeRef
from app.workshops.schemas import WorkshopRef

Title = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]


def _initial_statuses(schema: dict[str, Any]) -> None:
    """A question is created in any status but `merged`, which only `_merge` gives it."""
    field_description = schema.get("description")
    schema.pop("$ref", None)
    schema.update(
        subset_schema(QuestionStatus, (s for s in QuestionStatus if s is not QuestionStatus.MERGED))
    )
    if field_description:
        schema["description"] = f"{field_description}\n\n{schema['description']}"


class QuestionCreate(InputModel):
    title: Title
    description: LongText | None = None
    theme_id: uuid.UUID | None = None
    kind: QuestionKind = Field(
        default=QuestionKind.OPERATIONAL,
        description="`strategic` (about the direction) or `operational` (about the daily work).",
    )
    origin_workshop_id: uuid.UUID | None = Field(
        default=None, description="The werkplaats where the question came up."
    )
    origin_group_id: uuid.UUID | None = Field(
        default=None, description="The learning group the question came from."
    )
    origin_case_id: uuid.UUID | None = Field(
        default=None, description="The case the question came from."
    )
    raised_by_member_id: uuid.UUID | None = Field(
        default=None,
        description="Who raised it. Defaults to the caller's own member; only an admin may "
        "name someone else.",
    )
    owner_group_id: uuid.UUID | None = Field(
        default=None, description="The learning group that takes the question up."
    )
    status: QuestionStatus = Field(
        default=QuestionStatus.PROPOSED,
        description="Members and facilitators propose (`proposed`); an admin, or a facilitator "
        "of the owner group, may start a question in another status (never `merged`).",
        json_schema_extra=_initial_statuses,
    )
    answer: LongText | None = None


class QuestionUpdate(PatchModel):
    title: NotNull[Title] = None
    description: LongText | None = None
    theme_id: uuid.UUID | None = None
    kind: NotNull[QuestionKind] = None
    origin_workshop_id: uuid.UUID | None = None
    origin_group_id: uuid.UUID | None = None
    origin_case_id: uuid.UUID | None = None
    raised_by_member_id: uuid.UUID | None = None
    owner_group_id: uuid.UUID | None = None
    status: NotNull[QuestionStatus] = Field(
        default=None,
        description="Moves the question along its lifecycle; `merged` only through `_merge`.",
    )
    answer: LongText | None = None


class QuestionMerge(InputModel):
    into_id: uuid.UUID = Field(description="The surviving question this one is merged into.")


class QuestionRef(Embedded):
    """A learning question wherever another resource refers to one."""

    id: uuid.UUID
    title: str


# A learning question as the API shows it; `repository.to_item` builds it (and `with_merged`
# fills in its merged questions).
class QuestionRead(TypedDict):
    id: uuid.UUID
    title: str
    description: str | None
    themeId: uuid.UUID | None
    theme: ThemeRef | None
    kind: QuestionKind
    originWorkshopId: uuid.UUID | None
    originWorkshop: WorkshopRef | None
    originGroupId: uuid.UUID | None
    originGroup: GroupRef | None
    originCaseId: uuid.UUID | None
    originCase: CaseRef | None
    raisedByMemberId: uuid.UUID | None
    raisedBy: MemberRef | None
    ownerGroupId: uuid.UUID | None
    ownerGroup: GroupRef | None
    status: QuestionStatus
    allowedTransitions: Annotated[
        list[QuestionStatus],
        Field(
            description="The statuses the caller may move this question to next: the lifecycle's for an "
            "admin and a facilitator of its owner group; `retired` (withdraw) for its proposer "
            "while it is proposed; none for anyone else."
        ),
    ]
    mergedIntoId: Annotated[
        uuid.UUID | None, Field(description="The surviving question, once this one is merged.")
    ]
    mergedInto: QuestionRef | None
    mergedQuestionIds: Annotated[
        list[uuid.UUID], Field(description="The questions that were merged into this one.")
    ]
    mergedQuestions: Annotated[
        list[QuestionRef],
        Field(description="The questions that were merged into this one, as `mergedQuestionIds`."),
    ]
    answer: str | None
    supportCount: Annotated[
        int,
        Field(
            description='How many members support the question now ("ik wil dit ook leren"; '
            "`/learning-questions/{questionId}/supporters`). Support does not change the "
            "question's `version` or `updatedAt`: the change feed carries it as `supported` "
            "and `support-withdrawn`."
        ),
    ]
    version: int
    createdAt: datetime
    updatedAt: datetime


class QuestionPage(ListPage):
    items: list[QuestionRead]


# A member's support of a question, as PUT and GET `…/supporters/me` answer it.
class SupportRead(TypedDict):
    questionId: uuid.UUID
    memberId: Annotated[uuid.UUID, Field(description="The supporting member: the caller's own.")]
    member: MemberRef
    supportedAt: Annotated[
        datetime, Field(description="Since when the member supports it (the first PUT).")
    ]
    supportCount: Annotated[
        int, Field(description="How many members support the question now, this one among them.")
    ]


# One current supporter of a question, in the supporters list.
class SupporterRead(TypedDict):
    memberId: uuid.UUID
    displayName: Annotated[
        str, Field(description="The member's display name (an erased member's pseudonym).")
    ]
    supportedAt: datetime


class SupporterPage(ListPage):
    items: list[SupporterRead]
