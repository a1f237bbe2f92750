"""Request and response schemas of learning questions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from app.cases.schemas import GroupRef
from app.core.schemas import ApiModel, InputModel, ListPageModel, NotNull, PatchModel
from app.learning_groups.schemas import ThemeRef
from app.learning_questions.models import QuestionKind, QuestionStatus

Title = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]


def _initial_statuses(schema: dict[str, Any]) -> None:
    """A question is created in any status but `merged`, which only `_merge` gives it."""
    schema.pop("$ref", None)
    schema["type"] = "string"
    schema["enum"] = [s.value for s in QuestionStatus if s is not QuestionStatus.MERGED]


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


class QuestionRead(ApiModel):
    id: uuid.UUID
    title: str
    description: str | None
    theme_id: uuid.UUID | None
    theme: ThemeRef | None
    kind: QuestionKind
    origin_workshop_id: uuid.UUID | None
    origin_group_id: uuid.UUID | None
    origin_case_id: uuid.UUID | None
    raised_by_member_id: uuid.UUID | None
    owner_group_id: uuid.UUID | None
    owner_group: GroupRef | None
    status: QuestionStatus
    allowed_transitions: list[QuestionStatus] = Field(
        description="The statuses a PATCH may move this question to next."
    )
    merged_into_id: uuid.UUID | None = Field(
        description="The surviving question, once this one is merged."
    )
    merged_question_ids: list[uuid.UUID] = Field(
        description="The questions that were merged into this one."
    )
    answer: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class QuestionPage(ListPageModel):
    items: list[QuestionRead]
