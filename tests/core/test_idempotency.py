"""Idempotency-Key on POST: a retry replays the first answer without a second effect, another
body under the same key is 422, a retry while the first is in flight is 409, failed attempts
free the key, and keys belong to the credential that sent them."""

from __future__ import annotations

import orjson

from app.core import idempotency
from tests.conftest import raw_sql
from tests.core.support import assert_problem, row_counts
from tests.factories import bearer, make_key

JSON = {"Content-Type": "application/json"}


def _department(code: str) -> bytes:
    return orjson.dumps({"code": code, "name": f"Afdeling {code}", "kind": "afdeling"})


async def _departments(client, headers) -> list[str]:
    listed = await client.get("/v1/departments?pageSize=100", headers=headers)
    return [item["code"] for item in listed.json()["items"]]


async def test_same_key_and_body_replays_the_first_answer_without_a_second_row(client):
    admin = bearer(await make_key())
    headers = {**admin, **JSON, "Idempotency-Key": "create-idem-1"}
    first = await client.post("/v1/departments", content=_department("IDEM"), headers=headers)
    assert first.status_code == 201, first.text
    counts = await row_counts()
    for _ in range(2):
        again = await client.post("/v1/departments", content=_department("IDEM"), headers=headers)
        assert again.status_code == first.status_code
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["content-type"].startswith("application/json")
    assert await row_counts() == counts
    assert await _departments(client, admin) == ["IDEM"]
    events = await client.get("/v1/audit-events?action=departments-create", headers=admin)
    assert len(events.json()["items"]) == 1


async def test_same_key_with_another_body_is_422(client):
    admin = bearer(await make_key())
    headers = {**admin, **JSON, "Idempotency-Key": "create-idem-2"}
    first = await client.post("/v1/departments", content=_department("ONE"), headers=headers)
    assert first.status_code == 201, first.text
    counts = await row_counts()
    other = await client.post("/v1/departments", content=_department("TWO"), headers=headers)
    assert_problem(other, 422)
    assert await row_counts() == counts
    assert await _departments(client, admin) == ["ONE"]


async def test_a_condition_is_part_of_the_request(client):
    """A retry sends its If-Match again and is replayed; the same key and body under another
    condition (even a malformed one) is another request: 422, never the first answer."""
    admin = bearer(await make_key())
    headers = {**admin, **JSON, "Idempotency-Key": "create-idem-cond", "If-Match": '"1"'}
    first = await client.post("/v1/departments", content=_department("COND"), headers=headers)
    assert first.status_code == 201, first.text
    retry = await client.post("/v1/departments", content=_department("COND"), headers=headers)
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    counts = await row_counts()
    for condition in ('"2"', "0" * 201):
        other = await client.post(
            "/v1/departments",
            content=_department("COND"),
            headers={**headers, "If-Match": condition},
        )
        assert_problem(other, 422)
    without = {key: value for key, value in headers.items() if key != "If-Match"}
    bare = await client.post("/v1/departments", content=_department("COND"), headers=without)
    assert_problem(bare, 422)
    assert await row_counts() == counts


async def test_same_key_on_another_path_is_422(client):
    admin = bearer(await make_key())
    headers = {**admin, **JSON, "Idempotency-Key": "create-idem-3"}
    body = orjson.dumps({"email": "p@amsterdam.example", "givenName": "P", "familyName": "Q"})
    first = await client.post("/v1/members", content=body, headers=headers)
    assert first.status_code == 201, first.text
    assert_problem(await client.post("/v1/departments", content=body, headers=headers), 422)


async def test_a_retry_while_the_first_is_in_flight_is_409(client):
    key = await make_key()
    body = _department("FLIGHT")
    owner = idempotency.owner_of(f"Bearer {key}".encode())
    fp = idempotency.fingerprint("POST", "/v1/departments", b"", body)
    claimed = await idempotency.claim(owner, "in-flight-1", fp, 60)
    assert claimed.outcome == "proceed"
    counts = await row_counts()
    headers = {**bearer(key), **JSON, "Idempotency-Key": "in-flight-1"}
    response = await client.post("/v1/departments", content=body, headers=headers)
    assert_problem(response, 409)
    assert int(response.headers["retry-after"]) >= 1
    assert await row_counts() == counts


async def test_an_abandoned_claim_is_taken_over_once_its_lock_expires(client):
    """A worker that died mid-request leaves its claim behind; after the lock it is retried."""
    key = await make_key()
    body = _department("TAKEOVER")
    owner = idempotency.owner_of(f"Bearer {key}".encode())
    fp = idempotency.fingerprint("POST", "/v1/departments", b"", body)
    assert (await idempotency.claim(owner, "abandoned-1", fp, 0)).outcome == "proceed"
    headers = {**bearer(key), **JSON, "Idempotency-Key": "abandoned-1"}
    response = await client.post("/v1/departments", content=body, headers=headers)
    assert response.status_code == 201, response.text
    replay = await client.post("/v1/departments", content=body, headers=headers)
    assert replay.json() == response.json()


async def test_a_refused_attempt_frees_the_key_for_a_corrected_request(client):
    admin = bearer(await make_key())
    headers = {**admin, **JSON, "Idempotency-Key": "fix-and-retry"}
    invalid = orjson.dumps({"code": "", "name": "Leeg", "kind": "afdeling"})
    counts = await row_counts()
    assert_problem(await client.post("/v1/departments", content=invalid, headers=headers), 400)
    assert await row_counts() == counts  # not even an idempotency record is left behind
    fixed = await client.post("/v1/departments", content=_department("FIXED"), headers=headers)
    assert fixed.status_code == 201, fixed.text
    # Now the key holds the success; the old body under it is a mismatch, not a new attempt.
    assert_problem(await client.post("/v1/departments", content=invalid, headers=headers), 422)


async def test_a_conflict_frees_the_key_too(client):
    admin = bearer(await make_key())
    first = await client.post(
        "/v1/departments", content=_department("TAKEN"), headers={**admin, **JSON}
    )
    assert first.status_code == 201
    headers = {**admin, **JSON, "Idempotency-Key": "after-conflict"}
    clash = await client.post("/v1/departments", content=_department("TAKEN"), headers=headers)
    assert_problem(clash, 409)
    fresh = await client.post("/v1/departments", content=_department("FREE"), headers=headers)
    assert fresh.status_code == 201, fresh.text


async def test_keys_are_scoped_per_credential(client):
    alice, bob = bearer(await make_key()), bearer(await make_key())
    shared = {"Idempotency-Key": "same-key-two-callers", **JSON}
    a = await client.post("/v1/departments", content=_department("ALICE"), headers=alice | shared)
    b = await client.post("/v1/departments", content=_department("BOB"), headers=bob | shared)
    assert a.status_code == 201, a.text
    assert b.status_code == 201, b.text
    assert sorted(await _departments(client, alice)) == ["ALICE", "BOB"]


async def test_another_credential_never_sees_the_first_answer(client):
    alice, bob = bearer(await make_key()), bearer(await make_key())
    shared = {"Idempotency-Key": "not-yours", **JSON}
    body = _department("MINE")
    assert (
        await client.post("/v1/departments", content=body, headers=alice | shared)
    ).status_code == 201
    # Same key and body from someone else runs anew (here: a clash on the code), no replay.
    response = await client.post("/v1/departments", content=body, headers=bob | shared)
    assert_problem(response, 409)


async def test_replay_of_a_new_api_key_never_shows_the_secret_again(client):
    admin = bearer(await make_key())
    headers = {**admin, **JSON, "Idempotency-Key": "issue-key-once"}
    body = orjson.dumps({"name": "script", "role": "reader"})
    first = await client.post("/v1/api-keys", content=body, headers=headers)
    assert first.status_code == 201, first.text
    secret = first.json()["key"]
    again = await client.post("/v1/api-keys", content=body, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert secret not in again.text
    stored = await raw_sql("SELECT response_body FROM idempotency_records")
    assert stored and all(secret.encode() not in bytes(row[0]) for row in stored)


async def test_a_malformed_key_is_a_400(client):
    admin = bearer(await make_key())
    counts = await row_counts()
    for bad in ("", "x" * 300, "spaces are not allowed", "tab\there"):
        response = await client.post(
            "/v1/departments",
            content=_department("BADKEY"),
            headers={**admin, **JSON, "Idempotency-Key": bad},
        )
        assert_problem(response, 400)
    assert await row_counts() == counts


async def test_credentials_are_checked_before_any_key_is_claimed_or_replayed(client):
    """Without valid credentials a POST is a 401 whatever its Idempotency-Key: no key is
    claimed for it, and a key a revoked credential used before replays nothing."""
    admin_key = await make_key()
    admin = bearer(admin_key)
    shared = {**JSON, "Idempotency-Key": "who-are-you"}
    for credentials in ({}, bearer("lgk_not-a-key"), {"Authorization": "Basic eDp5"}):
        for code in ("ANON1", "ANON2"):  # the same key twice, with another body
            response = await client.post(
                "/v1/departments", content=_department(code), headers=credentials | shared
            )
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await raw_sql("SELECT id FROM idempotency_records") == []
    # Each attempt with a presented key counts once against the failed-authentication limit.
    assert [row[0] for row in await raw_sql("SELECT failures FROM auth_failures")] == [2]

    # A revoked key gets no replay of what it did before.
    issued = await client.post(
        "/v1/api-keys", json={"name": "tijdelijk", "role": "admin"}, headers=admin
    )
    temporary = bearer(issued.json()["key"])
    first = await client.post(
        "/v1/departments", content=_department("TEMP"), headers=temporary | shared
    )
    assert first.status_code == 201, first.text
    revoked = await client.delete(f"/v1/api-keys/{issued.json()['id']}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    retry = await client.post(
        "/v1/departments", content=_department("TEMP"), headers=temporary | shared
    )
    assert_problem(retry, 401)
    assert await _departments(client, admin) == ["TEMP"]
