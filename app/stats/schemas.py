"""Response schemas of the community statistics."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from app.core.schemas import ApiModel
from app.learning_groups.models import GroupMode
from app.members.models import TransitionRole


class RoleCounts(ApiModel):
    verbinder: int
    coalitiebouwer: int
    gebiedsmakelaar: int


class MemberCounts(ApiModel):
    participants: int = Field(description="Active participants (deelnemers).")
    followers: int = Field(description="Active followers (volgers).")
    total: int
    without_department: int = Field(
        description="Members of no department, such as facilitators of a partner."
    )
    transition_roles: RoleCounts = Field(description="Members declaring each transition role.")


class MonthCounts(ApiModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="The month, `YYYY-MM` (UTC).")
    joined: int = Field(description="Members who joined in this month.")
    left: int = Field(description="Members deactivated in this month.")
    participants: int = Field(description="Participants at the end of the month.")
    followers: int = Field(description="Followers at the end of the month.")
    total: int = Field(description="Members at the end of the month.")


class DepartmentCounts(ApiModel):
    id: uuid.UUID
    code: str
    name: str
    active: bool
    participants: int
    followers: int
    total: int
    transition_roles: RoleCounts


class Coverage(ApiModel):
    active_departments: int = Field(description="Departments that are not archived.")
    taking_part: int = Field(description="Active departments with at least one active member.")
    share: float = Field(ge=0, le=1, description="takingPart / activeDepartments.")
    taking_part_ids: list[uuid.UUID]
    not_taking_part_ids: list[uuid.UUID]


class ThemeModeCount(ApiModel):
    theme_id: uuid.UUID
    theme_name: str
    transition_role: TransitionRole
    mode: GroupMode
    count: int


class GroupCounts(ApiModel):
    total: int
    by_theme_and_mode: list[ThemeModeCount]


class QuestionCounts(ApiModel):
    total: int
    by_status: dict[str, int]


class InsightCounts(ApiModel):
    total: int
    by_adoption: dict[str, int]


class CommunityStats(ApiModel):
    as_of: datetime
    members: MemberCounts
    growth: list[MonthCounts] = Field(
        description="Per month, from the first join to `asOf`: the community at its end."
    )
    departments: list[DepartmentCounts]
    coverage: Coverage
    groups: GroupCounts
    questions: QuestionCounts
    insights: InsightCounts
