"""Delivering webhooks: the worker that turns the change feed into signed POSTs.

Each active subscription stands at a position in the change feed. A worker leases a few
subscriptions at a time (FOR UPDATE SKIP LOCKED, so any number of API processes and
`leergemeenschap worker` processes share them), files the changes after each one's position as
deliveries (the outbox, in feed order), then POSTs those, oldest first, and stops at the first
that fails: a subscription's receiver gets its messages in order, each at least once. A failed
delivery is tried again after the waits of `WEBHOOK_RETRY_SECONDS` (about a day in all); after
the last it is `failed` and the subscription is disabled, with the reason, and that is recorded
as a change of the subscription.

Each receiver gets `WEBHOOK_TIMEOUT_SECONDS` per attempt at most, redirects are never followed,
at most `RESPONSE_CAP` bytes of an answer are read, and at most `WEBHOOK_CONCURRENCY`
subscriptions are served at once: a slow or hanging receiver holds up only its own messages.
No database transaction stays open while a receiver is called."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from standardwebhooks.webhooks import Webhook

from app.audit import feed, trail
from app.changes.service import Follower
from app.core.config import Settings
from app.core.db import read_connection, write_connection
from app.core.models import utcnow
from app.core.permissions import Role
from app.webhooks import addresses, repository
from app.webhooks.models import DeliveryStatus
from app.webhooks.service import OBJECT

log = logging.getLogger("leergemeenschap.webhooks")

# How much of a receiver's answer is read (the rest is dropped with the connection).
RESPONSE_CAP = 64 * 1024
# How long a worker holds the subscriptions it leased; it starts no delivery it could not
# finish within it, and another worker takes over a lease that ran out (a worker that died).
LEASE_SECONDS = 60
# How often an idle worker looks for work; a busy one goes on at once.
IDLE_SECONDS = 1.0
# Changes filed as deliveries per look, and deliveries read per batch.
FEED_BATCH = 500
DUE_BATCH = 100
USER_AGENT = "Leergemeenschap-Webhooks/1.0"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None
    error: str | None


@asynccontextmanager
async def _writing() -> AsyncIterator[AsyncConnection]:
    async with asynccontextmanager(write_connection)() as conn:
        yield conn


@asynccontextmanager
async def _reading() -> AsyncIterator[AsyncConnection]:
    async with asynccontextmanager(read_connection)() as conn:
        yield conn


async def _still_here() -> bool:
    return False


def event_type(change: dict[str, Any]) -> str:
    """The Standard Webhooks event type of a change: `member.updated`, `case.created` …"""
    return f"{change['type']}.{change['change']}"


def sign(secrets: Sequence[str], message_id: str, moment: datetime, body: bytes) -> str:
    """The `webhook-signature` header: a `v1,` signature per secret that still signs."""
    text = body.decode()
    return " ".join(Webhook(secret).sign(message_id, moment, text) for secret in secrets)


class Dispatcher:
    """One worker: leases subscriptions and serves each, `WEBHOOK_CONCURRENCY` at a time."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.concurrency = settings.webhook_concurrency
        self.timeout = settings.webhook_timeout_seconds
        self.waits = [int(seconds) for seconds in settings.webhook_retry_seconds]
        self.allowed = addresses.networks(settings.webhook_allowed_networks)
        self.client = client or httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=self.concurrency * 2),
            headers={"user-agent": USER_AGENT},
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._pruned_at = 0.0
        # Set on the way out: no new attempt starts, the ones in flight finish.
        self.stopping = False

    async def close(self) -> None:
        """Let the attempts in flight finish (each is bounded by the timeout), then close."""
        self.stopping = True
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.timeout + 2)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve subscriptions until `stop` is set."""
        while not stop.is_set():
            try:
                started = await self.step()
            except Exception:  # a database fault: log it, wait, try again
                log.exception("webhook worker step failed")
                started = 0
            if started == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
        await self.close()

    async def step(self) -> int:
        """Lease what free slots allow and start serving it; the number started."""
        await self._prune()
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return 0
        rows = await self._claim(free)
        for row in rows:
            task = asyncio.create_task(self.serve(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def drain(self, rounds: int = 1000) -> None:
        """Serve until every subscription rests with nothing to do (tests, benchmarks)."""
        for _ in range(rounds):
            started = await self.step()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if started == 0 and not self._tasks:
                return

    async def _claim(self, limit: int) -> list[Row[Any]]:
        async with _reading() as conn:
            if not await repository.any_active(conn):
                return []
        now = utcnow()
        async with _writing() as conn:
            return await repository.claim(conn, now, now + timedelta(seconds=LEASE_SECONDS), limit)

    async def serve(self, subscription: Row[Any]) -> None:
        """File the subscription's new changes, then deliver what is due, in order."""
        deadline = time.monotonic() + LEASE_SECONDS - self.timeout - 5
        worked = False
        try:
            worked = await self._file(subscription) > 0
            while time.monotonic() < deadline and not self.stopping:
                async with _reading() as conn:
                    due = await repository.due(conn, subscription.id, DUE_BATCH)
                went_through, attempted = await self._deliver(subscription, due, deadline)
                worked = worked or attempted > 0
                if not due or not went_through:
                    break
        except Exception:
            log.exception("webhook subscription %s: serving failed", subscription.id)
        finally:
            # With nothing to do, it rests a moment before any worker looks again; after
            # work, it is free at once.
            rest = None if worked else utcnow() + timedelta(seconds=IDLE_SECONDS)
            with contextlib.suppress(Exception):
                async with _writing() as conn:
                    await repository.release(conn, subscription.id, rest)

    async def _file(self, subscription: Row[Any]) -> int:
        """The changes after the subscription's feed position, as pending deliveries; how
        many."""
        types = tuple(subscription.types) or tuple(feed.readable_types(Role.ADMIN))
        kept_since = utcnow() - timedelta(days=self.settings.change_retention_days)
        follower = Follower(types, subscription.feed_txid, subscription.feed_event_id, kept_since)
        filed = 0
        while True:
            changes = await follower.read(FEED_BATCH, 0, _still_here)
            if not changes:
                return filed
            filed += len(changes)
            now = utcnow()
            rows = []
            for change in changes:
                data = orjson.loads(orjson.dumps(change))
                rows.append(
                    {
                        "message_id": f"msg_{uuid.uuid4().hex}",
                        "event_type": event_type(data),
                        "payload": {
                            "type": event_type(data),
                            "timestamp": data["occurredAt"],
                            "data": data,
                        },
                        "status": DeliveryStatus.PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
            async with _writing() as conn:
                await repository.enqueue(
                    conn, subscription.id, rows, (follower.txid, follower.event_id)
                )
            if len(changes) < FEED_BATCH:
                return filed

    async def _deliver(
        self, subscription: Row[Any], due: Sequence[Row[Any]], deadline: float
    ) -> tuple[bool, int]:
        """POST the deliveries in order: whether all of them went through, and how many
        were tried."""
        delivered: dict[int, list[int]] = {}
        tried = 0
        try:
            for delivery in due:
                now = utcnow()
                if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
                    return False, tried
                if time.monotonic() >= deadline or self.stopping:
                    return False, tried
                tried += 1
                attempt = await self.attempt(subscription, delivery)
                if attempt.ok:
                    delivered.setdefault(attempt.status or 200, []).append(delivery.id)
                    continue
                await self._failed(subscription, delivery, attempt)
                return False, tried
            return True, tried
        finally:
            if delivered:
                async with _writing() as conn:
                    for status, ids in delivered.items():
                        await repository.mark_delivered(conn, ids, status, utcnow())

    async def _failed(self, subscription: Row[Any], delivery: Row[Any], attempt: Attempt) -> None:
        attempts = delivery.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_attempt_at": now,
            "response_status": attempt.status,
            "last_error": (attempt.error or "")[:500] or None,
        }
        async with _writing() as conn:
            if attempts <= len(self.waits):
                values["next_attempt_at"] = now + timedelta(seconds=self.waits[attempts - 1])
                await repository.mark(conn, delivery.id, values)
                return
            values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
            await repository.mark(conn, delivery.id, values)
            reason = (
                f"Delivery {delivery.id} failed {attempts} times since "
                f"{delivery.created_at:%Y-%m-%d %H:%M} UTC; the last: {attempt.error}"
            )[:500]
            await repository.disable(conn, subscription.id, reason)
            await trail.record(
                conn,
                "webhook-subscriptions-disable",
                OBJECT,
                subscription.id,
                detail={"delivery": delivery.id},
            )
        log.warning("webhook subscription %s disabled: %s", subscription.id, reason)

    def _secrets(self, subscription: Row[Any]) -> list[str]:
        found = [subscription.secret]
        until = subscription.previous_secret_expires_at
        if subscription.previous_secret and until is not None and until > utcnow():
            found.append(subscription.previous_secret)
        return found

    async def attempt(self, subscription: Row[Any], delivery: Row[Any]) -> Attempt:
        """One POST of a delivery: checked against the SSRF rules again (DNS may have
        changed), sent to the address that was checked, signed, bounded in time and size."""
        try:
            target = await addresses.check(subscription.url, self.allowed)
        except addresses.RefusedUrl as refused:
            return Attempt(False, None, f"Refused: {refused.reason}")
        body = orjson.dumps(delivery.payload)
        moment = datetime.now(UTC)
        host = target.address if ":" not in target.address else f"[{target.address}]"
        url = f"{target.scheme}://{host}:{target.port}{target.path}"
        default_port = {"https": 443, "http": 80}[target.scheme]
        headers = {
            "host": target.host if target.port == default_port else f"{target.host}:{target.port}",
            "content-type": "application/json",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": sign(
                self._secrets(subscription), delivery.message_id, moment, body
            ),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            async with asyncio.timeout(self.timeout):
                async with self.client.stream(
                    "POST", url, content=body, headers=headers, extensions=extensions
                ) as response:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read >= RESPONSE_CAP:
                            break
                    status = response.status_code
        except TimeoutError:
            return Attempt(False, None, f"No answer within {self.timeout:g} s.")
        except httpx.HTTPError as error:
            return Attempt(False, None, f"{type(error).__name__}: {error}"[:500])
        if 200 <= status < 300:
            return Attempt(True, status, None)
        if 300 <= status < 400:
            return Attempt(False, status, f"Answered {status}; redirects are not followed.")
        return Attempt(False, status, f"Answered {status}.")

    async def _prune(self) -> None:
        """Once an hour: forget finished deliveries older than the feed keeps changes."""
        if time.monotonic() - self._pruned_at < 3600:
            return
        self._pruned_at = time.monotonic()
        before = utcnow() - timedelta(days=self.settings.change_retention_days)
        async with _writing() as conn:
            await repository.prune(conn, before)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """The `leergemeenschap worker` command's loop (and the API's own, in-process)."""
    dispatcher = Dispatcher(settings)
    log.info("webhook worker started (%d at a time)", dispatcher.concurrency)
    await dispatcher.run(stop)
