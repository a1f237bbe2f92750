"""Request and response schemas of the learning agenda: revisions, items, diffs and histories."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.agenda.models import Priority, RevisionStatus
from app.core.schemas import ApiModel, EmbeddedModel, InputModel, ListPageModel, PatchModel
from app.learning_questions.models import QuestionStatus

MAX_ITEMS = 1000

Title = Annotated[str, Field(min_length=1, max_length=200)]
Rationale = Annotated[str, Field(min_length=1, max_length=20_000)]
Note = Annotated[str, Field(min_length=1, max_length=2_000)]


class RevisionCreate(InputModel):
    title: Title | None = None
    rationale: Rationale | None = Field(
        default=None, description="Why the agenda changes in this revision."
    )
    workshop_id: uuid.UUID | None = Field(
        default=None, description="The werkplaats that triggered this revision."
    )


class RevisionUpdate(PatchModel):
    """Every property may be cleared with null; only a draft can be changed."""

    title: Title | None = None
    rationale: Rationale | None = None
    workshop_id: uuid.UUID | None = None


class AgendaItemInput(InputModel):
    question_id: uuid.UUID
    rank: int | None = Field(
        default=None,
        description=(
            "Position on the agenda; the ranks of a list are exactly 1..n. "
            "Left out, it is the item's position in the list (counting from 1)."
        ),
    )
    priority: Priority = Priority.MEDIUM
    owner_group_id: uuid.UUID | None = Field(
        default=None, description="The learning group that takes the question up."
    )
    note: Note | None = None


class AgendaItemsReplace(InputModel):
    items: list[AgendaItemInput] = Field(
        max_length=MAX_ITEMS, description="The whole agenda, replacing the draft's items."
    )


class AgendaThemeRef(EmbeddedModel):
    id: uuid.UUID
    name: str


class AgendaQuestionRef(EmbeddedModel):
    id: uuid.UUID
    title: str
    status: QuestionStatus = Field(description="The question's status now.")
    theme: AgendaThemeRef | None


class AgendaGroupRef(EmbeddedModel):
    id: uuid.UUID
    name: str


class AgendaItemRead(ApiModel):
    question_id: uuid.UUID
    rank: int
    priority: Priority
    owner_group_id: uuid.UUID | None
    note: str | None
    question: AgendaQuestionRef
    owner_group: AgendaGroupRef | None


class RevisionSummary(ApiModel):
    number: int
    status: RevisionStatus
    title: str | None
    rationale: str | None
    workshop_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    published_by: str | None = Field(description="Who published it (the API key's name).")
    version: int
    item_count: int


class RevisionRead(RevisionSummary):
    items: list[AgendaItemRead] = Field(description="Ordered by rank.")


class RevisionPage(ListPageModel):
    items: list[RevisionSummary]


class RevisionMoment(ApiModel):
    number: int
    status: RevisionStatus
    published_at: datetime | None
    moment: datetime = Field(
        description="The instant question statuses are read at: publishedAt, or now for a draft."
    )


class RankChange(ApiModel):
    old: int
    new: int


class PriorityChange(ApiModel):
    old: Priority
    new: Priority


class OwnerGroupChange(ApiModel):
    old: uuid.UUID | None
    new: uuid.UUID | None


class NoteChange(ApiModel):
    old: str | None
    new: str | None


class ChangedItem(ApiModel):
    question_id: uuid.UUID
    question: AgendaQuestionRef
    changed_fields: list[str] = Field(
        description="Which of rank, priority, ownerGroupId and note differ."
    )
    rank: RankChange
    priority: PriorityChange
    owner_group_id: OwnerGroupChange
    note: NoteChange


class StatusChange(ApiModel):
    question_id: uuid.UUID
    title: str
    old: QuestionStatus = Field(description="The status at the `from` revision's moment.")
    new: QuestionStatus = Field(description="The status at this revision's moment.")


class RevisionDiff(ApiModel):
    from_: RevisionMoment = Field(alias="from")
    to: RevisionMoment
    added: list[AgendaItemRead] = Field(description="Items of `to` whose question `from` lacks.")
    removed: list[AgendaItemRead] = Field(
        description="Items of `from` whose question `to` lacks (as they were in `from`)."
    )
    changed: list[ChangedItem] = Field(description="Questions on both, with a field that differs.")
    status_changes: list[StatusChange] = Field(
        description=(
            "Questions of either revision whose status at the `from` moment differs from "
            "their status at the `to` moment (questions that did not exist yet are left out)."
        )
    )


class AgendaHistoryEntry(ApiModel):
    number: int
    published_at: datetime
    present: bool = Field(description="Whether the question was on this revision.")
    rank: int | None
    priority: Priority | None
    owner_group_id: uuid.UUID | None
    note: str | None


class QuestionAgendaHistory(ApiModel):
    question_id: uuid.UUID
    items: list[AgendaHistoryEntry] = Field(description="Every published revision, in order.")
