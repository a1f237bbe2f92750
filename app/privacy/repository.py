"""All SQL of the personal-data export and erasure: a fixed set of statements per member."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.agenda.models import AgendaRevision
from app.audit.models import AuditEvent
from app.auth.models import ApiKey, StreamTicket
from app.comments.models import Comment
from app.core.idempotency import IdempotencyRecord
from app.core.models import table_of
from app.core.text import mentions
from app.insights.models import Insight
from app.learning_groups.models import GroupMembership, LearningGroup
from app.learning_questions.models import LearningQuestion, QuestionSupport
from app.scim.models import ScimUser
from app.sync.models import MemberSync
from app.workshops.models import Workshop, WorkshopAttendee

keys = table_of(ApiKey).c
memberships = table_of(GroupMembership).c
groups = table_of(LearningGroup).c
attendees = table_of(WorkshopAttendee).c
workshops = table_of(Workshop).c
questions = table_of(LearningQuestion).c
supports = table_of(QuestionSupport).c
insights = table_of(Insight).c
scim = table_of(ScimUser).c
syncs = table_of(MemberSync).c
audit = table_of(AuditEvent).c
revisions = table_of(AgendaRevision).c
idempotency = table_of(IdempotencyRecord).c
comments = table_of(Comment).c


async def api_keys(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(
            keys.id,
            keys.name,
            keys.role,
            keys.prefix,
            keys.created_at,
            keys.expires_at,
            keys.revoked_at,
        )
        .where(keys.member_id == member_id)
        .order_by(keys.created_at)
    )
    return [
        {
            "id": r.id,
            "name": r.name,
            "role": r.role,
            "prefix": r.prefix,
            "createdAt": r.created_at,
            "expiresAt": r.expires_at,
            "revokedAt": r.revoked_at,
        }
        for r in rows
    ]


async def group_memberships(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(
            memberships.id,
            memberships.group_id,
            groups.name,
            memberships.role,
            memberships.joined_at,
            memberships.left_at,
        )
        .join_from(
            table_of(GroupMembership), table_of(LearningGroup), groups.id == memberships.group_id
        )
        .where(memberships.member_id == member_id)
        .order_by(memberships.joined_at)
    )
    return [
        {
            "id": r.id,
            "groupId": r.group_id,
            "groupName": r.name,
            "role": r.role,
            "joinedAt": r.joined_at,
            "leftAt": r.left_at,
        }
        for r in rows
    ]


async def workshops_attended(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(workshops.id, workshops.title, workshops.starts_at, attendees.registered_at)
        .join_from(
            table_of(WorkshopAttendee), table_of(Workshop), workshops.id == attendees.workshop_id
        )
        .where(attendees.member_id == member_id)
        .order_by(workshops.starts_at)
    )
    return [
        {
            "workshopId": r.id,
            "title": r.title,
            "startsAt": r.starts_at,
            "registeredAt": r.registered_at,
        }
        for r in rows
    ]


async def questions_raised(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(questions.id, questions.title, questions.status, questions.created_at)
        .where(questions.raised_by_member_id == member_id)
        .order_by(questions.created_at)
    )
    return [
        {"id": r.id, "title": r.title, "status": r.status, "createdAt": r.created_at} for r in rows
    ]


async def questions_supported(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every support the member gave, withdrawn ones too (the history keeps them)."""
    rows = await conn.execute(
        select(questions.id, questions.title, supports.supported_at, supports.withdrawn_at)
        .join_from(
            table_of(QuestionSupport),
            table_of(LearningQuestion),
            questions.id == supports.question_id,
        )
        .where(supports.member_id == member_id)
        .order_by(supports.supported_at, supports.id)
    )
    return [
        {
            "questionId": r.id,
            "title": r.title,
            "supportedAt": r.supported_at,
            "withdrawnAt": r.withdrawn_at,
        }
        for r in rows
    ]


async def insights_captured(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(insights.id, insights.title, insights.adoption, insights.created_at)
        .where(insights.created_by_member_id == member_id)
        .order_by(insights.created_at)
    )
    return [
        {"id": r.id, "title": r.title, "adoption": r.adoption, "createdAt": r.created_at}
        for r in rows
    ]


async def comments_written(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(
            comments.id,
            comments.thread_type,
            comments.thread_id,
            comments.parent_id,
            comments.body,
            comments.format,
            comments.created_at,
            comments.edited_at,
            comments.deleted_at,
            comments.hidden_at,
        )
        .where(comments.author_member_id == member_id)
        .order_by(comments.created_at, comments.id)
    )
    return [
        {
            "id": r.id,
            "threadType": r.thread_type,
            "threadId": r.thread_id,
            "parentId": r.parent_id,
            "body": r.body,
            "format": r.format,
            "createdAt": r.created_at,
            "editedAt": r.edited_at,
            "deletedAt": r.deleted_at,
            "hiddenAt": r.hidden_at,
        }
        for r in rows
    ]


async def scim_identity(conn: AsyncConnection, member_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(
                scim.user_name, scim.employee_number, scim.department_label, scim.deprovisioned_at
            ).where(scim.member_id == member_id)
        )
    ).first()
    if row is None:
        return None
    return {
        "userName": row.user_name,
        "employeeNumber": row.employee_number,
        "department": row.department_label,
        "deprovisionedAt": row.deprovisioned_at,
    }


async def sync_runs_mentioning(
    conn: AsyncConnection, needles: list[str]
) -> list[tuple[uuid.UUID, Any, Any]]:
    """Sync runs whose change lists mention any of these values (externalId, e-mail …)."""
    if not needles:
        return []
    rows = await conn.execute(
        select(syncs.id, syncs.created_at, syncs.changes).where(
            or_(*(mentions(syncs.changes, needle) for needle in needles))
        )
    )
    return [(r.id, r.created_at, r.changes) for r in rows]


async def audit_events(conn: AsyncConnection, member_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(
            audit.id,
            audit.occurred_at,
            audit.action,
            audit.object_type,
            audit.object_id,
            audit.result,
            audit.actor_member_id,
        )
        .where(
            or_(
                audit.actor_member_id == member_id,
                (audit.object_type == "member") & (audit.object_id == str(member_id)),
            )
        )
        .order_by(audit.id)
    )
    return [
        {
            "id": r.id,
            "occurredAt": r.occurred_at,
            "action": r.action,
            "objectType": r.object_type,
            "objectId": r.object_id,
            "result": r.result,
            "asActor": r.actor_member_id == member_id,
        }
        for r in rows
    ]


async def rename_and_revoke_keys(
    conn: AsyncConnection, member_id: uuid.UUID, name: str, now: Any
) -> list[str]:
    old_names = [
        r.name for r in await conn.execute(select(keys.name).where(keys.member_id == member_id))
    ]
    await conn.execute(
        update(table_of(ApiKey)).where(keys.member_id == member_id).values(name=name)
    )
    await conn.execute(
        update(table_of(ApiKey))
        .where(keys.member_id == member_id, keys.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return old_names


async def forget_stream_tickets(conn: AsyncConnection, member_id: uuid.UUID) -> None:
    """The member's stream tickets go (they name the key or the person that asked)."""
    tickets = table_of(StreamTicket)
    await conn.execute(delete(tickets).where(tickets.c.member_id == member_id))


async def pseudonymise_scim(conn: AsyncConnection, member_id: uuid.UUID, user_name: str) -> None:
    await conn.execute(
        update(table_of(ScimUser))
        .where(scim.member_id == member_id)
        .values(
            user_name=user_name,
            user_name_key=user_name.lower(),
            employee_number=None,
            department_label=None,
        )
    )


async def replace_sync_changes(conn: AsyncConnection, run_id: uuid.UUID, changes: Any) -> None:
    await conn.execute(
        update(table_of(MemberSync)).where(syncs.id == run_id).values(changes=changes)
    )


async def replace_published_by(conn: AsyncConnection, old: list[str], new: str) -> None:
    if old:
        await conn.execute(
            update(table_of(AgendaRevision))
            .where(revisions.published_by.in_(old))
            .values(published_by=new)
        )


async def idempotency_bodies(conn: AsyncConnection) -> list[tuple[uuid.UUID, bytes | None]]:
    rows = await conn.execute(select(idempotency.id, idempotency.response_body))
    return [(r.id, r.response_body) for r in rows]


async def forget_idempotency(conn: AsyncConnection, ids: list[uuid.UUID]) -> None:
    if ids:
        await conn.execute(delete(table_of(IdempotencyRecord)).where(idempotency.id.in_(ids)))
