"""Response schemas of the community statistics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from app.departments.schemas import DepartmentRef
from app.learning_groups.models import GroupMode
from app.members.models import TransitionRole
from app.themes.schemas import ThemeRef


# One count per transition role, named by the role's value.
class RoleCounts(TypedDict):
    verbinder: int
    coalitiebouwer: int
    gebiedsmakelaar: int


class MemberCounts(TypedDict):
    participants: Annotated[int, Field(description="Active participants (deelnemers).")]
    followers: Annotated[int, Field(description="Active followers (volgers).")]
    total: int
    withoutDepartment: Annotated[
        int, Field(description="Members of no department, such as facilitators of a partner.")
    ]
    transitionRoles: Annotated[
        RoleCounts, Field(description="Members declaring each transition role.")
    ]


class MonthCounts(TypedDict):
    month: Annotated[
        str, Field(pattern=r"^\d{4}-\d{2}$", description="The month, `YYYY-MM` (UTC).")
    ]
    joined: Annotated[int, Field(description="Members who joined in this month.")]
    left: Annotated[int, Field(description="Members deactivated in this month.")]
    participants: Annotated[int, Field(description="Participants at the end of the month.")]
    followers: Annotated[int, Field(description="Followers at the end of the month.")]
    total: Annotated[int, Field(description="Members at the end of the month.")]


class DepartmentCounts(TypedDict):
    id: uuid.UUID
    code: str
    name: str
    active: bool
    participants: int
    followers: int
    total: int
    transitionRoles: RoleCounts


class Coverage(TypedDict):
    activeDepartments: Annotated[int, Field(description="Departments that are not archived.")]
    takingPart: Annotated[
        int, Field(description="Active departments with at least one active member.")
    ]
    share: Annotated[float, Field(ge=0, le=1, description="takingPart / activeDepartments.")]
    takingPartIds: list[uuid.UUID]
    takingPartDepartments: Annotated[
        list[DepartmentRef],
        Field(
            description="The departments of `takingPartIds`, named (not `takingPart`: that is "
            "their number)."
        ),
    ]
    notTakingPartIds: list[uuid.UUID]
    notTakingPartDepartments: Annotated[
        list[DepartmentRef], Field(description="The departments of `notTakingPartIds`, named.")
    ]


class ThemeModeCount(TypedDict):
    themeId: uuid.UUID
    theme: ThemeRef
    themeName: str
    transitionRole: TransitionRole
    mode: GroupMode
    count: int


class GroupCounts(TypedDict):
    total: int
    byThemeAndMode: list[ThemeModeCount]


class QuestionCounts(TypedDict):
    total: int
    byStatus: dict[str, int]


class InsightCounts(TypedDict):
    total: int
    byAdoption: dict[str, int]


# The community's numbers, as app/stats/service.py assembles them from the aggregates.
class CommunityStats(TypedDict):
    asOf: datetime
    members: MemberCounts
    growth: Annotated[
        list[MonthCounts],
        Field(description="Per month, from the first join to `asOf`: the community at its end."),
    ]
    departments: list[DepartmentCounts]
    coverage: Coverage
    groups: GroupCounts
    questions: QuestionCounts
    insights: InsightCounts
