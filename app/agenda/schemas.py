"""Request and response schemas of the learning agenda: revisions, items, diffs and histories."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.agenda.models import Priority, RevisionStatus
from app.core.schemas import Embedded, InputModel, ListPage, PatchModel
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


class AgendaThemeRef(Embedded):
    id: uuid.UUID
    name: str


class AgendaQuestionRef(Embedded):
    id: uuid.UUID
    title: str
    status: Annotated[QuestionStatus, Field(description="The question's status now.")]
    theme: AgendaThemeRef | None


class AgendaGroupRef(Embedded):
    id: uuid.UUID
    name: str


# An item of a revision with its question and owner group; `repository.to_embedded_item`
# builds it.
class AgendaItemRead(TypedDict):
    questionId: uuid.UUID
    rank: int
    priority: Priority
    ownerGroupId: uuid.UUID | None
    note: str | None
    question: AgendaQuestionRef
    ownerGroup: AgendaGroupRef | None


# A revision without its items (as lists show it); `repository.to_revision` builds it.
class RevisionSummary(TypedDict):
    number: int
    status: RevisionStatus
    title: str | None
    rationale: str | None
    workshopId: uuid.UUID | None
    createdAt: datetime
    updatedAt: datetime
    publishedAt: datetime | None
    publishedBy: Annotated[str | None, Field(description="Who published it (the API key's name).")]
    version: int
    itemCount: int


class RevisionRead(RevisionSummary):
    items: Annotated[list[AgendaItemRead], Field(description="Ordered by rank.")]


class RevisionPage(ListPage):
    items: list[RevisionSummary]


class RevisionMoment(TypedDict):
    number: int
    status: RevisionStatus
    publishedAt: datetime | None
    moment: Annotated[
        datetime,
        Field(
            description="The instant question statuses are read at: publishedAt, or now for a draft."
        ),
    ]


class RankChange(TypedDict):
    old: int
    new: int


class PriorityChange(TypedDict):
    old: Priority
    new: Priority


class OwnerGroupChange(TypedDict):
    old: uuid.UUID | None
    new: uuid.UUID | None


class NoteChange(TypedDict):
    old: str | None
    new: str | None


class ChangedItem(TypedDict):
    questionId: uuid.UUID
    question: AgendaQuestionRef
    changedFields: Annotated[
        list[str], Field(description="Which of rank, priority, ownerGroupId and note differ.")
    ]
    rank: RankChange
    priority: PriorityChange
    ownerGroupId: OwnerGroupChange
    note: NoteChange


class StatusChange(TypedDict):
    questionId: uuid.UUID
    title: str
    old: Annotated[QuestionStatus, Field(description="The status at the `from` revision's moment.")]
    new: Annotated[QuestionStatus, Field(description="The status at this revision's moment.")]


# `from` is a keyword, so this shape is spelled as a call rather than a class.
RevisionDiff = TypedDict(
    "RevisionDiff",
    {
        "from": RevisionMoment,
        "to": RevisionMoment,
        "added": Annotated[
            list[AgendaItemRead], Field(description="Items of `to` whose question `from` lacks.")
        ],
        "removed": Annotated[
            list[AgendaItemRead],
            Field(
                description="Items of `from` whose question `to` lacks (as they were in `from`)."
            ),
        ],
        "changed": Annotated[
            list[ChangedItem], Field(description="Questions on both, with a field that differs.")
        ],
        "statusChanges": Annotated[
            list[StatusChange],
            Field(
                description=(
                    "Questions of either revision whose status at the `from` moment differs "
                    "from their status at the `to` moment (questions that did not exist yet "
                    "are left out)."
                )
            ),
        ],
    },
)


class AgendaHistoryEntry(TypedDict):
    number: int
    publishedAt: datetime
    present: Annotated[bool, Field(description="Whether the question was on this revision.")]
    rank: int | None
    priority: Priority | None
    ownerGroupId: uuid.UUID | None
    note: str | None


class QuestionAgendaHistory(TypedDict):
    questionId: uuid.UUID
    items: Annotated[
        list[AgendaHistoryEntry], Field(description="Every published revision, in order.")
    ]
