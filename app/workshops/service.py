"""Rules about workshops: a coherent time span, who attended (once per member), members who sign
up and withdraw themselves (only ahead, never for a cancelled or full one), and the calendar
feeds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.core.context import Principal
from app.core.errors import Conflict, Forbidden, InvalidInput, InvalidParam, NotFound
from app.core.http import check_version
from app.core.models import table_of, utcnow
from app.core.pagination import PageRequest
from app.core.permissions import Role, ensure_admin, ensure_role
from app.core.repository import list_page, require_references
from app.members.departure import Cause, ends_on_departure
from app.members.models import Member
from app.notifications import service as notifications
from app.notifications.models import NotificationKind
from app.workshops import calendar, repository
from app.workshops.models import WorkshopStatus
from app.workshops.schemas import (
    AttendeeCreate,
    AttendeeRead,
    WorkshopCreate,
    WorkshopRead,
    WorkshopUpdate,
)

OBJECT = feed.resource("workshop", repository.table, path="/workshops/{id}", readers=feed.COMMUNITY)
SORTING = repository.SORTING
ATTENDEE_SORTING = repository.ATTENDEE_SORTING


async def list_workshops(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    *,
    starts_after: datetime | None,
    starts_before: datetime | None,
    attended_by: uuid.UUID | None,
    q: str | None,
) -> Response:
    """One page of workshops, answered as the list route answers it."""
    query = repository.list_query(
        starts_after=starts_after, starts_before=starts_before, attended_by=attended_by, q=q
    )
    return await list_page(conn, request, query, page, SORTING, repository.to_item)


async def get_workshop(conn: AsyncConnection, workshop_id: uuid.UUID) -> WorkshopRead:
    return await repository.get(conn, workshop_id)


def _ensure_span(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at < starts_at:
        raise InvalidInput(
            [InvalidParam("endsAt", "A workshop cannot end before it starts.", code="range")]
        )


async def create_workshop(
    conn: AsyncConnection,
    principal: Principal,
    data: WorkshopCreate,
) -> WorkshopRead:
    ensure_admin(principal, "plan workshops")
    _ensure_span(data.starts_at, data.ends_at)
    workshop_id = await repository.create(
        conn,
        {
            "title": data.title,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "location": data.location,
            "summary": data.summary,
            "capacity": data.capacity,
        },
    )
    await trail.record(conn, "workshops-create", OBJECT, workshop_id)
    return await repository.get(conn, workshop_id)


async def update_workshop(
    conn: AsyncConnection,
    principal: Principal,
    workshop_id: uuid.UUID,
    patch: WorkshopUpdate,
    expected_version: int | None,
) -> WorkshopRead:
    ensure_admin(principal, "change workshops")
    current = await repository.get(conn, workshop_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    _ensure_span(
        changes.get("starts_at", current["startsAt"]), changes.get("ends_at", current["endsAt"])
    )
    if changes:
        await repository.update(conn, workshop_id, current["version"], changes)
        await trail.record(
            conn, "workshops-update", OBJECT, workshop_id, detail={"fields": sorted(changes)}
        )
        await _notify_attendees(conn, principal, current, changes)
    return await repository.get(conn, workshop_id)


async def _notify_attendees(
    conn: AsyncConnection, principal: Principal, current: WorkshopRead, changes: dict[str, Any]
) -> None:
    """Who signed up hears of a cancellation, or of a change (which fields), in one statement."""
    cancelled = (
        changes.get("status") == WorkshopStatus.CANCELLED
        and current["status"] != WorkshopStatus.CANCELLED
    )
    kind = NotificationKind.WORKSHOP_CANCELLED if cancelled else NotificationKind.WORKSHOP_CHANGED
    workshop_id = current["id"]
    await notifications.notify(
        conn,
        kind,
        repository.signed_up(workshop_id, principal.member_id),
        subject_type=OBJECT,
        subject_id=workshop_id,
        href=f"/v1/workshops/{workshop_id}",
        payload={
            "title": changes.get("title", current["title"]),
            "fields": sorted(to_camel(name) for name in changes),
        },
    )


async def _ensure_workshop(conn: AsyncConnection, workshop_id: uuid.UUID) -> None:
    if not await repository.exists(conn, workshop_id):
        raise NotFound("No workshop has that id.")


async def list_attendees(
    conn: AsyncConnection, request: Request, workshop_id: uuid.UUID, page: PageRequest
) -> Response:
    """One page of a workshop's attendees, answered as the list route answers it."""
    await _ensure_workshop(conn, workshop_id)
    return await repository.attendee_page(conn, request, workshop_id, page)


async def get_attendee(
    conn: AsyncConnection, workshop_id: uuid.UUID, member_id: uuid.UUID
) -> AttendeeRead:
    item = await repository.get_attendee(conn, workshop_id, member_id)
    if item is None:
        raise NotFound("That member is not recorded as an attendee of this workshop.")
    return item


async def add_attendee(
    conn: AsyncConnection, principal: Principal, workshop_id: uuid.UUID, data: AttendeeCreate
) -> AttendeeRead:
    ensure_admin(principal, "record who attended a workshop")
    await _ensure_workshop(conn, workshop_id)
    await require_references(conn, {"memberId": (table_of(Member), data.member_id)})
    if await repository.get_attendee(conn, workshop_id, data.member_id) is not None:
        raise Conflict("This member is already recorded as an attendee of this workshop.")
    item = await _record_attendee(conn, workshop_id, data.member_id, data.registered_at or utcnow())
    await trail.record(
        conn,
        "workshop-attendees-create",
        OBJECT,
        workshop_id,
        detail={"memberId": str(data.member_id)},
    )
    return item


async def _record_attendee(
    conn: AsyncConnection, workshop_id: uuid.UUID, member_id: uuid.UUID, registered_at: datetime
) -> AttendeeRead:
    try:
        await repository.add_attendee(conn, workshop_id, member_id, registered_at)
    except IntegrityError:
        # Someone recorded the same attendance between our check and our insert.
        raise Conflict("This member is already recorded as an attendee of this workshop.") from None
    item = await repository.get_attendee(conn, workshop_id, member_id)
    assert item is not None
    return item


async def remove_attendee(
    conn: AsyncConnection, principal: Principal, workshop_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    ensure_admin(principal, "change who attended a workshop")
    await _ensure_workshop(conn, workshop_id)
    if not await repository.remove_attendee(conn, workshop_id, member_id):
        raise NotFound("That member is not recorded as an attendee of this workshop.")
    await trail.record(
        conn,
        "workshop-attendees-delete",
        OBJECT,
        workshop_id,
        detail={"memberId": str(member_id)},
    )


@ends_on_departure("workshop sign-ups")
async def withdraw_departed(
    conn: AsyncConnection, member_ids: Sequence[uuid.UUID], now: datetime, cause: Cause
) -> None:
    """A member who is deactivated or erased is no longer expected at the werkplaatsen still
    ahead: their sign-ups go, as removing an attendee does (the feed shows `attendee-removed`
    on each workshop). Workshops that have begun keep them: that is who attended. Three
    statements however many members."""
    removed = await repository.withdraw_sign_ups_ahead(conn, member_ids, now)
    await trail.record_changes(
        conn,
        "workshop-attendees-delete",
        OBJECT,
        [(workshop_id, "attendee-removed", version) for workshop_id, _, version in removed],
        details=[
            {"memberId": str(member_id), "because": f"member-{cause}"}
            for _, member_id, _ in removed
        ],
    )


# Signing up and withdrawing oneself: any role that contributes, for the member it acts for.
SELF_SERVICE = frozenset({Role.ADMIN.value, Role.FACILITATOR.value, Role.MEMBER.value})


def _own_member(principal: Principal, action: str) -> uuid.UUID:
    ensure_role(principal, SELF_SERVICE, action)
    if principal.member_id is None:
        raise Forbidden(
            f"These credentials act for no member, so they cannot {action}; use an API key "
            "linked to your member (or a token mapped to one). An admin records someone "
            "else's attendance with POST /v1/workshops/{workshopId}/attendees."
        )
    return principal.member_id


async def my_attendance(
    conn: AsyncConnection, principal: Principal, workshop_id: uuid.UUID
) -> AttendeeRead:
    member_id = _own_member(principal, "look up a sign-up of their own")
    await _ensure_workshop(conn, workshop_id)
    item = await repository.get_attendee(conn, workshop_id, member_id)
    if item is None:
        raise NotFound("You have not signed up for this workshop.")
    return item


async def sign_up(
    conn: AsyncConnection, principal: Principal, workshop_id: uuid.UUID
) -> tuple[AttendeeRead, bool]:
    """Sign the caller's member up; (the attendance, whether it is new). Signing up again is
    no change. A workshop that has started, is cancelled or is full is a 409."""
    member_id = _own_member(principal, "sign up for a workshop")
    state = await repository.lock_for_sign_up(conn, workshop_id)
    if state is None:
        raise NotFound("No workshop has that id.")
    current = await repository.get_attendee(conn, workshop_id, member_id)
    if current is not None:
        return current, False
    if state.status == WorkshopStatus.CANCELLED:
        raise Conflict(
            "This workshop is cancelled; nobody can sign up for it.",
            extra={"reason": "cancelled"},
        )
    if state.starts_at <= utcnow():
        raise Conflict(
            "This workshop has already started; sign-ups close when it begins.",
            extra={"reason": "started"},
        )
    if state.capacity is not None and state.attendee_count >= state.capacity:
        raise Conflict(
            f"This workshop is full: all {state.capacity} places are taken. A place opens "
            "when someone withdraws.",
            extra={"reason": "full", "capacity": state.capacity},
        )
    item = await _record_attendee(conn, workshop_id, member_id, utcnow())
    await trail.record(
        conn, "workshop-attendees-sign-up", OBJECT, workshop_id, detail={"memberId": str(member_id)}
    )
    return item, True


async def withdraw(conn: AsyncConnection, principal: Principal, workshop_id: uuid.UUID) -> None:
    """Take the caller's member off a workshop ahead. Not signed up: nothing to do (the end
    state is the same). A workshop that has started keeps its attendance: a 409."""
    member_id = _own_member(principal, "withdraw from a workshop")
    state = await repository.lock_for_sign_up(conn, workshop_id)
    if state is None:
        raise NotFound("No workshop has that id.")
    if await repository.get_attendee(conn, workshop_id, member_id) is None:
        return
    if state.starts_at <= utcnow():
        raise Conflict(
            "This workshop has already started, so its attendance is history; an admin "
            "corrects it with DELETE /v1/workshops/{workshopId}/attendees/{memberId}.",
            extra={"reason": "started"},
        )
    await repository.remove_attendee(conn, workshop_id, member_id)
    await trail.record(
        conn,
        "workshop-attendees-withdraw",
        OBJECT,
        workshop_id,
        detail={"memberId": str(member_id)},
    )


async def calendar_feed(conn: AsyncConnection) -> bytes:
    """Every werkplaats as an iCalendar feed."""
    return calendar.feed(await repository.calendar_rows(conn), name=calendar.ALL_NAME)


async def my_calendar_feed(conn: AsyncConnection, principal: Principal) -> bytes:
    """The werkplaatsen the caller's member signed up for (or attended), as an iCalendar feed."""
    if principal.member_id is None:
        raise NotFound(
            "These credentials act for no member, so there is no personal calendar; the "
            "calendar of every werkplaats is GET /v1/calendars/workshops.ics."
        )
    rows = await repository.calendar_rows(conn, attended_by=principal.member_id)
    return calendar.feed(rows, name=calendar.MINE_NAME)
