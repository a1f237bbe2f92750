"""Assembling the community statistics from the database's aggregates (small result sets: one
row per month, department, theme or status, never one per member)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.context import Principal
from app.core.models import utcnow
from app.core.permissions import Role, ensure_role
from app.departments.schemas import DepartmentRef
from app.insights.models import Adoption
from app.learning_groups.models import GroupMode
from app.learning_questions.models import QuestionStatus
from app.members.models import Participation, TransitionRole
from app.stats import repository
from app.stats.schemas import (
    CommunityStats,
    Coverage,
    DepartmentCounts,
    GroupCounts,
    MonthCounts,
    RoleCounts,
    ThemeModeCount,
)

READERS = frozenset(
    {Role.ADMIN.value, Role.FACILITATOR.value, Role.MEMBER.value, Role.READER.value}
)


def _role_counts(counts: Mapping[str, int] | None = None) -> RoleCounts:
    counts = counts or {}
    return {
        "verbinder": counts.get(TransitionRole.VERBINDER.value, 0),
        "coalitiebouwer": counts.get(TransitionRole.COALITIEBOUWER.value, 0),
        "gebiedsmakelaar": counts.get(TransitionRole.GEBIEDSMAKELAAR.value, 0),
    }


def _months(first: str, last: str) -> list[str]:
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _growth(events: list[Any], as_of: datetime) -> list[MonthCounts]:
    if not events:
        return []
    change: dict[tuple[str, str], int] = defaultdict(int)
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for row in events:
        sign = 1 if row.event == "joined" else -1
        change[(row.month, str(row.participation))] += sign * row.n
        moves[(row.month, row.event)] += row.n
    current = {p.value: 0 for p in Participation}
    growth: list[MonthCounts] = []
    for month in _months(min(row.month for row in events), f"{as_of:%Y-%m}"):
        for participation in current:
            current[participation] += change.get((month, participation), 0)
        participants = current[Participation.PARTICIPANT.value]
        followers = current[Participation.FOLLOWER.value]
        growth.append(
            {
                "month": month,
                "joined": moves.get((month, "joined"), 0),
                "left": moves.get((month, "left"), 0),
                "participants": participants,
                "followers": followers,
                "total": participants + followers,
            }
        )
    return growth


def _departments(
    rows: list[Any], roles: dict[uuid.UUID | None, dict[str, int]]
) -> tuple[list[DepartmentCounts], Coverage]:
    departments: list[DepartmentCounts] = [
        {
            "id": row.id,
            "code": row.code,
            "name": row.name,
            "active": row.active,
            "participants": int(row.participants),
            "followers": int(row.followers),
            "total": int(row.participants) + int(row.followers),
            "transitionRoles": _role_counts(roles.get(row.id)),
        }
        for row in rows
    ]
    active = [dep for dep in departments if dep["active"]]
    taking_part: list[DepartmentRef] = [
        {"id": dep["id"], "code": dep["code"], "name": dep["name"]}
        for dep in active
        if dep["total"] > 0
    ]
    not_taking_part: list[DepartmentRef] = [
        {"id": dep["id"], "code": dep["code"], "name": dep["name"]}
        for dep in active
        if dep["total"] == 0
    ]
    coverage: Coverage = {
        "activeDepartments": len(active),
        "takingPart": len(taking_part),
        "share": round(len(taking_part) / len(active), 4) if active else 0.0,
        "takingPartIds": [dep["id"] for dep in taking_part],
        "takingPartDepartments": taking_part,
        "notTakingPartIds": [dep["id"] for dep in not_taking_part],
        "notTakingPartDepartments": not_taking_part,
    }
    return departments, coverage


def _groups(rows: list[Any]) -> GroupCounts:
    counts: dict[tuple[uuid.UUID, str], int] = {}
    themes: dict[uuid.UUID, Any] = {}
    for row in rows:
        themes.setdefault(row.id, row)
        if row.mode is not None:
            counts[(row.id, str(row.mode))] = row.n
    by_theme_and_mode: list[ThemeModeCount] = [
        {
            "themeId": theme.id,
            "theme": {"id": theme.id, "name": theme.name, "transitionRole": theme.transition_role},
            "themeName": theme.name,
            "transitionRole": theme.transition_role,
            "mode": mode,
            "count": counts.get((theme.id, mode.value), 0),
        }
        for theme in themes.values()
        for mode in GroupMode
    ]
    return {"total": sum(counts.values()), "byThemeAndMode": by_theme_and_mode}


def _tally(rows: list[Any], key: str, values: list[str]) -> tuple[int, dict[str, int]]:
    """The total of all rows, and the count of each of `values`."""
    found = {str(getattr(row, key)): int(row.n) for row in rows}
    return sum(found.values()), {v: found.get(v, 0) for v in values}


async def community_stats(
    conn: AsyncConnection, principal: Principal, as_of: datetime | None
) -> CommunityStats:
    ensure_role(principal, READERS, "read community statistics")
    as_of = as_of.astimezone(UTC) if as_of is not None else None
    moment = as_of or utcnow()
    member_rows = await repository.member_counts(conn, moment)
    events = await repository.membership_events(conn, moment)
    department_rows = await repository.department_counts(conn, moment)
    role_rows = await repository.transition_role_counts(conn, moment)
    group_rows = await repository.group_counts(conn, moment)
    question_rows = await repository.question_counts(conn, as_of)
    insight_rows = await repository.insight_counts(conn, moment)

    roles: dict[uuid.UUID | None, dict[str, int]] = defaultdict(dict)
    role_totals: dict[str, int] = defaultdict(int)
    for row in role_rows:
        roles[row.department_id][row.role] = int(row.n)
        role_totals[row.role] += int(row.n)
    by_participation: dict[str, int] = defaultdict(int)
    without_department = 0
    for row in member_rows:
        by_participation[str(row.participation)] += int(row.n)
        if not row.has_department:
            without_department += int(row.n)
    participants = by_participation[Participation.PARTICIPANT.value]
    followers = by_participation[Participation.FOLLOWER.value]
    departments, coverage = _departments(department_rows, roles)
    question_total, by_status = _tally(question_rows, "status", [s.value for s in QuestionStatus])
    insight_total, by_adoption = _tally(insight_rows, "adoption", [a.value for a in Adoption])
    return {
        "asOf": moment,
        "members": {
            "participants": participants,
            "followers": followers,
            "total": participants + followers,
            "withoutDepartment": without_department,
            "transitionRoles": _role_counts(role_totals),
        },
        "growth": _growth(events, moment),
        "departments": departments,
        "coverage": coverage,
        "groups": _groups(group_rows),
        "questions": {"total": question_total, "byStatus": by_status},
        "insights": {"total": insight_total, "byAdoption": by_adoption},
    }
