"""Request and response schemas of insights."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.cases.schemas import CaseRef
from app.core.schemas import Embedded, InputModel, ListPage, NotNull, PatchModel
from app.insights.models import Adoption
from app.learning_groups.schemas import GroupRef
from app.learning_questions.schemas import QuestionRef
from app.members.schemas import MemberRef

Title = Annotated[str, Field(min_length=1, max_length=300)]
Body = Annotated[str, Field(min_length=1, max_length=20_000)]
DepartmentIds = Annotated[list[uuid.UUID], Field(max_length=200)]

SOURCE_NOTE = "At least one of sourceCaseId, sourceGroupId and sourceQuestionId is required."


class InsightCreate(InputModel):
    title: Title
    body: Body | None = None
    source_case_id: uuid.UUID | None = Field(default=None, description=SOURCE_NOTE)
    source_group_id: uuid.UUID | None = Field(default=None, description=SOURCE_NOTE)
    source_question_id: uuid.UUID | None = Field(default=None, description=SOURCE_NOTE)
    adoption: Adoption = Field(
        default=Adoption.CAPTURED,
        description="Members and facilitators capture insights (`captured`); an admin may "
        "record one at a later stage.",
    )
    adopted_by_department_ids: DepartmentIds = Field(
        default_factory=list, description="Departments that adopted it (admins only)."
    )


class InsightUpdate(PatchModel):
    title: NotNull[Title] = None
    body: Body | None = None
    source_case_id: uuid.UUID | None = None
    source_group_id: uuid.UUID | None = None
    source_question_id: uuid.UUID | None = None
    adoption: NotNull[Adoption] = Field(
        default=None,
        description="Moves one step forward: captured → shared → piloted → embedded.",
    )
    adopted_by_department_ids: NotNull[DepartmentIds] = Field(
        default=None,
        description="The complete set of adopting departments; `[]` clears it. Departments "
        "already in the set keep their adoption date.",
    )


class AdoptingDepartment(Embedded):
    id: uuid.UUID
    code: str
    name: str
    adoptedAt: datetime


# An insight as the API shows it; `repository.to_item` and `with_adopters` build it.
class InsightRead(TypedDict):
    id: uuid.UUID
    title: str
    body: str | None
    sourceCaseId: uuid.UUID | None
    sourceCase: CaseRef | None
    sourceGroupId: uuid.UUID | None
    sourceGroup: GroupRef | None
    sourceQuestionId: uuid.UUID | None
    sourceQuestion: QuestionRef | None
    createdByMemberId: uuid.UUID | None
    createdBy: MemberRef | None
    adoption: Adoption
    allowedTransitions: Annotated[
        list[Adoption],
        Field(
            description="The adoption stage the caller may move this insight to next (only an admin "
            "advances adoption: empty for anyone else)."
        ),
    ]
    adoptedByDepartmentIds: list[uuid.UUID]
    adoptedByDepartments: list[AdoptingDepartment]
    version: int
    createdAt: datetime
    updatedAt: datetime


class InsightPage(ListPage):
    items: list[InsightRead]
