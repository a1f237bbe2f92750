"""Webhook subscriptions: admins register, change, rotate and delete them; URLs that could
reach inside the network are refused with the rule they break."""

from __future__ import annotations

import pytest

from tests.changes.conftest import settled
from tests.core.support import assert_problem
from tests.factories import bearer, make_key

URL = "/v1/webhook-subscriptions"
MERGE = "application/merge-patch+json"


async def register(client, admin: str, **body) -> dict:
    response = await client.post(URL, json=body, headers=bearer(admin))
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_list_change_and_delete(client, allow_local):
    admin = await make_key("admin")
    created = await register(
        client, admin, url="http://127.0.0.1:9/hook", types=["member", "department"]
    )
    assert created["secret"].startswith("whsec_")
    assert created["types"] == ["department", "member"]
    assert created["active"] is True and created["version"] == 1

    listed = await client.get(URL, headers=bearer(admin))
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["items"]] == [created["id"]]
    assert "secret" not in listed.json()["items"][0]

    one = f"{URL}/{created['id']}"
    shown = await client.get(one, headers=bearer(admin))
    assert shown.status_code == 200 and shown.headers["ETag"] == '"1"'
    assert "secret" not in shown.json()

    changed = await client.patch(
        one,
        json={"active": False, "types": []},
        headers={**bearer(admin), "Content-Type": MERGE, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False and changed.json()["types"] == []
    stale = await client.patch(
        one,
        json={"active": True},
        headers={**bearer(admin), "Content-Type": MERGE, "If-Match": '"1"'},
    )
    assert_problem(stale, 412)

    gone = await client.delete(one, headers=bearer(admin))
    assert gone.status_code == 204
    assert_problem(await client.get(one, headers=bearer(admin)), 404)


async def test_only_admins_manage_webhooks(client, allow_local):
    for role in ("facilitator", "member", "reader", "sync"):
        key = await make_key(role)
        listed = await client.get(URL, headers=bearer(key))
        assert_problem(listed, 403)
        made = await client.post(URL, json={"url": "http://127.0.0.1:9/"}, headers=bearer(key))
        assert_problem(made, 403)


async def test_the_secret_rotates_with_an_overlap(client, allow_local):
    admin = await make_key("admin")
    created = await register(client, admin, url="http://127.0.0.1:9/hook")
    rotated = await client.post(f"{URL}/{created['id']}/secret/_rotate", headers=bearer(admin))
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert body["secretRotatedUntil"] is not None and body["version"] == 2


async def test_subscription_changes_are_in_the_feed_for_admins_only(client, allow_local):
    admin = await make_key("admin")
    reader = await make_key("reader")
    created = await register(client, admin, url="http://127.0.0.1:9/hook")
    await settled()
    feed = (await client.get("/v1/changes", headers=bearer(admin))).json()["items"]
    assert ("webhook-subscription", created["id"], "created") in [
        (c["type"], c["resourceId"], c["change"]) for c in feed
    ]
    theirs = (await client.get("/v1/changes", headers=bearer(reader))).json()["items"]
    assert all(c["type"] != "webhook-subscription" for c in theirs)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.org/x", "https_required"),
        ("http://93.184.215.14/x", "https_required"),
        ("ftp://hooks.example.org/x", "https_required"),
        ("https://127.0.0.1/x", "forbidden_address"),
        ("https://localhost/x", "forbidden_address"),
        ("https://[::1]/x", "forbidden_address"),
        ("https://[::ffff:127.0.0.1]/x", "forbidden_address"),
        ("https://10.1.2.3/x", "forbidden_address"),
        ("https://192.168.0.10/x", "forbidden_address"),
        ("https://169.254.169.254/latest/meta-data/", "forbidden_address"),
        ("https://100.100.100.200/x", "forbidden_address"),
        ("https://0.0.0.0/x", "forbidden_address"),
        ("https://user:pass@hooks.example.org/x", "no_credentials"),
        ("https://nothing-here.invalid/x", "unresolvable"),
        ("not a url", "https_required"),
    ],
)
async def test_urls_that_could_reach_inside_are_refused(client, url, code):
    admin = await make_key("admin")
    response = await client.post(URL, json={"url": url}, headers=bearer(admin))
    assert_problem(response, 400)
    params = response.json()["invalidParams"]
    assert [(p["name"], p["code"]) for p in params] == [("url", code)], params


async def test_loopback_is_refused_unless_allowed(client):
    admin = await make_key("admin")
    refused = await client.post(URL, json={"url": "https://127.0.0.1:9/"}, headers=bearer(admin))
    assert_problem(refused, 400)
    assert refused.json()["invalidParams"][0]["code"] == "forbidden_address"


async def test_unknown_types_are_refused(client, allow_local):
    admin = await make_key("admin")
    response = await client.post(
        URL, json={"url": "http://127.0.0.1:9/", "types": ["member", "poem"]}, headers=bearer(admin)
    )
    assert_problem(response, 400)
    assert response.json()["invalidParams"][0]["name"] == "types"
