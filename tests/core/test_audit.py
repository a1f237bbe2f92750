"""The audit trail: every write and every refused write leaves an event with who, what, which
object, the result and where the request came from; only admins read it; no secret in it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from app.core import idempotency
from tests.conftest import raw_sql
from tests.core.support import assert_problem
from tests.factories import bearer, make_department, make_key

UA = {"User-Agent": "contract-suite/1.0 (gemeente)"}


def _department(code: str) -> dict[str, str]:
    return {"code": code, "name": f"Afdeling {code}", "kind": "afdeling"}


async def _events(client, admin: dict[str, str], **filters: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/audit-events", params={"pageSize": "100", **filters}, headers=admin
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_successful_write_appends_an_event_with_actor_origin_and_request(client):
    admin = bearer(await make_key())
    headers = {**admin, **UA, "X-Request-ID": "req-audit-0001"}
    created = await client.post("/v1/departments", json=_department("AUD"), headers=headers)
    assert created.status_code == 201, created.text
    department_id = created.json()["id"]

    (event,) = await _events(client, admin, action="departments-create")
    assert event["result"] == "success"
    assert event["objectType"] == "department"
    assert event["objectId"] == department_id
    assert event["actorRole"] == "admin"
    assert event["actorKeyId"]
    assert event["actorName"]
    assert event["clientAddress"] == "127.0.0.1"
    assert event["userAgent"] == UA["User-Agent"]
    assert event["requestId"] == "req-audit-0001"
    assert event["occurredAt"].endswith(("Z", "+00:00"))


async def test_updates_and_deletes_are_audited_too(client):
    admin = bearer(await make_key())
    department = await make_department()
    path = f"/v1/departments/{department['id']}"
    patched = await client.patch(
        path,
        content=orjson.dumps({"name": "Nieuwe naam"}),
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert (await client.delete(path, headers=admin)).status_code == 200
    events = await _events(client, admin, objectId=str(department["id"]), result="success")
    assert {e["action"] for e in events} >= {"departments-update", "departments-archive"}


async def _refused(client) -> dict[str, tuple[int, str]]:
    """Provoke one refused write of each kind; returns what each should be audited as."""
    admin = bearer(await make_key())
    reader = bearer(await make_key("reader"))
    taken = await make_department(code="TAKEN")
    cases = {
        "forbidden": (
            await client.post("/v1/departments", json=_department("NO"), headers=reader),
            403,
            "denied",
        ),
        "unauthenticated": (
            await client.post("/v1/departments", json=_department("NOKEY")),
            401,
            "denied",
        ),
        "invalid": (
            await client.post("/v1/departments", json={"code": ""}, headers=admin),
            400,
            "rejected",
        ),
        "conflict": (
            await client.post("/v1/departments", json=_department("TAKEN"), headers=admin),
            409,
            "rejected",
        ),
        "stale": (
            await client.patch(
                f"/v1/departments/{taken['id']}",
                content=orjson.dumps({"name": "Te laat"}),
                headers={
                    **admin,
                    "If-Match": '"99"',
                    "Content-Type": "application/merge-patch+json",
                },
            ),
            412,
            "rejected",
        ),
    }
    for response, status, _result in cases.values():
        assert_problem(response, status)
    return {name: (status, result) for name, (_r, status, result) in cases.items()}


async def test_refused_writes_append_denied_or_rejected_events(client):
    expected = await _refused(client)
    admin = bearer(await make_key())
    events = await _events(client, admin)
    by_status = {e["statusCode"]: e for e in events if e["result"] != "success"}
    for name, (status, result) in expected.items():
        assert status in by_status, f"no audit event for the refused write '{name}' ({status})"
        event = by_status[status]
        assert event["result"] == result, event
        assert event["action"], event
        assert event["requestId"] and event["clientAddress"], event
    assert by_status[403]["actorRole"] == "reader"
    assert by_status[401]["actorKeyId"] is None
    assert by_status[400]["actorRole"] == "admin"


async def test_a_refused_write_is_filed_under_the_same_object_type_as_a_success(client):
    """An auditor asking about one object must see both what happened and what was refused."""
    admin = bearer(await make_key())
    department = await make_department()
    path = f"/v1/departments/{department['id']}"
    ok = await client.patch(
        path,
        content=orjson.dumps({"name": "Eerste"}),
        headers={**admin, "Content-Type": "application/merge-patch+json"},
    )
    assert ok.status_code == 200
    stale = await client.patch(
        path,
        content=orjson.dumps({"name": "Tweede"}),
        headers={**admin, "Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    events = await _events(client, admin, objectType="department", objectId=str(department["id"]))
    assert {e["result"] for e in events} == {"success", "rejected"}


@pytest.mark.parametrize(
    ("name", "value", "expect"),
    [
        ("action", "departments-create", lambda e: e["action"] == "departments-create"),
        ("objectType", "department", lambda e: e["objectType"] == "department"),
        ("result", "denied", lambda e: e["result"] == "denied"),
        ("result", "rejected", lambda e: e["result"] == "rejected"),
        ("result", "success", lambda e: e["result"] == "success"),
    ],
)
async def test_audit_events_can_be_filtered(client, name, value, expect):
    await _refused(client)
    admin = bearer(await make_key())
    assert (await client.post("/v1/departments", json=_department("F"), headers=admin)).is_success
    everything = await _events(client, admin)
    matching = await _events(client, admin, **{name: value})
    assert matching, f"nothing matched {name}={value}"
    assert all(expect(e) for e in matching)
    assert len(matching) == sum(1 for e in everything if expect(e))


async def test_filter_by_object_id(client):
    admin = bearer(await make_key())
    one = await client.post("/v1/departments", json=_department("ONE"), headers=admin)
    two = await client.post("/v1/departments", json=_department("TWO"), headers=admin)
    (event,) = await _events(client, admin, objectId=one.json()["id"])
    assert event["objectId"] == one.json()["id"] != two.json()["id"]


async def test_invalid_audit_filters_are_400_listing_each(client):
    admin = bearer(await make_key())
    response = await client.get(
        "/v1/audit-events",
        params={"result": "maybe", "since": "yesterday", "actorKeyId": "x"},
        headers=admin,
    )
    body = assert_problem(response, 400)
    assert {p["name"] for p in body["invalidParams"]} == {"result", "since", "actorKeyId"}


@pytest.mark.parametrize("role", ["facilitator", "member", "reader", "sync"])
async def test_only_admins_read_the_audit_trail(client, role):
    response = await client.get("/v1/audit-events", headers=bearer(await make_key(role)))
    assert_problem(response, 403)


async def test_the_audit_trail_is_read_only(client):
    admin = bearer(await make_key())
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/v1/audit-events", json={}, headers=admin)
        assert_problem(response, 405)


async def test_no_secret_appears_in_any_event(client):
    admin_key = await make_key()
    admin = bearer(admin_key)
    issued = await client.post(
        "/v1/api-keys", json={"name": "sync script", "role": "sync"}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    new_key = issued.json()["key"]
    made_up = "lgk_" + "S" * 43
    # Refusals that carry keys in their requests: a wrong key, a forbidden role, a bad body.
    await client.post("/v1/departments", json=_department("S1"), headers=bearer(made_up))
    await client.post("/v1/departments", json=_department("S2"), headers=bearer(new_key))
    await client.post(
        "/v1/api-keys", json={"name": "x", "role": "admin", "key": new_key}, headers=admin
    )
    await client.delete(f"/v1/api-keys/{issued.json()['id']}", headers=admin)

    served = (await client.get("/v1/audit-events?pageSize=100", headers=admin)).text
    stored = orjson.dumps(
        [list(map(str, row)) for row in await raw_sql("SELECT * FROM audit_events")]
    )
    assert len(orjson.loads(stored)) >= 5
    for secret in (admin_key, new_key, made_up):
        assert secret not in served
        assert secret.encode() not in stored


async def test_writes_refused_before_routing_are_audited_too(client):
    """Too large, too deep, NUL characters, a reused or busy Idempotency-Key: each is a refused
    write even though no route ran, and leaves an event naming the caller."""
    admin_key = await make_key()
    admin = bearer(admin_key)
    json_type = {"Content-Type": "application/json"}
    busy_body = orjson.dumps(_department("BUSY"))
    owner = idempotency.owner_of(f"Bearer {admin_key}".encode())
    fp = idempotency.fingerprint("POST", "/v1/departments", b"", busy_body)
    await idempotency.claim(owner, "busy-key", fp, 60)
    first = await client.post(
        "/v1/departments", json=_department("FIRST"), headers={**admin, "Idempotency-Key": "k1"}
    )
    assert first.status_code == 201
    refusals = [
        (413, {"content": b"x" * 2_000_000, "headers": {**admin, **json_type}}),
        (400, {"content": b"[" * 100 + b"]" * 100, "headers": {**admin, **json_type}}),
        (400, {"content": b'{"name": "a\\u0000"}', "headers": {**admin, **json_type}}),
        (
            422,
            {"json": _department("OTHER"), "headers": {**admin, "Idempotency-Key": "k1"}},
        ),
        (
            409,
            {
                "content": busy_body,
                "headers": {**admin, **json_type, "Idempotency-Key": "busy-key"},
            },
        ),
    ]
    for status, kwargs in refusals:
        response = await client.post("/v1/departments", **kwargs)
        assert_problem(response, status)
    events = await _events(client, admin, result="rejected")
    statuses = sorted(e["statusCode"] for e in events)
    assert statuses == sorted(status for status, _ in refusals)
    for event in events:
        assert event["action"] == "POST /v1/departments"
        assert event["actorRole"] == "admin"
        assert event["requestId"] and event["clientAddress"]
