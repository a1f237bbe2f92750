"""Notifications: `notify` is what a domain's service calls in the transaction of the write that
causes one, with a query naming the recipients; the fan-out is a single statement however many
they are, and respects each recipient's settings inside it. The rest is the caller's own inbox
and settings (`/v1/me/notifications`, `/v1/me/notification-settings`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import trail
from app.core.context import Principal
from app.core.errors import InvalidInput, InvalidParam, NotFound
from app.core.models import utcnow
from app.core.pagination import PageRequest
from app.core.permissions import own_member
from app.core.repository import hot_list_page
from app.notifications import repository
from app.notifications.models import NotificationKind
from app.notifications.schemas import (
    NotificationSettings,
    NotificationSettingsInput,
    ReadMark,
    ReadMarked,
)

SORTING = repository.SORTING
# Marking read and the settings are audited under the member's id, but change no resource of
# the change feed (a member's own inbox is nobody else's business): a type the feed lacks.
NOT_IN_THE_FEED = "member-notifications"


async def notify(
    conn: AsyncConnection,
    kind: NotificationKind,
    recipients: Select[Any],
    *,
    subject_type: str,
    subject_id: object,
    href: str,
    payload: dict[str, Any],
) -> int:
    """Notify every member the `recipients` query names (its first column: member ids), in
    the caller's transaction and in one statement; answers how many were notified."""
    return await repository.fan_out(
        conn, kind.value, recipients, (subject_type, str(subject_id), href), payload, utcnow()
    )


async def notify_each(
    conn: AsyncConnection,
    kind: NotificationKind,
    rows: Select[Any],
    *,
    subject_type: str,
    href_prefix: str,
    fixed: dict[str, int | str],
) -> int:
    """Notify about many resources at once, in one statement: one notification for every
    distinct (member, resource) pair the `rows` query names. Its columns: the member's id, the
    resource's UUID (its href is `href_prefix` and that id), then what the detail shows, each
    under its label, beside the `fixed` entries. Answers how many were notified."""
    return await repository.fan_out_each(
        conn, kind.value, rows, (subject_type, href_prefix), fixed, utcnow()
    )


async def list_inbox(
    request: Request, principal: Principal, page: PageRequest, *, unread: bool | None
) -> Response:
    """One page of the caller's inbox, newest first unless asked otherwise; read on the hot
    path (one statement, whatever the page's size)."""
    statement, params = repository.inbox_query(own_member(principal), unread=unread)
    return await hot_list_page(request, statement, params, page, SORTING, repository.to_item)


async def unread_count(conn: AsyncConnection, member_id: uuid.UUID) -> int:
    return await repository.unread_count(conn, member_id)


async def mark_read(conn: AsyncConnection, principal: Principal, data: ReadMark) -> ReadMarked:
    """Up to one of the caller's notifications, or all of them; a notification of someone
    else is none of theirs (404)."""
    member_id = own_member(principal)
    if (data.up_to is None) == (data.all is not True):
        raise InvalidInput(
            [
                InvalidParam(
                    "upTo",
                    "Give exactly one: `upTo` (a notification id of yours) or `all: true`.",
                    code="required",
                )
            ]
        )
    if data.up_to is not None and not await repository.is_theirs(conn, member_id, data.up_to):
        raise NotFound(f"You have no notification {data.up_to}.")
    marked = await repository.mark_read(conn, member_id, data.up_to, utcnow())
    await trail.record(
        conn,
        "me-notifications-read",
        NOT_IN_THE_FEED,
        member_id,
        detail={"upTo": data.up_to, "marked": marked},
    )
    return {"marked": marked, "unread": await repository.unread_count(conn, member_id)}


async def read_what_was_there(
    conn: AsyncConnection, principal: Principal, moment: datetime
) -> ReadMarked | None:
    """What a member's client does on opening the inbox at `moment`: mark read every one of
    theirs written by then (`mark_read` up to the last of them). None: nothing was unread."""
    last = await repository.last_unread_at(conn, own_member(principal), moment)
    if last is None:
        return None
    return await mark_read(conn, principal, ReadMark.model_validate({"upTo": last}))


def _settings(off: set[str]) -> NotificationSettings:
    return {
        "kinds": [{"kind": kind, "enabled": kind.value not in off} for kind in NotificationKind]
    }


async def get_settings(conn: AsyncConnection, principal: Principal) -> NotificationSettings:
    return _settings(await repository.turned_off(conn, own_member(principal)))


async def put_settings(
    conn: AsyncConnection, principal: Principal, data: NotificationSettingsInput
) -> NotificationSettings:
    member_id = own_member(principal)
    kinds = [setting.kind.value for setting in data.kinds]
    twice = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if twice:
        raise InvalidInput(
            [InvalidParam("kinds", f"Each kind at most once: {', '.join(twice)}.", code="unique")]
        )
    off = {setting.kind.value for setting in data.kinds if not setting.enabled}
    await repository.replace_opt_outs(conn, member_id, off)
    await trail.record(
        conn,
        "me-notification-settings-update",
        NOT_IN_THE_FEED,
        member_id,
        detail={"off": sorted(off)},
    )
    return _settings(off)
