"""Repeated failed authentication from one client ends in 429 with Retry-After; the count lives
in the database, so every worker sees it."""

from __future__ import annotations

import dataclasses

import pytest

from app.core import auth, ratelimit
from app.core.config import get_settings
from tests.conftest import raw_sql
from tests.factories import bearer, make_key


@pytest.fixture
def low_limit(monkeypatch):
    settings = dataclasses.replace(get_settings(), auth_failure_limit=3)
    monkeypatch.setattr(ratelimit, "get_settings", lambda: settings)
    ratelimit.forget_blocks()
    yield settings
    ratelimit.forget_blocks()


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
    original = ratelimit.record_failure

    async def spy(client_address):
        calls.append(client_address)
        await original(client_address)

    monkeypatch.setattr(auth.ratelimit, "record_failure", spy)
    for _ in range(5):
        assert (await client.get("/v1/members", headers=key)).status_code == 200
    assert calls == []
