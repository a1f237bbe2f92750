"""Rules about learning groups: the lifecycle (and merging), who manages which group, and
memberships that end instead of disappearing."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.core.context import Principal
from app.core.errors import Conflict, Forbidden, InvalidInput, InvalidParam, NotFound
from app.core.http import check_version
from app.core.lifecycle import ensure_editable, ensure_transition
from app.core.models import table_of, utcnow
from app.core.pagination import PageRequest
from app.core.permissions import ensure_admin
from app.core.repository import list_page, require_references
from app.learning_groups import repository
from app.learning_groups.lifecycle import FROZEN, OPEN_TO_MEMBERS, TRANSITIONS
from app.learning_groups.models import GroupMode, GroupStatus, LearningGroup, MembershipRole
from app.learning_groups.schemas import (
    GroupCreate,
    GroupDetail,
    GroupRead,
    GroupUpdate,
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
)
from app.members.departure import Cause, ends_on_departure
from app.members.models import Member, MemberStatus
from app.members.repository import get as get_member
from app.notifications import service as notifications
from app.notifications.models import NotificationKind
from app.organisations.models import Organisation
from app.themes.models import Theme
from app.workshops.models import Workshop

OBJECT = feed.resource(
    "learning-group", repository.table, path="/learning-groups/{id}", readers=feed.COMMUNITY
)
MEMBERSHIP = feed.resource(
    "group-membership",
    repository.memberships,
    path="/learning-groups/{groupId}/memberships/{id}",
    readers=feed.COMMUNITY,
)
KIND = "learning group"
SORTING = repository.SORTING
MEMBERSHIP_SORTING = repository.MEMBERSHIP_SORTING


async def list_groups(
    conn: AsyncConnection,
    request: Request,
    principal: Principal,
    page: PageRequest,
    *,
    theme_id: uuid.UUID | None,
    mode: Sequence[str] | None,
    status: Sequence[str] | None,
    member_id: uuid.UUID | None,
    facilitator_organisation_id: uuid.UUID | None,
    formed_at_workshop_id: uuid.UUID | None,
    q: str | None,
) -> Response:
    """One page of learning groups, answered as the list route answers it."""
    query = repository.list_query(
        theme_id=theme_id,
        mode=mode,
        status=status,
        member_id=member_id,
        facilitator_organisation_id=facilitator_organisation_id,
        formed_at_workshop_id=formed_at_workshop_id,
        q=q,
    )

    async def offered(conn: AsyncConnection, items: list[GroupRead]) -> None:
        await for_caller(conn, principal, items)

    return await list_page(conn, request, query, page, SORTING, repository.to_item, offered)


async def get_group(principal: Principal, group_id: uuid.UUID) -> GroupDetail:
    """The group with its current members, read on the hot path (app/core/fastread.py)."""
    return detail_for_caller(await repository.read_detail(group_id), principal)


async def list_memberships(
    conn: AsyncConnection,
    request: Request,
    group_id: uuid.UUID,
    page: PageRequest,
    *,
    current: bool | None,
    member_id: uuid.UUID | None,
    role: str | None,
) -> Response:
    """One page of a group's memberships, past ones included, answered as the list route
    answers it."""
    if await repository.status_of(conn, group_id) is None:
        raise NotFound("No learning group has that id.")
    query = repository.membership_query(group_id, current=current, member_id=member_id, role=role)
    return await list_page(
        conn, request, query, page, MEMBERSHIP_SORTING, repository.membership_item
    )


async def get_membership(
    conn: AsyncConnection, group_id: uuid.UUID, membership_id: uuid.UUID
) -> MembershipRead:
    return await repository.get_membership(conn, group_id, membership_id)


async def manages_group(conn: AsyncConnection, principal: Principal, group_id: uuid.UUID) -> bool:
    """Admins manage every group; a facilitator the groups they currently facilitate."""
    if principal.is_admin:
        return True
    if principal.role != "facilitator" or principal.member_id is None:
        return False
    return await repository.facilitates(conn, principal.member_id, group_id)


async def facilitated_by(conn: AsyncConnection, principal: Principal) -> frozenset[uuid.UUID]:
    """The groups the caller facilitates now, as `manages_group` counts them: none unless a
    facilitator acting for a member (then one statement)."""
    if principal.role != "facilitator" or principal.member_id is None:
        return frozenset()
    return await repository.facilitated_groups(conn, principal.member_id)


def _offered(item: GroupRead, principal: Principal, facilitated: Collection[uuid.UUID]) -> None:
    """`allowedTransitions` as the caller may take them: the lifecycle's for an admin and
    the group's facilitators, none for anyone else (their PATCH would be a 403)."""
    if not principal.is_admin and item["id"] not in facilitated:
        item["allowedTransitions"] = []


async def for_caller(
    conn: AsyncConnection, principal: Principal, items: list[GroupRead]
) -> list[GroupRead]:
    """Narrow each group's `allowedTransitions` to what the caller may do (at most one
    statement for the page, none for an admin)."""
    if principal.is_admin:
        return items
    facilitated = await facilitated_by(conn, principal) if items else frozenset()
    for item in items:
        _offered(item, principal, facilitated)
    return items


def detail_for_caller(detail: GroupDetail, principal: Principal) -> GroupDetail:
    """The same for a group read with its members: whether the caller facilitates it is in
    them, so no statement more."""
    facilitated: set[uuid.UUID] = set()
    if principal.role == "facilitator" and principal.member_id is not None:
        facilitated = {
            detail["id"]
            for member in detail["members"]
            if member["memberId"] == principal.member_id
            and member["role"] == MembershipRole.FACILITATOR
        }
    _offered(detail, principal, facilitated)
    return detail


async def ensure_manages_group(
    conn: AsyncConnection, principal: Principal, group_id: uuid.UUID, action: str
) -> None:
    if not await manages_group(conn, principal, group_id):
        raise Forbidden(f"Only an admin or a facilitator of this learning group may {action}.")


def _check_facilitation(mode: str, organisation_id: uuid.UUID | None) -> None:
    if mode == GroupMode.SELF_DIRECTED and organisation_id is not None:
        raise InvalidInput(
            [
                InvalidParam(
                    "facilitatorOrganisationId",
                    "A self-directed group has no facilitator organisation; set it to null "
                    "or make the group facilitated.",
                    code="inconsistent",
                )
            ]
        )


async def create_group(
    conn: AsyncConnection,
    principal: Principal,
    data: GroupCreate,
) -> GroupDetail:
    ensure_admin(principal, "create learning groups")
    await require_references(
        conn,
        {
            "themeId": (table_of(Theme), data.theme_id),
            "facilitatorOrganisationId": (
                table_of(Organisation),
                data.facilitator_organisation_id,
            ),
            "formedAtWorkshopId": (table_of(Workshop), data.formed_at_workshop_id),
        },
    )
    _check_facilitation(data.mode, data.facilitator_organisation_id)
    values: dict[str, Any] = {
        "name": data.name,
        "description": data.description,
        "theme_id": data.theme_id,
        "mode": data.mode,
        "facilitator_organisation_id": data.facilitator_organisation_id,
        "formed_at_workshop_id": data.formed_at_workshop_id,
        "status": GroupStatus.FORMING,
    }
    group_id = await repository.create(conn, values)
    await trail.record(conn, "learning-groups-create", OBJECT, group_id)
    return await repository.get_detail(conn, group_id)


async def _check_merge(
    conn: AsyncConnection,
    group_id: uuid.UUID,
    current: GroupRead,
    changes: dict[str, Any],
) -> None:
    """A group merges into another group that still carries on, and only when it merges."""
    new_status = changes.get("status", current["status"])
    target = changes.get("merged_into_id")
    if new_status != GroupStatus.MERGED:
        if target is not None:
            raise InvalidInput(
                [
                    InvalidParam(
                        "mergedIntoId",
                        "Set mergedIntoId only together with status 'merged'.",
                        code="inconsistent",
                    )
                ]
            )
        changes.pop("merged_into_id", None)
        return
    if target is None:
        raise InvalidInput(
            [
                InvalidParam(
                    "mergedIntoId",
                    "A group that merges needs the id of the group it merges into.",
                    code="required",
                )
            ]
        )
    await require_references(conn, {"mergedIntoId": (table_of(LearningGroup), target)})
    if target == group_id:
        raise Conflict("A learning group cannot be merged into itself.")
    if await repository.status_of(conn, target) == GroupStatus.MERGED:
        raise Conflict(
            "The target group was itself merged; merge into the group it carries on in.",
            extra={"mergedIntoId": str(target)},
        )


async def update_group(
    conn: AsyncConnection,
    principal: Principal,
    group_id: uuid.UUID,
    patch: GroupUpdate,
    expected_version: int | None,
) -> GroupDetail:
    current = await repository.get(conn, group_id)
    await ensure_manages_group(conn, principal, group_id, "change it")
    check_version(current["version"], expected_version)
    ensure_editable(KIND, current["status"], FROZEN)
    changes = patch.changes()
    if "status" in changes:
        ensure_transition(KIND, TRANSITIONS, current["status"], changes["status"])
    await require_references(
        conn,
        {
            "themeId": (table_of(Theme), changes.get("theme_id")),
            "facilitatorOrganisationId": (
                table_of(Organisation),
                changes.get("facilitator_organisation_id"),
            ),
            "formedAtWorkshopId": (table_of(Workshop), changes.get("formed_at_workshop_id")),
        },
    )
    _check_facilitation(
        changes.get("mode", current["mode"]),
        changes.get("facilitator_organisation_id", current["facilitatorOrganisationId"]),
    )
    await _check_merge(conn, group_id, current, changes)
    if changes:
        await repository.update(conn, group_id, current["version"], changes)
        detail: dict[str, Any] = {"fields": sorted(changes)}
        if "status" in changes and changes["status"] != current["status"]:
            detail["fromStatus"] = str(current["status"])
            detail["toStatus"] = str(changes["status"])
        await trail.record(conn, "learning-groups-update", OBJECT, group_id, detail=detail)
        if (
            changes.get("status") == GroupStatus.CONCLUDED
            and current["status"] != GroupStatus.CONCLUDED
        ):
            await notifications.notify(
                conn,
                NotificationKind.GROUP_CONCLUDED,
                repository.members_now(group_id, principal.member_id),
                subject_type=OBJECT,
                subject_id=group_id,
                href=f"/v1/learning-groups/{group_id}",
                payload={"name": changes.get("name", current["name"])},
            )
    return await repository.get_detail(conn, group_id)


async def _notify_member(
    conn: AsyncConnection,
    principal: Principal,
    kind: NotificationKind,
    group: GroupRead,
    member_id: uuid.UUID,
    payload: dict[str, Any],
) -> None:
    """Tell a member someone else added them to a group or removed them from it."""
    if principal.member_id == member_id:
        return
    await notifications.notify(
        conn,
        kind,
        repository.the_member(member_id),
        subject_type=OBJECT,
        subject_id=group["id"],
        href=f"/v1/learning-groups/{group['id']}",
        payload={"name": group["name"], **payload},
    )


# Memberships


def _not_in_future(name: str, moment: datetime, now: datetime) -> None:
    if moment > now:
        raise InvalidInput([InvalidParam(name, "May not lie in the future.", code="range")])


async def join_group(
    conn: AsyncConnection,
    principal: Principal,
    group_id: uuid.UUID,
    data: MembershipCreate,
) -> MembershipRead:
    group = await repository.get(conn, group_id)
    manager = await manages_group(conn, principal, group_id)
    if not manager:
        # Anyone else with a member profile joins only themself, as a plain member, and only
        # while the group is forming or active.
        if principal.member_id is None or principal.member_id != data.member_id:
            raise Forbidden(
                "Only an admin or a facilitator of this learning group may add someone else."
            )
        if data.role != MembershipRole.MEMBER:
            raise Forbidden(
                f"Only an admin or a facilitator of this learning group may assign the role "
                f"'{data.role}'; join with role 'member'."
            )
        if group["status"] not in OPEN_TO_MEMBERS:
            raise Conflict(
                f"The group is '{group['status']}'; members join only groups that are "
                "forming or active.",
                extra={"currentStatus": str(group["status"])},
            )
    ensure_editable(KIND, group["status"], FROZEN)
    await require_references(conn, {"memberId": (table_of(Member), data.member_id)})
    member = await get_member(conn, data.member_id)
    if member["status"] != MemberStatus.ACTIVE:
        raise Conflict("An inactive member cannot join a learning group.")
    now = utcnow()
    joined_at = data.joined_at or now
    _not_in_future("joinedAt", joined_at, now)
    existing = await repository.current_membership_id(conn, group_id, data.member_id)
    if existing is not None:
        raise Conflict(
            "This member is already in the group.", extra={"membershipId": str(existing)}
        )
    try:
        membership_id = await repository.create_membership(
            conn,
            {
                "group_id": group_id,
                "member_id": data.member_id,
                "role": data.role,
                "joined_at": joined_at,
            },
        )
    except IntegrityError:
        # uq_group_memberships_current: a concurrent join of the same member won the race.
        raise Conflict("This member is already in the group.") from None
    await trail.record(
        conn,
        "learning-group-memberships-create",
        MEMBERSHIP,
        membership_id,
        detail={"groupId": str(group_id), "memberId": str(data.member_id), "role": data.role},
    )
    await _notify_member(
        conn,
        principal,
        NotificationKind.MEMBERSHIP_ADDED,
        group,
        data.member_id,
        {"role": str(data.role)},
    )
    return await repository.get_membership(conn, group_id, membership_id)


async def _authorise_membership_change(
    conn: AsyncConnection,
    principal: Principal,
    group: GroupRead,
    membership: MembershipRead,
    changes: dict[str, Any],
) -> None:
    if await manages_group(conn, principal, group["id"]):
        return
    if principal.member_id is None or principal.member_id != membership["memberId"]:
        raise Forbidden(
            "Only an admin or a facilitator of this learning group may change someone "
            "else's membership."
        )
    if "role" in changes:
        raise Forbidden("Only an admin or a facilitator of this learning group may change a role.")
    if group["status"] not in OPEN_TO_MEMBERS:
        raise Conflict(
            f"The group is '{group['status']}'; members leave on their own only groups that "
            "are forming or active.",
            extra={"currentStatus": str(group["status"])},
        )


async def change_membership(
    conn: AsyncConnection,
    principal: Principal,
    group_id: uuid.UUID,
    membership_id: uuid.UUID,
    patch: MembershipUpdate,
) -> MembershipRead:
    """Leave (leftAt) or change the role; an ended membership stays as history, unchanged."""
    group = await repository.get(conn, group_id)
    membership = await repository.get_membership(conn, group_id, membership_id)
    changes = patch.changes()
    await _authorise_membership_change(conn, principal, group, membership, changes)
    ensure_editable(KIND, group["status"], FROZEN)
    if not membership["current"]:
        raise Conflict("This membership has ended and is kept as history; to return, join again.")
    if "left_at" in changes:
        left_at = changes["left_at"]
        now = utcnow()
        _not_in_future("leftAt", left_at, now)
        if left_at < membership["joinedAt"]:
            raise InvalidInput(
                [InvalidParam("leftAt", "A membership cannot end before it began.", code="range")]
            )
    if changes:
        if not await repository.update_membership(conn, membership_id, changes):
            raise Conflict("This membership ended meanwhile; fetch it again.")
        action = (
            "learning-group-memberships-end"
            if "left_at" in changes
            else "learning-group-memberships-update"
        )
        await trail.record(
            conn,
            action,
            MEMBERSHIP,
            membership_id,
            detail={"groupId": str(group_id), "fields": sorted(changes)},
        )
        if "left_at" in changes:
            await _notify_member(
                conn,
                principal,
                NotificationKind.MEMBERSHIP_REMOVED,
                group,
                membership["memberId"],
                {},
            )
    return await repository.get_membership(conn, group_id, membership_id)


async def leave_group(
    conn: AsyncConnection,
    principal: Principal,
    group_id: uuid.UUID,
    membership_id: uuid.UUID,
) -> MembershipRead:
    """Ending a membership now; the row stays, with leftAt set. Ending it again changes
    nothing and answers the ended membership (DELETE is idempotent)."""
    group = await repository.get(conn, group_id)
    membership = await repository.get_membership(conn, group_id, membership_id)
    if not membership["current"]:
        await _authorise_membership_change(conn, principal, group, membership, {"left_at": None})
        return membership
    patch = MembershipUpdate.model_validate({"leftAt": utcnow()})
    return await change_membership(conn, principal, group_id, membership_id, patch)


@ends_on_departure("group memberships")
async def end_memberships_of_departed(
    conn: AsyncConnection, member_ids: Sequence[uuid.UUID], now: datetime, cause: Cause
) -> None:
    """A member who is deactivated or erased leaves every group they are in now (merged groups
    excepted: they change no more), as leaving does: the memberships stay as history, with
    leftAt set, and the feed shows each one `ended`. Two statements however many members."""
    ended = await repository.end_memberships_of(conn, member_ids, now)
    await trail.record_changes(
        conn,
        "learning-group-memberships-end",
        MEMBERSHIP,
        [(membership_id, "ended", None) for membership_id, _, _ in ended],
        details=[
            {
                "groupId": str(group_id),
                "memberId": str(member_id),
                "fields": ["left_at"],
                "because": f"member-{cause}",
            }
            for _, group_id, member_id in ended
        ],
    )
