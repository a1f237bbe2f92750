"""Delivering webhooks to a receiver on this machine: signed by the Standard Webhooks
specification, in order, retried with backoff, never redirected, bounded in time and size,
disabled after the last attempt; several workers share the work."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from app.core.db import database
from app.webhooks.delivery import RESPONSE_CAP
from tests.changes.conftest import settled
from tests.conftest import raw_sql
from tests.factories import bearer, make_department, make_key
from tests.webhooks.receiver import receiving, verifies

URL = "/v1/webhook-subscriptions"


async def register(client, admin: str, url: str, **body) -> dict:
    response = await client.post(URL, json={"url": url, **body}, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(client, admin: str, subscription: dict) -> list[dict]:
    response = await client.get(
        f"{URL}/{subscription['id']}/deliveries?sort=createdAt", headers=bearer(admin)
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def make_due_now() -> None:
    """The backoff's waits and the workers' rests, passed (as if the clock moved on)."""
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE webhook_deliveries SET next_attempt_at = created_at "
                "WHERE status = 'pending'"
            )
        )
        await conn.execute(text("UPDATE webhook_subscriptions SET leased_until = NULL"))


async def test_changes_arrive_signed_and_in_order(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as receiver:
        subscription = await register(client, admin, receiver.url, types=["department"])
        made = [await make_department(name=f"Afdeling {n}") for n in range(5)]
        await dispatcher().drain()

        assert [r.path for r in receiver.requests] == ["/hooks/leergemeenschap"] * 5
        bodies = [r.json for r in receiver.requests]
        assert [b["data"]["resourceId"] for b in bodies] == [str(d["id"]) for d in made]
        assert {b["type"] for b in bodies} == {"department.created"}
        for request in receiver.requests:
            # An implementation of the specification of its own, and the package's.
            assert verifies(subscription["secret"], request)
            Webhook(subscription["secret"]).verify(request.body, request.headers)
            assert request.headers["content-type"] == "application/json"
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == 5

    shown = await deliveries(client, admin, subscription)
    assert [d["status"] for d in shown] == ["delivered"] * 5
    assert {d["responseStatus"] for d in shown} == {204}
    assert [d["messageId"] for d in shown] == [r.headers["webhook-id"] for r in receiver.requests]


async def test_a_failing_receiver_holds_back_later_messages_until_it_answers(client, dispatcher):
    admin = await make_key("admin")
    async with receiving(script=[{"status": 500}]) as receiver:
        subscription = await register(client, admin, receiver.url, types=["department"])
        first = await make_department()
        second = await make_department()
        worker = dispatcher()
        await worker.drain()
        # One attempt, refused; the second message waits behind the first.
        assert len(receiver.requests) == 1
        shown = await deliveries(client, admin, subscription)
        assert [(d["status"], d["attempts"]) for d in shown] == [("pending", 1), ("pending", 0)]
        assert shown[0]["responseStatus"] == 500 and "500" in shown[0]["lastError"]
        assert shown[0]["nextAttemptAt"] > shown[0]["lastAttemptAt"]

        await make_due_now()
        await worker.drain()
        ids = [r.json["data"]["resourceId"] for r in receiver.requests]
        assert ids == [str(first["id"]), str(first["id"]), str(second["id"])]
        # The retry is the same message: same id, body signed anew.
        assert (
            receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
        )
    shown = await deliveries(client, admin, subscription)
    assert [(d["status"], d["attempts"]) for d in shown] == [("delivered", 2), ("delivered", 1)]


async def test_redirects_are_never_followed(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as target, receiving() as receiver:
        receiver.default = {"status": 302, "location": target.url}
        subscription = await register(client, admin, receiver.url, types=["department"])
        await make_department()
        await dispatcher().drain()
        assert len(receiver.requests) == 1
        assert target.requests == []
    shown = await deliveries(client, admin, subscription)
    assert shown[0]["status"] == "pending" and shown[0]["responseStatus"] == 302
    assert "redirect" in shown[0]["lastError"]


async def test_a_hanging_receiver_times_out_and_holds_up_only_its_own(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as slow, receiving() as slower, receiving() as fast:
        slow.default = slower.default = {"status": 204, "delay": 5}
        hanging = await register(client, admin, slow.url, types=["department"])
        await register(client, admin, slower.url, types=["department"])
        await register(client, admin, fast.url, types=["department"])
        await make_department()
        await dispatcher(webhook_timeout_seconds=2.0).drain()
        arrivals = [r.at for r in (*slow.requests, *slower.requests, *fast.requests)]
        assert len(arrivals) == 3
        # Side by side: all three calls began within one timeout (one after the other, two
        # hanging receivers would put a whole timeout between the first call and the last).
        assert max(arrivals) - min(arrivals) < 2.0, arrivals
    shown = await deliveries(client, admin, hanging)
    assert shown[0]["status"] == "pending" and "within 2 s" in shown[0]["lastError"]


async def test_a_huge_answer_is_not_read_to_its_end(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as receiver:
        receiver.default = {"status": 200, "body_bytes": RESPONSE_CAP * 64}
        subscription = await register(client, admin, receiver.url, types=["department"])
        await make_department()
        await dispatcher().drain()
    shown = await deliveries(client, admin, subscription)
    assert shown[0]["status"] == "delivered" and shown[0]["responseStatus"] == 200


async def test_after_the_last_attempt_the_subscription_is_disabled(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as receiver:
        receiver.default = {"status": 503}
        subscription = await register(client, admin, receiver.url, types=["department"])
        await make_department()
        worker = dispatcher(webhook_retry_seconds=("0", "0"))
        for _ in range(3):
            await worker.drain()
            await make_due_now()
        assert len(receiver.requests) == 3
    shown = await deliveries(client, admin, subscription)
    assert [(d["status"], d["attempts"]) for d in shown] == [("failed", 3)]
    current = (await client.get(f"{URL}/{subscription['id']}", headers=bearer(admin))).json()
    assert current["active"] is False
    assert "503" in current["disabledReason"]
    await settled()
    feed = (
        await client.get("/v1/changes?types=webhook-subscription", headers=bearer(admin))
    ).json()
    assert [c["change"] for c in feed["items"]] == ["created", "disabled"]

    # Switched on again, a redelivery goes out with the same webhook-id.
    async with receiving() as receiver:
        moved = await client.patch(
            f"{URL}/{subscription['id']}",
            json={"active": True, "url": receiver.url},
            headers={
                **bearer(admin),
                "Content-Type": "application/merge-patch+json",
                "If-Match": f'"{current["version"]}"',
            },
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["disabledReason"] is None
        again = await client.post(
            f"{URL}/{subscription['id']}/deliveries/{shown[0]['id']}/_redeliver",
            headers=bearer(admin),
        )
        assert again.status_code == 202, again.text
        assert again.json()["messageId"] == shown[0]["messageId"]
        await dispatcher().drain()
        assert [r.headers["webhook-id"] for r in receiver.requests] == [shown[0]["messageId"]]


async def test_during_a_rotation_both_secrets_sign(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as receiver:
        subscription = await register(client, admin, receiver.url, types=["department"])
        rotated = await client.post(
            f"{URL}/{subscription['id']}/secret/_rotate", headers=bearer(admin)
        )
        assert rotated.status_code == 200, rotated.text
        await make_department()
        await dispatcher().drain()
        (request,) = receiver.requests
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        assert verifies(subscription["secret"], request)
        assert verifies(rotated.json()["secret"], request)


async def test_the_address_is_checked_again_at_delivery(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as receiver:
        subscription = await register(client, admin, receiver.url, types=["department"])
        await make_department()
        # The operator took the network off the allow-list since it was registered.
        await dispatcher(webhook_allowed_networks=()).drain()
        assert receiver.requests == []
    shown = await deliveries(client, admin, subscription)
    assert shown[0]["status"] == "pending" and shown[0]["lastError"].startswith("Refused")


async def test_workers_side_by_side_deliver_each_message_once(client, dispatcher):
    admin = await make_key("admin")
    async with receiving() as one, receiving() as two:
        await register(client, admin, one.url, types=["department"])
        await register(client, admin, two.url, types=["department"])
        for _ in range(10):
            await make_department()
        await asyncio.gather(*(dispatcher().drain() for _ in range(3)))
        for receiver in (one, two):
            ids = [r.json["data"]["resourceId"] for r in receiver.requests]
            assert len(ids) == 10 and len(set(ids)) == 10
    rows = await raw_sql("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
    assert [tuple(row) for row in rows] == [("delivered", 20)]
