"""POST /v1/member-syncs: counts, dry runs, atomic refusals that list every bad entry,
idempotent re-runs, the mass-deactivation guard, synced fields and Idempotency-Key."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.core.config import get_settings
from tests.core.support import assert_problem, row_counts
from tests.factories import bearer, make_department, make_key, make_member

MERGE_PATCH = "application/merge-patch+json"


def person(n: int, code: str = "AGR", **overrides: Any) -> dict[str, Any]:
    return {
        "externalId": f"HR-{n:06d}",
        "email": f"persoon{n}@amsterdam.example",
        "givenName": f"Voornaam{n}",
        "familyName": f"Achternaam{n}",
        "departmentCode": code,
        **overrides,
    }


def payload(members: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return {
        "scope": {"departmentCodes": ["AGR"]},
        "mode": "strict",
        "departments": [{"code": "AGR", "name": "Afval & Grondstoffen", "kind": "afdeling"}],
        "members": members,
        **overrides,
    }


async def post_sync(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.post("/v1/member-syncs", json=body, headers={**bearer(key), **headers})


async def members_by_external_id(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    url: str | None = "/v1/members?pageSize=100"
    while url:
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        for item in response.json()["items"]:
            found[item["externalId"]] = item
        url = response.json()["next"]
    return found


async def test_first_run_creates_departments_and_members(client):
    key = await make_key("sync")
    response = await post_sync(client, key, payload([person(1), person(2), person(3)]))
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "applied"
    assert run["counts"] == {
        "received": 3,
        "created": 3,
        "updated": 0,
        "reactivated": 0,
        "deactivated": 0,
        "unchanged": 0,
        "departmentsCreated": 1,
        "departmentsUpdated": 0,
    }
    assert run["actor"]["role"] == "sync"
    assert {c["action"] for c in run["changes"]} == {"created"}
    first = next(c for c in run["changes"] if c["externalId"] == "HR-000001")
    assert first["fields"]["email"] == {"old": None, "new": "persoon1@amsterdam.example"}
    assert first["fields"]["departmentCode"] == {"old": None, "new": "AGR"}
    assert response.headers["Location"].endswith(f"/v1/member-syncs/{run['id']}")

    fetched = await client.get(response.headers["Location"], headers=bearer(key))
    assert fetched.status_code == 200
    assert fetched.json() == run

    admin = await make_key("admin")
    members = await members_by_external_id(client, admin)
    assert set(members) == {"HR-000001", "HR-000002", "HR-000003"}
    for member in members.values():
        assert member["source"] == "sync"
        assert member["status"] == "active"
        assert member["department"]["code"] == "AGR"
        assert member["participation"] == "participant"
    assert members["HR-000001"]["displayName"] == "Voornaam1 Achternaam1"

    listed = await client.get("/v1/member-syncs", headers=bearer(key))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [run["id"]]
    assert "changes" not in items[0]
    assert items[0]["counts"]["created"] == 3


async def test_update_reactivate_and_deactivate_counts(client):
    key = await make_key("sync")
    first = await post_sync(client, key, payload([person(n) for n in range(1, 9)]))
    assert first.status_code == 201, first.text

    # 8 → drop 1 and 2 (strict deactivates them: 2 of 8 is 25 %, allowed), rename 3.
    second = await post_sync(
        client,
        key,
        payload([person(3, familyName="Nieuw"), *(person(n) for n in range(4, 9))]),
    )
    assert second.status_code == 201, second.text
    counts = second.json()["counts"]
    assert (counts["updated"], counts["deactivated"], counts["unchanged"]) == (1, 2, 5)
    changes = {c["externalId"]: c for c in second.json()["changes"]}
    assert changes["HR-000003"]["fields"] == {"familyName": {"old": "Achternaam3", "new": "Nieuw"}}
    assert changes["HR-000001"]["action"] == "deactivated"

    # 1 comes back (reactivated, with a new address), 9 is new, 2 stays away.
    third = await post_sync(
        client,
        key,
        payload(
            [
                person(1, email="terug1@amsterdam.example"),
                person(3, familyName="Nieuw"),
                *(person(n) for n in range(4, 10)),
            ]
        ),
    )
    assert third.status_code == 201, third.text
    counts = third.json()["counts"]
    assert counts["reactivated"] == 1
    assert counts["created"] == 1
    assert counts["deactivated"] == 0
    assert counts["unchanged"] == 6
    back = next(c for c in third.json()["changes"] if c["externalId"] == "HR-000001")
    assert back["action"] == "reactivated"
    assert back["fields"]["status"] == {"old": "inactive", "new": "active"}
    assert back["fields"]["email"]["new"] == "terug1@amsterdam.example"

    members = await members_by_external_id(client, await make_key("admin"))
    assert members["HR-000001"]["status"] == "active"
    assert members["HR-000001"]["deactivatedAt"] is None
    assert members["HR-000002"]["status"] == "inactive"  # kept, never deleted
    assert members["HR-000002"]["deactivatedAt"] is not None
    assert members["HR-000003"]["familyName"] == "Nieuw"
    assert len(members) == 9


async def test_additive_mode_never_deactivates(client):
    key = await make_key("sync")
    await post_sync(client, key, payload([person(1), person(2)]))
    response = await post_sync(client, key, payload([person(1)], mode="additive"))
    assert response.status_code == 201
    assert response.json()["counts"]["deactivated"] == 0
    members = await members_by_external_id(client, await make_key("admin"))
    assert members["HR-000002"]["status"] == "active"


async def test_dry_run_answers_the_same_and_writes_only_the_run(client):
    key = await make_key("sync")
    before = await row_counts()
    response = await post_sync(client, key, payload([person(1), person(2)], dryRun=True))
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "previewed"
    assert run["dryRun"] is True
    assert run["counts"]["created"] == 2
    assert run["counts"]["departmentsCreated"] == 1
    after = await row_counts()
    changed = {table for table in after if after[table] != before.get(table)}
    assert changed == {"member_syncs"}
    assert after["member_syncs"] == before.get("member_syncs", 0) + 1


async def test_an_invalid_payload_is_refused_whole_listing_every_bad_entry(client):
    key = await make_key("sync")
    await make_department(code="GO", name="Green Office")
    outsider = await make_member(email="bezet@amsterdam.example", externalId="OTHER-1")
    before = await row_counts()
    members = [
        person(0),
        person(1, email="geen-adres"),
        person(2, departmentCode="NOPE"),
        person(3, departmentCode="GO"),
        person(4, externalId="HR-000000"),
        person(5, email="PERSOON0@amsterdam.example"),
        person(6, email=outsider["email"]),
        person(7, givenName=""),
    ]
    response = await post_sync(client, key, payload(members))
    body = assert_problem(response, 400)
    names = {p["name"] for p in body["invalidParams"]}
    assert {
        "members[1].email",
        "members[2].departmentCode",
        "members[3].departmentCode",
        "members[4].externalId",
        "members[5].email",
        "members[6].email",
        "members[7].givenName",
    } <= names
    assert not any(name.startswith("members[0]") for name in names)
    codes = {p["name"]: p["code"] for p in body["invalidParams"]}
    assert codes["members[2].departmentCode"] == "unknown_department"
    assert codes["members[3].departmentCode"] == "out_of_scope"
    assert codes["members[6].email"] == "taken"
    assert await row_counts() == before


async def test_semantic_problems_alone_are_listed_too(client):
    key = await make_key("sync")
    before = await row_counts()
    body = payload(
        [person(1), person(2, departmentCode="ELDERS"), person(3, externalId="HR-000001")],
        scope={"departmentCodes": ["AGR", "SPOOK"]},
    )
    response = await post_sync(client, key, body)
    problem = assert_problem(response, 400)
    names = {p["name"] for p in problem["invalidParams"]}
    assert names == {
        "scope.departmentCodes[1]",
        "members[1].departmentCode",
        "members[2].externalId",
    }
    assert await row_counts() == before


async def test_a_rerun_of_the_same_payload_writes_no_member_rows(client, statements):
    key = await make_key("sync")
    body = payload([person(n) for n in range(1, 41)])
    first = await post_sync(client, key, body)
    assert first.status_code == 201
    admin = await make_key("admin")
    before = await members_by_external_id(client, admin)

    statements.statements.clear()
    again = await post_sync(client, key, body)
    assert again.status_code == 201, again.text
    assert again.json()["counts"]["unchanged"] == 40
    assert again.json()["changes"] == []
    writes = [
        s
        for s in statements.statements
        if s.lstrip().upper().startswith(("INSERT INTO MEMBERS", "UPDATE MEMBERS"))
        or "INTO members " in s
        or s.lstrip().startswith("UPDATE members")
    ]
    assert writes == []
    after = await members_by_external_id(client, admin)
    assert {k: (v["version"], v["updatedAt"]) for k, v in after.items()} == {
        k: (v["version"], v["updatedAt"]) for k, v in before.items()
    }


async def test_statements_do_not_grow_with_the_number_of_members(client, statements):
    key = await make_key("sync")

    async def count(n: int, offset: int, code: str) -> int:
        body = payload(
            [person(offset + i, code=code) for i in range(n)],
            scope={"departmentCodes": [code]},
            departments=[{"code": code, "name": f"Afdeling {code}"}],
        )
        statements.statements.clear()
        response = await post_sync(client, key, body)
        assert response.status_code == 201, response.text
        return statements.count

    await client.get("/v1/member-syncs", headers=bearer(key))  # the key is now verified
    small = await count(5, 0, "KLEIN")
    large = await count(600, 1000, "GROOT")
    assert large == small
    assert large <= 15


async def test_mass_deactivation_is_refused_unless_allowed(client):
    key = await make_key("sync")
    await post_sync(client, key, payload([person(n) for n in range(1, 5)]))
    # Dropping 2 of 4 active members is 50 %.
    response = await post_sync(client, key, payload([person(1), person(2)]))
    body = assert_problem(response, 409)
    assert body["wouldDeactivate"] == 2
    assert body["activeInScope"] == 4
    dry = await post_sync(client, key, payload([person(1), person(2)], dryRun=True))
    assert dry.status_code == 409

    members = await members_by_external_id(client, await make_key("admin"))
    assert all(m["status"] == "active" for m in members.values())

    allowed = await post_sync(
        client, key, payload([person(1), person(2)], allowMassDeactivation=True)
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["counts"]["deactivated"] == 2


async def test_synced_fields_are_read_only_through_patch(client):
    key = await make_key("sync")
    response = await post_sync(client, key, payload([person(1)]))
    member_id = response.json()["changes"][0]["memberId"]
    admin = await make_key("admin")
    headers = {**bearer(admin), "Content-Type": MERGE_PATCH}
    refused = await client.patch(
        f"/v1/members/{member_id}",
        content=json.dumps({"email": "ander@amsterdam.example"}),
        headers=headers,
    )
    body = assert_problem(refused, 409)
    assert "sync" in body["detail"]
    allowed = await client.patch(
        f"/v1/members/{member_id}",
        content=json.dumps({"displayName": "Roepnaam", "participation": "follower"}),
        headers=headers,
    )
    assert allowed.status_code == 200, allowed.text

    # The community fields stay the member's: the next sync leaves them alone.
    again = await post_sync(client, key, payload([person(1, displayName="HR-naam")]))
    assert again.json()["counts"]["unchanged"] == 1
    member = (await client.get(f"/v1/members/{member_id}", headers=bearer(admin))).json()
    assert member["displayName"] == "Roepnaam"
    assert member["participation"] == "follower"


async def test_idempotency_key_replays_the_first_answer(client):
    key = await make_key("sync")
    body = payload([person(1), person(2)])
    first = await post_sync(client, key, body, **{"Idempotency-Key": "sync-run-1"})
    assert first.status_code == 201
    second = await post_sync(client, key, body, **{"Idempotency-Key": "sync-run-1"})
    assert second.status_code == 201
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.json() == first.json()
    listed = await client.get("/v1/member-syncs", headers=bearer(key))
    assert len(listed.json()["items"]) == 1


async def test_a_member_created_by_hand_is_adopted_by_address(client):
    key = await make_key("sync")
    department = await make_department(code="AGR", name="Afval & Grondstoffen")
    manual = await make_member(
        email="persoon1@amsterdam.example", externalId=None, departmentId=department["id"]
    )
    response = await post_sync(client, key, payload([person(1)]))
    assert response.status_code == 201, response.text
    change = response.json()["changes"][0]
    assert change["memberId"] == str(manual["id"])
    assert change["action"] == "updated"
    assert change["fields"]["externalId"] == {"old": None, "new": "HR-000001"}
    assert change["fields"]["source"] == {"old": "manual", "new": "sync"}


async def test_addresses_can_swap_between_synced_members(client):
    key = await make_key("sync")
    await post_sync(client, key, payload([person(1), person(2)]))
    swapped = payload(
        [
            person(1, email="persoon2@amsterdam.example"),
            person(2, email="persoon1@amsterdam.example"),
        ]
    )
    response = await post_sync(client, key, swapped)
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["updated"] == 2
    members = await members_by_external_id(client, await make_key("admin"))
    assert members["HR-000001"]["email"] == "persoon2@amsterdam.example"
    assert members["HR-000002"]["email"] == "persoon1@amsterdam.example"


async def test_departments_are_upserted_by_code(client):
    key = await make_key("sync")
    parent = await make_department(code="RD", name="Ruimte en Duurzaamheid", kind="directie")
    await make_department(code="AGR", name="Afval en Grondstoffen (oud)")
    body = payload(
        [person(1), person(2, code="GO")],
        scope={"departmentCodes": ["AGR", "GO"]},
        departments=[
            {"code": "AGR", "name": "Afval & Grondstoffen", "parentCode": "RD"},
            {"code": "GO", "name": "Green Office", "kind": "team", "parentCode": "AGR"},
        ],
    )
    response = await post_sync(client, key, body)
    assert response.status_code == 201, response.text
    changes = {c["code"]: c for c in response.json()["departmentChanges"]}
    assert changes["GO"]["action"] == "created"
    assert changes["AGR"]["action"] == "updated"
    assert changes["AGR"]["fields"]["parentCode"] == {"old": None, "new": "RD"}
    admin = await make_key("admin")
    go = (await client.get("/v1/departments?code=GO", headers=bearer(admin))).json()["items"][0]
    agr = (await client.get("/v1/departments?code=AGR", headers=bearer(admin))).json()["items"][0]
    assert go["parentId"] == agr["id"]
    assert agr["parentId"] == str(parent["id"])
    assert agr["name"] == "Afval & Grondstoffen"

    cyclic = payload(
        [person(1)],
        scope={"departmentCodes": ["AGR", "GO"]},
        departments=[
            {"code": "AGR", "name": "Afval & Grondstoffen", "parentCode": "GO"},
            {"code": "GO", "name": "Green Office", "parentCode": "AGR"},
        ],
    )
    refused = await post_sync(client, key, cyclic)
    problem = assert_problem(refused, 400)
    assert {p["code"] for p in problem["invalidParams"]} == {"cycle"}


@pytest.mark.parametrize("role", ["reader", "member", "facilitator"])
async def test_only_sync_and_admin_keys_may_sync(client, role):
    key = await make_key(role)
    response = await post_sync(client, key, payload([person(1)]))
    assert_problem(response, 403)
    listed = await client.get("/v1/member-syncs", headers=bearer(key))
    assert_problem(listed, 403)
    anonymous = await client.post("/v1/member-syncs", json=payload([person(1)]))
    assert_problem(anonymous, 401)


async def test_unknown_run_is_404(client):
    key = await make_key("admin")
    response = await client.get(
        "/v1/member-syncs/00000000-0000-4000-8000-000000000000", headers=bearer(key)
    )
    assert_problem(response, 404)


def realistic(n: int) -> dict[str, Any]:
    return {
        "externalId": f"AMS-{n:08d}",
        "email": f"voornaam-{n}.tussenvoegsel.achternaam@amsterdam.example",
        "givenName": "Maximiliaan-Alexander",
        "familyName": "van der Achternaam-Dubbelnaam",
        "displayName": "Maximiliaan-Alexander van der Achternaam-Dubbelnaam",
        "departmentCode": "AGR",
        "participation": "follower",
    }


async def test_twenty_thousand_members_fit_in_one_request(client):
    members = [realistic(n) for n in range(20_000)]
    body = json.dumps(payload(members, dryRun=True), indent=2).encode()
    assert len(body) < get_settings().max_sync_body_bytes
    key = await make_key("sync")
    response = await client.post(
        "/v1/member-syncs",
        content=body,
        headers={**bearer(key), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text[:500]
    assert response.json()["counts"]["created"] == 20_000


async def test_a_body_over_the_sync_limit_is_413(client):
    key = await make_key("sync")
    limit = get_settings().max_sync_body_bytes
    response = await client.post(
        "/v1/member-syncs",
        content=b" " * (limit + 1),
        headers={**bearer(key), "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


async def test_an_invalid_body_from_a_caller_without_the_right_key_reveals_nothing(client):
    await make_member(email="bezet@amsterdam.example", externalId="OTHER-1")
    body = payload([person(1, email="bezet@amsterdam.example", givenName="")])
    anonymous = await client.post("/v1/member-syncs", json=body)
    assert_problem(anonymous, 401)
    reader = await post_sync(client, await make_key("reader"), body)
    problem = assert_problem(reader, 403)
    assert "invalidParams" not in problem
