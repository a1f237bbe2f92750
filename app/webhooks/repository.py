"""All SQL about webhook subscriptions and their deliveries (the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit.models import AuditEvent
from app.core.models import new_id, table_of, utcnow
from app.core.pagination import Sorting
from app.core.repository import one_row, update_versioned
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.webhooks.schemas import DeliveryRead, SubscriptionRead

table = table_of(WebhookSubscription)
c = table.c
deliveries = table_of(WebhookDelivery)
d = deliveries.c
events = table_of(AuditEvent).c

COLUMNS = (
    c.id,
    c.url,
    c.types,
    c.description,
    c.active,
    c.disabled_reason,
    c.previous_secret_expires_at,
    c.version,
    c.created_at,
    c.updated_at,
)
SORTING = Sorting({"createdAt": c.created_at, "url": c.url}, id_column=c.id, default="createdAt")

DELIVERY_COLUMNS = (
    d.id,
    d.message_id,
    d.event_type,
    d.status,
    d.attempts,
    d.response_status,
    d.last_error,
    d.next_attempt_at,
    d.last_attempt_at,
    d.created_at,
    d.delivered_at,
    d.payload,
)
DELIVERY_SORTING = Sorting({"createdAt": d.created_at}, id_column=d.id, default="-createdAt")


def to_item(row: Row[Any]) -> SubscriptionRead:
    rotated = row.previous_secret_expires_at
    return {
        "id": row.id,
        "url": row.url,
        "types": list(row.types),
        "description": row.description,
        "active": row.active,
        "disabledReason": row.disabled_reason,
        "secretRotatedUntil": rotated if rotated is not None and rotated > utcnow() else None,
        "version": row.version,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def to_delivery(row: Row[Any]) -> DeliveryRead:
    return {
        "id": row.id,
        "messageId": row.message_id,
        "eventType": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "responseStatus": row.response_status,
        "lastError": row.last_error,
        "nextAttemptAt": row.next_attempt_at,
        "lastAttemptAt": row.last_attempt_at,
        "createdAt": row.created_at,
        "deliveredAt": row.delivered_at,
        "payload": row.payload,
    }


def list_query(active: bool | None) -> Select[Any]:
    query = select(*COLUMNS)
    if active is not None:
        query = query.where(c.active == active)
    return query


def deliveries_query(subscription_id: uuid.UUID, status: Sequence[str] | None) -> Select[Any]:
    query = select(*DELIVERY_COLUMNS).where(d.subscription_id == subscription_id)
    if status:
        query = query.where(d.status.in_(status))
    return query


async def get(conn: AsyncConnection, subscription_id: uuid.UUID) -> SubscriptionRead:
    row = await one_row(conn, select(*COLUMNS).where(c.id == subscription_id), "subscription")
    return to_item(row)


async def feed_start(conn: AsyncConnection, postgres: bool) -> tuple[int, int]:
    """The feed position a new subscription starts after: no change that commits from now on
    is before it. On Postgres, every transaction still running has an id at or above the
    snapshot's xmin, so the position just below it (a few changes that already committed may
    come once more: at least once); on SQLite, the last event."""
    if postgres:
        xmin = func.pg_snapshot_xmin(func.pg_current_snapshot()).cast(Text).cast(BigInteger)
        return (int((await conn.execute(select(xmin))).scalar_one()) - 1, 2**62)
    last = (await conn.execute(select(func.max(events.id)))).scalar_one()
    return (0, int(last or 0))


async def create(conn: AsyncConnection, values: dict[str, Any]) -> uuid.UUID:
    subscription_id = new_id()
    await conn.execute(insert(table).values(id=subscription_id, version=1, **values))
    return subscription_id


async def update_subscription(
    conn: AsyncConnection, subscription_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    await update_versioned(conn, table, subscription_id, version, values)


async def remove(conn: AsyncConnection, subscription_id: uuid.UUID) -> None:
    await conn.execute(delete(deliveries).where(d.subscription_id == subscription_id))
    await conn.execute(delete(table).where(c.id == subscription_id))


async def get_delivery(
    conn: AsyncConnection, subscription_id: uuid.UUID, delivery_id: int
) -> DeliveryRead:
    row = await one_row(
        conn,
        select(*DELIVERY_COLUMNS).where(d.subscription_id == subscription_id, d.id == delivery_id),
        "delivery of this subscription",
    )
    return to_delivery(row)


async def add_delivery(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(deliveries).values(**values).returning(d.id))
    return int(result.scalar_one())


# ------------------------------------------------------------------ the delivery worker


async def claim(
    conn: AsyncConnection, now: datetime, until: datetime, limit: int
) -> list[Row[Any]]:
    """Lease up to `limit` active subscriptions no other worker holds, until `until`: rows
    another worker is claiming at this moment are skipped (FOR UPDATE SKIP LOCKED), so
    several API processes and workers share the subscriptions without a broker."""
    free = (
        select(c.id)
        .where(c.active.is_(True), or_(c.leased_until.is_(None), c.leased_until < now))
        .order_by(c.leased_until.nulls_first(), c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await conn.execute(
        update(table)
        .where(c.id.in_(free.scalar_subquery()))
        .values(leased_until=until)
        .returning(
            c.id,
            c.url,
            c.types,
            c.secret,
            c.previous_secret,
            c.previous_secret_expires_at,
            c.feed_txid,
            c.feed_event_id,
        )
    )
    return list(result.all())


async def release(
    conn: AsyncConnection, subscription_id: uuid.UUID, until: datetime | None
) -> None:
    """Give the lease up (`until` None), or keep it a moment while there is nothing to do."""
    await conn.execute(update(table).where(c.id == subscription_id).values(leased_until=until))


async def enqueue(
    conn: AsyncConnection,
    subscription_id: uuid.UUID,
    rows: Sequence[dict[str, Any]],
    position: tuple[int, int],
) -> None:
    """New deliveries, and the subscription's feed position after them, in one transaction."""
    if rows:
        await conn.execute(
            insert(deliveries), [dict(row, subscription_id=subscription_id) for row in rows]
        )
    await conn.execute(
        update(table)
        .where(c.id == subscription_id)
        .values(feed_txid=position[0], feed_event_id=position[1])
    )


async def due(conn: AsyncConnection, subscription_id: uuid.UUID, limit: int) -> Sequence[Any]:
    """The subscription's oldest pending deliveries, in order."""
    result = await conn.execute(
        select(d.id, d.message_id, d.payload, d.attempts, d.next_attempt_at, d.created_at)
        .where(d.subscription_id == subscription_id, d.status == DeliveryStatus.PENDING)
        .order_by(d.id)
        .limit(limit)
    )
    return result.all()


async def mark(conn: AsyncConnection, delivery_id: int, values: dict[str, Any]) -> None:
    await conn.execute(update(deliveries).where(d.id == delivery_id).values(**values))


async def disable(conn: AsyncConnection, subscription_id: uuid.UUID, reason: str) -> None:
    await conn.execute(
        update(table)
        .where(c.id == subscription_id)
        .values(
            active=False,
            disabled_reason=reason,
            version=c.version + 1,
            updated_at=utcnow(),
            leased_until=None,
        )
    )


async def prune(conn: AsyncConnection, before: datetime) -> int:
    """Forget finished deliveries older than `before`."""
    result = await conn.execute(
        delete(deliveries).where(d.status != DeliveryStatus.PENDING, d.created_at < before)
    )
    return int(result.rowcount or 0)


async def secret(conn: AsyncConnection, subscription_id: uuid.UUID) -> str:
    row = await one_row(conn, select(c.secret).where(c.id == subscription_id), "subscription")
    return str(row.secret)


async def any_active(conn: AsyncConnection) -> bool:
    row = (await conn.execute(select(c.id).where(c.active.is_(True)).limit(1))).first()
    return row is not None


async def mark_delivered(
    conn: AsyncConnection, ids: Sequence[int], status: int, moment: datetime
) -> None:
    await conn.execute(
        update(deliveries)
        .where(d.id.in_(ids))
        .values(
            status=DeliveryStatus.DELIVERED,
            attempts=d.attempts + 1,
            last_attempt_at=moment,
            delivered_at=moment,
            next_attempt_at=None,
            response_status=status,
            last_error=None,
        )
    )
