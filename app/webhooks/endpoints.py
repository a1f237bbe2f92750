"""HTTP routes of /v1/webhook-subscriptions: receivers of the change feed, and their
deliveries (admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from app.core.db import ReadDb, WriteDb
from app.core.http import (
    IDEMPOTENT,
    IfMatch,
    json_response,
    resource_headers,
    resource_response,
    written,
)
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import AdminOnly
from app.core.query import ONE_OR_MORE, ONE_OR_MORE_HELP
from app.core.routes import ContractRoute
from app.webhooks import service
from app.webhooks.models import DeliveryStatus
from app.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionPage,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)

SubscriptionId = Annotated[uuid.UUID, Path(alias="subscriptionId")]
DeliveryId = Annotated[int, Path(alias="deliveryId", ge=1, le=2**62)]

router = APIRouter(prefix="/v1/webhook-subscriptions", tags=["webhooks"], route_class=ContractRoute)

_SIGNING = (
    'Each delivery is a POST of `{"type": "member.updated", "timestamp": …, "data": '
    "<the change as GET /changes shows it>}`, signed by the Standard Webhooks specification "
    "(headers `webhook-id`, `webhook-timestamp`, `webhook-signature`; HMAC-SHA256 with the "
    "`whsec_…` secret). A receiver answers 2xx within a few seconds; anything else (a "
    "redirect too, which is never followed) is tried again, with growing waits, for about a "
    "day; then the subscription is disabled with the reason. Messages of one subscription "
    "arrive in the feed's order, each at least once (`webhook-id` tells repeats apart)."
)


@router.get(
    "",
    operation_id="webhook-subscriptions-list",
    summary="List webhook subscriptions (never their secrets)",
    response_model=SubscriptionPage,
    responses=responses(200, "One page of subscriptions.", *READ, headers=("Link",)),
)
async def list_subscriptions(
    request: Request,
    _: AdminOnly,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    active: Annotated[bool | None, Query()] = None,
) -> Response:
    return await service.list_subscriptions(conn, request, page, active=active)


@router.post(
    "",
    operation_id="webhook-subscriptions-create",
    summary="Register a webhook (the secret is shown once)",
    description=(
        "The URL must be https and its host must resolve to public addresses only "
        "(loopback, private, link-local and metadata addresses are refused, unless the "
        "operator allows a network with `WEBHOOK_ALLOWED_NETWORKS`); a 400 names the rule a "
        "URL breaks. The subscription receives the changes that commit from now on. " + _SIGNING
    ),
    status_code=201,
    response_model=SubscriptionWithSecret,
    responses=responses(
        201, "The subscription, with its secret.", *WRITE, headers=("Location", "ETag")
    ),
    dependencies=[IDEMPOTENT],
)
async def create_subscription(
    request: Request, principal: AdminOnly, conn: WriteDb, data: SubscriptionCreate
) -> Response:
    item = await service.create_subscription(conn, principal, data)
    location = str(request.url_for("webhook-subscriptions-get", subscriptionId=item["id"]))
    shown = {key: value for key, value in item.items() if key != "secret"}
    return await written(
        conn,
        request,
        item,
        status=201,
        headers=resource_headers(item, location),
        replay=shown,
    )


@router.get(
    "/{subscriptionId}",
    operation_id="webhook-subscriptions-get",
    name="webhook-subscriptions-get",
    summary="Get a webhook subscription",
    response_model=SubscriptionRead,
    responses=responses(200, "The subscription.", *READ, 404, headers=("ETag",)),
)
async def get_subscription(_: AdminOnly, conn: ReadDb, subscription_id: SubscriptionId) -> Response:
    return resource_response(await service.get_subscription(conn, subscription_id))


@router.patch(
    "/{subscriptionId}",
    operation_id="webhook-subscriptions-update",
    summary="Change a webhook subscription (JSON Merge Patch)",
    description=(
        "`active: false` pauses deliveries (they wait, in order); `active: true` resumes "
        "them, also after the API disabled the subscription. A new URL is checked as at "
        "registration."
    ),
    response_model=SubscriptionRead,
    responses=responses(200, "The changed subscription.", *WRITE, 404, 412, headers=("ETag",)),
)
async def update_subscription(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    subscription_id: SubscriptionId,
    expected: IfMatch,
    patch: Annotated[SubscriptionUpdate, Body(media_type="application/merge-patch+json")],
) -> Response:
    item = await service.update_subscription(conn, principal, subscription_id, patch, expected)
    return await written(conn, request, item, headers=resource_headers(item))


@router.delete(
    "/{subscriptionId}",
    operation_id="webhook-subscriptions-delete",
    summary="Delete a webhook subscription and its deliveries",
    status_code=204,
    responses=responses(204, "The subscription is gone.", *WRITE, 404, 412),
)
async def delete_subscription(
    principal: AdminOnly, conn: WriteDb, subscription_id: SubscriptionId, expected: IfMatch
) -> Response:
    await service.delete_subscription(conn, principal, subscription_id, expected)
    return Response(status_code=204)


@router.post(
    "/{subscriptionId}/secret/_rotate",
    operation_id="webhook-subscriptions-rotate-secret",
    summary="Rotate a webhook's secret (the new one is shown once)",
    description=(
        "The new secret signs from now on. The previous one signs too, beside it (a "
        "`webhook-signature` with two signatures), until `secretRotatedUntil` "
        "(`WEBHOOK_SECRET_OVERLAP_HOURS`, 24 by default), so a receiver can switch over "
        "without refusing a delivery."
    ),
    response_model=SubscriptionWithSecret,
    responses=responses(
        200, "The subscription, with its new secret.", *WRITE, 404, 412, headers=("ETag",)
    ),
    dependencies=[IDEMPOTENT],
)
async def rotate_secret(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    subscription_id: SubscriptionId,
    expected: IfMatch,
) -> Response:
    item = await service.rotate_secret(conn, principal, subscription_id, expected)
    shown = {key: value for key, value in item.items() if key != "secret"}
    return await written(conn, request, item, headers=resource_headers(item), replay=shown)


@router.get(
    "/{subscriptionId}/deliveries",
    operation_id="webhook-deliveries-list",
    summary="List a webhook's deliveries (newest first by default)",
    description=(
        "Each delivery of a change: its status, the receiver's last answer, how many "
        "attempts it took and when the next one is. Finished deliveries are kept as long as "
        "the change feed keeps changes (`CHANGE_RETENTION_DAYS`)."
    ),
    response_model=DeliveryPage,
    responses=responses(200, "One page of deliveries.", *READ, 404, headers=("Link",)),
)
async def list_deliveries(
    request: Request,
    _: AdminOnly,
    conn: ReadDb,
    subscription_id: SubscriptionId,
    page: Annotated[PageRequest, Depends(service.DELIVERY_SORTING.params)],
    status: Annotated[
        list[DeliveryStatus] | None, ONE_OR_MORE, Query(description=ONE_OR_MORE_HELP)
    ] = None,
) -> Response:
    return await service.list_deliveries(conn, request, page, subscription_id, status=status)


@router.get(
    "/{subscriptionId}/deliveries/{deliveryId}",
    operation_id="webhook-deliveries-get",
    name="webhook-deliveries-get",
    summary="Get one delivery of a webhook",
    response_model=DeliveryRead,
    responses=responses(200, "The delivery.", *READ, 404),
)
async def get_delivery(
    _: AdminOnly, conn: ReadDb, subscription_id: SubscriptionId, delivery_id: DeliveryId
) -> Response:
    return json_response(await service.get_delivery(conn, subscription_id, delivery_id))


@router.post(
    "/{subscriptionId}/deliveries/{deliveryId}/_redeliver",
    operation_id="webhook-deliveries-redeliver",
    summary="Deliver a message again",
    description=(
        "Queues the delivery's message once more (the same `webhook-id` and body, signed "
        "anew), behind the subscription's other deliveries; the answer is the new delivery."
    ),
    status_code=202,
    response_model=DeliveryRead,
    responses=responses(202, "The new delivery, queued.", *WRITE, 404, headers=("Location",)),
    dependencies=[IDEMPOTENT],
)
async def redeliver(
    request: Request,
    principal: AdminOnly,
    conn: WriteDb,
    subscription_id: SubscriptionId,
    delivery_id: DeliveryId,
) -> Response:
    item = await service.redeliver(conn, principal, subscription_id, delivery_id)
    location = str(
        request.url_for(
            "webhook-deliveries-get", subscriptionId=subscription_id, deliveryId=item["id"]
        )
    )
    return await written(conn, request, item, status=202, headers={"Location": location})
