"""Request and response schemas of the learning agenda: revisions, items, diffs and histories."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from app.agenda.models import Priority, RevisionStatus
from app.core.schemas import Embedded, InputModel, ListPage, PatchModel
from app.learning_groups.schemas import GroupRef
from app.learning_questions.models import QuestionStatus
from app.learning_questions.schemas import QuestionRef
from app.themes.schemas import ThemeRef
from app.workshops.schemas import WorkshopRef

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


class AgendaQuestionRef(Embedded):
    id: uuid.UUID
    title: Annotated[
        str,
        Field(description="The question's title at the revision's `moment` (now without one)."),
    ]
    status: Annotated[
        QuestionStatus,
        Field(description="The question's status at the revision's `moment` (now without one)."),
    ]
    supportCount: Annotated[
        int,
        Field(
            description=(
                'How many members supported the question ("ik wil dit ook leren") at the '
                "revision's `moment` (now without one: a draft shows the support as it is while "
                "it is being ranked)."
            )
        ),
    ]
    theme: ThemeRef | None


# An item of a revision with its question and owner group; `repository.to_embedded_item`
# builds it.
class AgendaItemRead(TypedDict):
    questionId: uuid.UUID
    rank: int
    priority: Priority
    ownerGroupId: uuid.UUID | None
    note: str | None
    question: AgendaQuestionRef
    ownerGroup: GroupRef | None


# A revision without its items (as lists show it); `repository.to_revision` builds it.
class RevisionSummary(TypedDict):
    number: int
    status: RevisionStatus
    title: str | None
    rationale: str | None
    workshopId: uuid.UUID | None
    workshop: Annotated[
        WorkshopRef | None, Field(description="The werkplaats that triggered this revision.")
    ]
    createdAt: datetime
    updatedAt: datetime
    publishedAt: datetime | None
    publishedBy: Annotated[str | None, Field(description="Who published it (the API key's name).")]
    version: int
    itemCount: int


class RevisionRead(RevisionSummary):
    items: Annotated[list[AgendaItemRead], Field(description="Ordered by rank.")]
    # Left out where the questions are shown as they are now, so the current agenda's answer
    # stays what it was before the as-of view existed.
    moment: NotRequired[
        Annotated[
            datetime,
            Field(
                description=(
                    "The instant the items' questions are shown at (their title, status and "
                    "support then): `asOf` for the agenda at a given moment (for a date, the end of "
                    "that day in Europe/Amsterdam), the publication for a published revision. "
                    "Absent where they are shown as they are now: the current agenda, a draft."
                )
            ),
        ]
    ]


class RevisionPage(ListPage):
    items: list[RevisionSummary]


class RevisionMoment(TypedDict):
    number: int
    status: RevisionStatus
    publishedAt: datetime | None
    moment: Annotated[
        datetime,
        Field(
            description=(
                "The instant question titles and statuses are read at: publishedAt, or now for "
                "a draft."
            )
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


class OwnerGroupRefChange(TypedDict):
    old: GroupRef | None
    new: GroupRef | None


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
    ownerGroup: Annotated[
        OwnerGroupRefChange, Field(description="The owner groups of `ownerGroupId`, named.")
    ]
    note: NoteChange


class StatusChange(TypedDict):
    questionId: uuid.UUID
    question: Annotated[
        QuestionRef, Field(description="The question, named by the same title as `title`.")
    ]
    title: Annotated[
        str,
        Field(
            description=(
                "The title at the moment of the revision the item is shown from (`to` when the "
                "question is on it, else `from`)."
            )
        ),
    ]
    old: Annotated[QuestionStatus, Field(description="The status at the `from` revision's moment.")]
    new: Annotated[QuestionStatus, Field(description="The status at this revision's moment.")]


# `from` is a keyword, so this shape is spelled as a call rather than a class.
RevisionDiff = TypedDict(
    "RevisionDiff",
    {
        "from": RevisionMoment,
        "to": RevisionMoment,
        "added": Annotated[
            list[AgendaItemRead],
            Field(
                description=(
                    "Items of `to` whose question `from` lacks (questions as at `to`'s moment)."
                )
            ),
        ],
        "removed": Annotated[
            list[AgendaItemRead],
            Field(
                description=(
                    "Items of `from` whose question `to` lacks (as they were in `from`, "
                    "questions as at `from`'s moment)."
                )
            ),
        ],
        "changed": Annotated[
            list[ChangedItem],
            Field(
                description=(
                    "Questions on both, with a field that differs (questions as at `to`'s moment)."
                )
            ),
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
    publishedAt: Annotated[
        datetime,
        Field(description="The revision's publication: the moment `title` and `status` show."),
    ]
    present: Annotated[bool, Field(description="Whether the question was on this revision.")]
    title: Annotated[
        str | None,
        Field(description="The question's title at the publication (null: it did not exist yet)."),
    ]
    status: Annotated[
        QuestionStatus | None,
        Field(description="The question's status at the publication (null: it did not exist yet)."),
    ]
    supportCount: Annotated[
        int, Field(description="How many members supported the question at the publication.")
    ]
    rank: int | None
    priority: Priority | None
    ownerGroupId: uuid.UUID | None
    ownerGroup: GroupRef | None
    note: str | None


class QuestionAgendaHistory(TypedDict):
    questionId: uuid.UUID
    question: Annotated[QuestionRef, Field(description="The question, with its title now.")]
    items: Annotated[
        list[AgendaHistoryEntry], Field(description="Every published revision, in order.")
    ]
