"""/v1/api-keys: admins issue keys (shown once), list them without secrets, and revoke them;
revoked and expired keys stop working."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.authentication import key_cache
from tests.factories import bearer, make_key, make_member


def entropy_bits(key: str) -> int:
    secret = key.removeprefix("lgk_")
    return len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) * 8


async def test_admin_issues_a_key_shown_once(client):
    admin = await make_key("admin")
    response = await client.post(
        "/v1/api-keys", json={"name": "intranet sync", "role": "sync"}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    key = body["key"]
    assert key.startswith("lgk_")
    assert entropy_bits(key) >= 256
    assert body["role"] == "sync"
    assert body["name"] == "intranet sync"
    assert key.startswith(body["prefix"])
    assert body["revokedAt"] is None
    assert response.headers["Location"].endswith(f"/v1/api-keys/{body['id']}")
    assert response.headers["Cache-Control"] == "no-store"

    # It works at once, for what its role allows.
    assert (await client.get("/v1/members", headers=bearer(key))).status_code == 200
    assert (await client.get("/v1/api-keys", headers=bearer(key))).status_code == 403

    # Afterwards only the metadata is shown, never the secret.
    fetched = await client.get(response.headers["Location"], headers=bearer(admin))
    assert fetched.status_code == 200
    assert "key" not in fetched.json()
    assert key not in fetched.text
    assert fetched.json()["prefix"] == body["prefix"]


async def test_keys_are_distinct(client):
    admin = await make_key("admin")
    keys = set()
    for n in range(5):
        response = await client.post(
            "/v1/api-keys", json={"name": f"script {n}", "role": "reader"}, headers=bearer(admin)
        )
        keys.add(response.json()["key"])
    assert len(keys) == 5


async def test_the_list_never_shows_secrets_or_hashes(client):
    admin = await make_key("admin")
    issued = []
    member = await make_member()
    for role in ("reader", "facilitator", "admin"):
        body = {"name": f"{role} key", "role": role}
        if role == "facilitator":
            body["memberId"] = str(member["id"])
        response = await client.post("/v1/api-keys", json=body, headers=bearer(admin))
        issued.append(response.json()["key"])

    listed = await client.get("/v1/api-keys?pageSize=100", headers=bearer(admin))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert len(items) == 4  # the factory's key and the three above
    for item in items:
        assert set(item) == {
            "id",
            "name",
            "role",
            "memberId",
            "member",
            "prefix",
            "createdAt",
            "expiresAt",
            "revokedAt",
        }
    for key in [*issued, admin]:
        assert key not in listed.text
        assert hashlib.sha256(key.encode()).hexdigest() not in listed.text

    audit = await client.get("/v1/audit-events?pageSize=100", headers=bearer(admin))
    assert audit.status_code == 200
    for key in issued:
        assert key not in audit.text


async def test_the_list_pages_through_every_key(client):
    admin = await make_key("admin")
    for n in range(4):
        await make_key("reader" if n % 2 else "sync")
    seen = []
    url: str | None = "/v1/api-keys?pageSize=2"
    while url:
        response = await client.get(url, headers=bearer(admin))
        assert response.status_code == 200, response.text
        seen.extend(item["id"] for item in response.json()["items"])
        url = response.json()["next"]
    assert len(seen) == len(set(seen)) == 5


async def test_revoked_key_stops_working(client):
    admin = await make_key("admin")
    created = await client.post(
        "/v1/api-keys", json={"name": "tijdelijk", "role": "reader"}, headers=bearer(admin)
    )
    key, key_id = created.json()["key"], created.json()["id"]
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 200

    revoked = await client.delete(f"/v1/api-keys/{key_id}", headers=bearer(admin))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revokedAt"] is not None

    # The worker that revoked forgets the key at once (others within the cache's seconds).
    refused = await client.get("/v1/departments", headers=bearer(key))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    key_cache.clear()
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 401

    again = await client.delete(f"/v1/api-keys/{key_id}", headers=bearer(admin))
    assert again.status_code == 200
    assert again.json()["revokedAt"] == revoked.json()["revokedAt"]

    missing = await client.delete(f"/v1/api-keys/{uuid.uuid4()}", headers=bearer(admin))
    assert missing.status_code == 404


async def test_expiry_must_lie_in_the_future(client):
    admin = await make_key("admin")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = await client.post(
        "/v1/api-keys",
        json={"name": "te laat", "role": "reader", "expiresAt": past},
        headers=bearer(admin),
    )
    assert response.status_code == 400
    assert [p["name"] for p in response.json()["invalidParams"]] == ["expiresAt"]

    naive = await client.post(
        "/v1/api-keys",
        json={"name": "zonder zone", "role": "reader", "expiresAt": "2999-01-01T00:00:00"},
        headers=bearer(admin),
    )
    assert naive.status_code == 400
    assert [p["name"] for p in naive.json()["invalidParams"]] == ["expiresAt"]

    listed = await client.get("/v1/api-keys", headers=bearer(admin))
    assert len(listed.json()["items"]) == 1


async def test_an_expired_key_stops_working(client):
    admin = await make_key("admin")
    soon = datetime.now(UTC) + timedelta(seconds=2)
    created = await client.post(
        "/v1/api-keys",
        json={"name": "kort", "role": "reader", "expiresAt": soon.isoformat()},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 200
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.1)
    # Still in the cache, yet refused: the cache honours the expiry too.
    assert (await client.get("/v1/departments", headers=bearer(key))).status_code == 401


async def test_a_key_may_act_for_a_member(client):
    admin = await make_key("admin")
    member = await make_member()
    created = await client.post(
        "/v1/api-keys",
        json={"name": "eigen profiel", "role": "member", "memberId": str(member["id"])},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    assert created.json()["memberId"] == str(member["id"])

    unknown = await client.post(
        "/v1/api-keys",
        json={"name": "niemand", "role": "member", "memberId": str(uuid.uuid4())},
        headers=bearer(admin),
    )
    assert unknown.status_code == 400
    assert [p["name"] for p in unknown.json()["invalidParams"]] == ["memberId"]


async def test_invalid_bodies_name_every_field(client):
    admin = await make_key("admin")
    response = await client.post(
        "/v1/api-keys",
        json={"name": "", "role": "root", "keyHash": "abc", "prefix": "lgk_x"},
        headers=bearer(admin),
    )
    assert response.status_code == 400
    names = {p["name"] for p in response.json()["invalidParams"]}
    assert names == {"name", "role", "keyHash", "prefix"}


async def test_a_retried_create_never_shows_the_secret_again(client):
    admin = await make_key("admin")
    headers = {**bearer(admin), "Idempotency-Key": "nieuwe-sleutel-1"}
    body = {"name": "herhaald", "role": "reader"}
    first = await client.post("/v1/api-keys", json=body, headers=headers)
    assert first.status_code == 201
    retry = await client.post("/v1/api-keys", json=body, headers=headers)
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert first.json()["key"] not in retry.text
    listed = await client.get("/v1/api-keys", headers=bearer(admin))
    assert len(listed.json()["items"]) == 2


@pytest.mark.parametrize("role", ["reader", "sync", "facilitator", "member"])
async def test_only_admins_manage_keys(client, role):
    admin = await make_key("admin")
    key = await make_key(role)
    created = await client.post(
        "/v1/api-keys", json={"name": "zelf", "role": "admin"}, headers=bearer(key)
    )
    assert created.status_code == 403
    assert (await client.get("/v1/api-keys", headers=bearer(key))).status_code == 403
    items = (await client.get("/v1/api-keys", headers=bearer(admin))).json()["items"]
    assert len(items) == 2
    for item in items:
        assert (
            await client.get(f"/v1/api-keys/{item['id']}", headers=bearer(key))
        ).status_code == 403
        assert (
            await client.delete(f"/v1/api-keys/{item['id']}", headers=bearer(key))
        ).status_code == 403
    after = (await client.get("/v1/api-keys", headers=bearer(admin))).json()["items"]
    assert all(item["revokedAt"] is None for item in after)


@pytest.mark.parametrize("role", ["member", "facilitator"])
async def test_member_and_facilitator_keys_must_act_for_a_member(client, role):
    admin = bearer(await make_key("admin"))
    response = await client.post("/v1/api-keys", json={"name": "x", "role": role}, headers=admin)
    assert response.status_code == 400, response.text
    assert [p["name"] for p in response.json()["invalidParams"]] == ["memberId"]


async def test_a_key_stops_working_when_its_member_is_deactivated(client):
    admin = bearer(await make_key("admin"))
    member = await make_member()
    key = await make_key("member", member_id=member["id"])
    assert (await client.get("/v1/members", headers=bearer(key))).status_code == 200
    deactivated = await client.delete(f"/v1/members/{member['id']}", headers=admin)
    assert deactivated.status_code == 200
    key_cache.clear()  # as every worker does within API_KEY_CACHE_SECONDS
    assert (await client.get("/v1/members", headers=bearer(key))).status_code == 401


async def test_a_key_for_an_inactive_member_is_a_conflict(client, backend):
    """POST /v1/api-keys and `leergemeenschap api-keys create` alike (they share the service):
    a key for an inactive member would never work, so none is issued."""
    from tests.core.support import assert_problem
    from tests.test_cli import command

    admin = await make_key("admin")
    member = await make_member()
    gone = await client.delete(f"/v1/members/{member['id']}", headers=bearer(admin))
    assert gone.json()["status"] == "inactive"
    before = len(
        (await client.get("/v1/api-keys?pageSize=100", headers=bearer(admin))).json()["items"]
    )
    for role in ("member", "reader"):
        refused = await client.post(
            "/v1/api-keys",
            json={"name": "te laat", "role": role, "memberId": str(member["id"])},
            headers=bearer(admin),
        )
        body = assert_problem(refused, 409)
        assert "inactive" in body["detail"]
        assert body["memberStatus"] == "inactive"

    import os
    import subprocess

    result = await asyncio.to_thread(
        subprocess.run,
        [*command(), "api-keys", "create", "--role", "member", "--name", "te laat",
         "--member-id", str(member["id"])],
        env={**os.environ, "DATABASE_URL": backend.url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "inactive" in result.stderr and "Traceback" not in result.stderr
    assert "lgk_" not in result.stdout
    after = (await client.get("/v1/api-keys?pageSize=100", headers=bearer(admin))).json()["items"]
    assert len(after) == before

    # Active again, the member can have a key.
    current = (await client.get(f"/v1/members/{member['id']}", headers=bearer(admin))).json()
    await client.patch(
        f"/v1/members/{member['id']}",
        json={"status": "active"},
        headers={
            **bearer(admin),
            "Content-Type": "application/merge-patch+json",
            "If-Match": f'"{current["version"]}"',
        },
    )
    issued = await client.post(
        "/v1/api-keys",
        json={"name": "weer terug", "role": "member", "memberId": str(member["id"])},
        headers=bearer(admin),
    )
    assert issued.status_code == 201, issued.text


async def test_a_key_names_the_member_it_acts_for(client):
    admin = await make_key("admin")
    member = await make_member(displayName="Noor Verbeek")
    issued = await client.post(
        "/v1/api-keys",
        json={"name": "Noor", "role": "facilitator", "memberId": str(member["id"])},
        headers=bearer(admin),
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["memberId"] == str(member["id"])
    assert issued.json()["member"] == {"id": str(member["id"]), "displayName": "Noor Verbeek"}
    fetched = (await client.get(issued.headers["Location"], headers=bearer(admin))).json()
    assert fetched["member"] == issued.json()["member"]

    # A key for no one names no one.
    script = await client.post(
        "/v1/api-keys", json={"name": "script", "role": "reader"}, headers=bearer(admin)
    )
    assert script.json()["memberId"] is None
    assert script.json()["member"] is None

    # An erased member's keys stay listed (revoked), naming the pseudonym.
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    after = (await client.get(issued.headers["Location"], headers=bearer(admin))).json()
    assert after["revokedAt"] is not None
    assert after["member"] == {"id": str(member["id"]), "displayName": erased.json()["pseudonym"]}


async def test_a_page_of_keys_costs_the_same_statements_for_2_or_20(client, statements):
    admin = await make_key("admin")
    members = {}
    for n in range(19):
        member = await make_member(displayName=f"Sleutelhouder {n:02d}")
        members[str(member["id"])] = member["displayName"]
        await make_key("member", member["id"])
    await client.get("/v1/api-keys?pageSize=1", headers=bearer(admin))  # caches the key
    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        response = await client.get(f"/v1/api-keys?pageSize={size}", headers=bearer(admin))
        items = response.json()["items"]
        assert len(items) == size
        for item in items:
            if item["memberId"] is None:
                assert item["member"] is None
            else:
                assert item["member"]["displayName"] == members[item["memberId"]]
        counts[size] = statements.count
    assert counts[2] == counts[20], counts
