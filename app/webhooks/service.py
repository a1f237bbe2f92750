"""Rules about webhook subscriptions: admins only, URLs that pass the SSRF check, resource
types the change feed knows, secrets shown once and rotated with an overlap."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import feed, trail
from app.changes.service import readable
from app.core.context import Principal
from app.core.db import database
from app.core.errors import InvalidInput, InvalidParam
from app.core.http import check_version
from app.core.models import utcnow
from app.core.pagination import PageRequest
from app.core.permissions import Role, ensure_admin
from app.core.repository import list_page
from app.webhooks import addresses, repository
from app.webhooks.models import DeliveryStatus
from app.webhooks.schemas import (
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)

OBJECT = feed.resource(
    "webhook-subscription",
    repository.table,
    path="/webhook-subscriptions/{id}",
    readers={Role.ADMIN},
)
SORTING = repository.SORTING
DELIVERY_SORTING = repository.DELIVERY_SORTING
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix the specification gives, no secret)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def allowed_networks() -> tuple[addresses.IPNetwork, ...]:
    return addresses.networks(database.settings.webhook_allowed_networks)


async def checked_url(url: str) -> str:
    """The URL when a webhook may use it; a 400 naming the rule it breaks when not."""
    try:
        await addresses.check(url, allowed_networks())
    except addresses.RefusedUrl as refused:
        raise InvalidInput([InvalidParam("url", refused.reason, code=refused.code)]) from None
    return url


def checked_types(principal: Principal, types: Sequence[str]) -> list[str]:
    """The resource types, when the feed has them and the caller may read them (400, 403)."""
    if types:
        readable(principal, types, where="body")
    return sorted(set(types))


async def list_subscriptions(
    conn: AsyncConnection, request: Request, page: PageRequest, *, active: bool | None
) -> Response:
    query = repository.list_query(active)
    return await list_page(conn, request, query, page, SORTING, repository.to_item)


async def get_subscription(conn: AsyncConnection, subscription_id: uuid.UUID) -> SubscriptionRead:
    return await repository.get(conn, subscription_id)


async def create_subscription(
    conn: AsyncConnection, principal: Principal, data: SubscriptionCreate
) -> SubscriptionWithSecret:
    ensure_admin(principal, "register webhooks")
    url = await checked_url(data.url)
    secret = new_secret()
    txid, event_id = await repository.feed_start(conn, postgres=not database.sqlite)
    subscription_id = await repository.create(
        conn,
        {
            "url": url,
            "types": checked_types(principal, data.types),
            "description": data.description,
            "active": data.active,
            "secret": secret,
            "feed_txid": txid,
            "feed_event_id": event_id,
        },
    )
    await trail.record(conn, "webhook-subscriptions-create", OBJECT, subscription_id)
    item = await repository.get(conn, subscription_id)
    return {**item, "secret": secret}


async def update_subscription(
    conn: AsyncConnection,
    principal: Principal,
    subscription_id: uuid.UUID,
    patch: SubscriptionUpdate,
    expected_version: int | None,
) -> SubscriptionRead:
    ensure_admin(principal, "change webhooks")
    current = await repository.get(conn, subscription_id)
    check_version(current["version"], expected_version)
    changes = patch.changes()
    if "url" in changes:
        changes["url"] = await checked_url(changes["url"])
    if "types" in changes:
        changes["types"] = checked_types(principal, changes["types"])
    if changes.get("active"):
        # Switched on again (after the API disabled it, or a pause): the reason is history.
        changes["disabled_reason"] = None
    if changes:
        await repository.update_subscription(conn, subscription_id, current["version"], changes)
        fields = sorted(name for name in changes if name != "disabled_reason")
        await trail.record(
            conn,
            "webhook-subscriptions-update",
            OBJECT,
            subscription_id,
            detail={"fields": fields},
        )
    return await repository.get(conn, subscription_id)


async def delete_subscription(
    conn: AsyncConnection,
    principal: Principal,
    subscription_id: uuid.UUID,
    expected_version: int | None,
) -> None:
    ensure_admin(principal, "delete webhooks")
    current = await repository.get(conn, subscription_id)
    check_version(current["version"], expected_version)
    await trail.record(conn, "webhook-subscriptions-delete", OBJECT, subscription_id)
    await repository.remove(conn, subscription_id)


async def rotate_secret(
    conn: AsyncConnection,
    principal: Principal,
    subscription_id: uuid.UUID,
    expected_version: int | None,
) -> SubscriptionWithSecret:
    """A new secret signs from now on; the one it replaces also signs for the overlap
    (`WEBHOOK_SECRET_OVERLAP_HOURS`), so receivers can switch without missing a delivery."""
    ensure_admin(principal, "rotate webhook secrets")
    current = await repository.get(conn, subscription_id)
    check_version(current["version"], expected_version)
    old = await repository.secret(conn, subscription_id)
    secret = new_secret()
    overlap = timedelta(hours=database.settings.webhook_secret_overlap_hours)
    await repository.update_subscription(
        conn,
        subscription_id,
        current["version"],
        {
            "secret": secret,
            "previous_secret": old,
            "previous_secret_expires_at": utcnow() + overlap,
        },
    )
    await trail.record(conn, "webhook-subscriptions-rotate-secret", OBJECT, subscription_id)
    item = await repository.get(conn, subscription_id)
    return {**item, "secret": secret}


async def list_deliveries(
    conn: AsyncConnection,
    request: Request,
    page: PageRequest,
    subscription_id: uuid.UUID,
    *,
    status: Sequence[str] | None,
) -> Response:
    await repository.get(conn, subscription_id)  # 404 for an unknown subscription
    query = repository.deliveries_query(subscription_id, status)
    return await list_page(conn, request, query, page, DELIVERY_SORTING, repository.to_delivery)


async def get_delivery(
    conn: AsyncConnection, subscription_id: uuid.UUID, delivery_id: int
) -> DeliveryRead:
    return await repository.get_delivery(conn, subscription_id, delivery_id)


async def redeliver(
    conn: AsyncConnection, principal: Principal, subscription_id: uuid.UUID, delivery_id: int
) -> DeliveryRead:
    """The same message (same `webhook-id`) once more, as a new delivery behind the
    subscription's others; a disabled subscription delivers it once it is active again."""
    ensure_admin(principal, "redeliver webhooks")
    source = await repository.get_delivery(conn, subscription_id, delivery_id)
    now = utcnow()
    new_id = await repository.add_delivery(
        conn,
        {
            "subscription_id": subscription_id,
            "message_id": source["messageId"],
            "event_type": source["eventType"],
            "payload": source["payload"],
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    await trail.record(
        conn,
        "webhook-deliveries-redeliver",
        "webhook-delivery",
        new_id,
        detail={"subscriptionId": str(subscription_id), "of": delivery_id},
    )
    return await repository.get_delivery(conn, subscription_id, new_id)
