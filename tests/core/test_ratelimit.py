"""Repeated failed authentication from one client ends in 429 with Retry-After; the count lives
in the database, so every worker sees it."""

from __future__ import annotations

import pytest

from app.auth import ratelimit
from app.core.db import database
from app.main import create_app
from tests.conftest import client_for, raw_sql
from tests.factories import bearer, make_key


@pytest.fixture
def low_limit():
    ratelimit.forget_blocks()
    yield database.settings.model_copy(update={"auth_failure_limit": 3})
    ratelimit.forget_blocks()


@pytest.fixture
async def client(app, low_limit):
    """A client on an app that allows 3 failures per window (the test's own database)."""
    async with client_for(create_app(low_limit)) as c:
        yield c


async def test_failures_past_the_limit_are_429(client, low_limit):
    wrong = bearer("lgk_" + "x" * 43)
    statuses = [(await client.get("/v1/members", headers=wrong)).status_code for _ in range(5)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
    blocked = await client.get("/v1/members", headers=wrong)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.headers["content-type"].startswith("application/problem+json")


async def test_the_count_is_shared_through_the_database(client, low_limit):
    wrong = bearer("lgk_" + "y" * 43)
    for _ in range(3):
        assert (await client.get("/v1/members", headers=wrong)).status_code == 401
    (count,) = await raw_sql("SELECT failures FROM auth_failures")
    assert count[0] == 3
    # Another worker knows nothing in memory, yet the next failure there is refused.
    ratelimit.forget_blocks()
    assert (await client.get("/v1/members", headers=wrong)).status_code == 429


async def test_requests_without_credentials_do_not_count(client, low_limit):
    for _ in range(5):
        assert (await client.get("/v1/members")).status_code == 401
    assert await raw_sql("SELECT failures FROM auth_failures") == []


async def test_valid_keys_are_not_slowed_by_the_limit(client, low_limit, monkeypatch):
    key = bearer(await make_key("reader"))
    calls = []
    original = ratelimit.failure_limit.record_failure

    async def spy(client_address, *args):
        calls.append(client_address)
        await original(client_address, *args)

    monkeypatch.setattr(ratelimit.failure_limit, "record_failure", spy)
    for _ in range(5):
        assert (await client.get("/v1/members", headers=key)).status_code == 200
    assert calls == []


async def test_a_blocked_address_still_lets_valid_keys_through(client, low_limit):
    """Behind a municipal proxy or NAT, one script with a revoked key must not lock out every
    other caller at that address."""
    wrong = bearer("lgk_" + "r" * 43)
    statuses = [(await client.get("/v1/members", headers=wrong)).status_code for _ in range(5)]
    assert statuses[-1] == 429
    valid = bearer(await make_key("reader"))
    for _ in range(3):
        assert (await client.get("/v1/members", headers=valid)).status_code == 200
    # Another worker that knows the block only from the database: the key still works there.
    ratelimit.forget_blocks()
    assert (await client.get("/v1/members", headers=valid)).status_code == 200


async def test_a_known_failing_key_is_refused_without_touching_the_database(
    client, low_limit, statements
):
    wrong = bearer("lgk_" + "s" * 43)
    for _ in range(4):
        await client.get("/v1/members", headers=wrong)
    statements.statements.clear()
    for _ in range(3):
        refused = await client.get("/v1/members", headers=wrong)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
    assert statements.statements == []


async def test_a_new_failing_key_from_a_blocked_address_is_429_and_counted(client, low_limit):
    for _ in range(4):
        await client.get("/v1/members", headers=bearer("lgk_" + "t" * 43))
    (before,) = await raw_sql("SELECT failures FROM auth_failures")
    other = await client.get("/v1/members", headers=bearer("lgk_" + "u" * 43))
    assert other.status_code == 429
    (after,) = await raw_sql("SELECT failures FROM auth_failures")
    assert after[0] == before[0] + 1


async def test_public_paths_are_not_authenticated_so_stale_keys_there_do_not_count(
    client, low_limit, statements
):
    stale = bearer("lgk_" + "h" * 43)
    for _ in range(6):
        assert (await client.get("/v1/health", headers=stale)).status_code == 200
    assert await raw_sql("SELECT failures FROM auth_failures") == []
    statements.statements.clear()
    assert (await client.get("/v1/health", headers=stale)).status_code == 200
    assert statements.statements == []
