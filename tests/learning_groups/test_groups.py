"""Learning groups: create, detail with its embedded theme, organisation and current
members, filters, the lifecycle (merging included), and constant statement counts."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params, row_counts
from tests.factories import (
    add_membership,
    bearer,
    make_group,
    make_key,
    make_member,
    make_organisation,
    make_theme,
    make_workshop,
)

MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str, if_match: str | None = None
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def test_create_embeds_theme_and_facilitator_organisation(client):
    key = await make_key("admin")
    theme = await make_theme(name="De gemeente en marktpartijen", transitionRole="coalitiebouwer")
    drift = await make_organisation(name="DRIFT", kind="facilitator")
    workshop = await make_workshop()
    response = await client.post(
        "/v1/learning-groups",
        json={
            "name": "Circulair inkopen",
            "themeId": str(theme["id"]),
            "mode": "facilitated",
            "facilitatorOrganisationId": str(drift["id"]),
            "formedAtWorkshopId": str(workshop["id"]),
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "forming"
    assert body["allowedTransitions"] == ["active", "merged"]
    assert body["theme"] == {
        "id": str(theme["id"]),
        "name": "De gemeente en marktpartijen",
        "transitionRole": "coalitiebouwer",
    }
    assert body["facilitatorOrganisation"] == {"id": str(drift["id"]), "name": "DRIFT"}
    assert body["formedAtWorkshopId"] == str(workshop["id"])
    assert body["members"] == []
    assert body["memberCount"] == 0
    assert body["mergedIntoId"] is None
    assert response.headers["ETag"] == '"1"'
    fetched = await client.get(response.headers["Location"], headers=bearer(key))
    assert fetched.json() == body
    events = await raw_sql("SELECT action FROM audit_events WHERE object_type = 'learning-group'")
    assert [e.action for e in events] == ["learning-groups-create"]


async def test_unknown_references_are_400_naming_each_property(client):
    key = await make_key("admin")
    before = await row_counts()
    response = await client.post(
        "/v1/learning-groups",
        json={
            "name": "Wees",
            "themeId": str(uuid.uuid4()),
            "mode": "facilitated",
            "facilitatorOrganisationId": str(uuid.uuid4()),
            "formedAtWorkshopId": str(uuid.uuid4()),
        },
        headers=bearer(key),
    )
    assert invalid_params(assert_problem(response, 400)) == {
        ("body", "themeId"),
        ("body", "facilitatorOrganisationId"),
        ("body", "formedAtWorkshopId"),
    }
    group = await make_group()
    patched = await patch(
        client, f"/v1/learning-groups/{group['id']}", {"themeId": str(uuid.uuid4())}, key
    )
    assert invalid_params(assert_problem(patched, 400)) == {("body", "themeId")}
    assert (await row_counts())["learning_groups"] == before["learning_groups"] + 1


async def test_input_is_validated_all_at_once(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/learning-groups",
        json={"name": "", "mode": "solo", "status": "active", "themeId": "nope"},
        headers=bearer(key),
    )
    assert {n for _, n in invalid_params(assert_problem(response, 400))} == {
        "name",
        "mode",
        "status",
        "themeId",
    }


async def test_a_self_directed_group_has_no_facilitator_organisation(client):
    key = await make_key("admin")
    theme = await make_theme(transitionRole="verbinder")
    drift = await make_organisation(kind="facilitator")
    response = await client.post(
        "/v1/learning-groups",
        json={
            "name": "Zelfsturend",
            "themeId": str(theme["id"]),
            "mode": "self_directed",
            "facilitatorOrganisationId": str(drift["id"]),
        },
        headers=bearer(key),
    )
    assert invalid_params(assert_problem(response, 400)) == {("body", "facilitatorOrganisationId")}
    group = await make_group(
        themeId=str(theme["id"]), mode="facilitated", facilitatorOrganisationId=str(drift["id"])
    )
    url = f"/v1/learning-groups/{group['id']}"
    assert_problem(await patch(client, url, {"mode": "self_directed"}, key), 400)
    both = await patch(
        client, url, {"mode": "self_directed", "facilitatorOrganisationId": None}, key
    )
    assert both.status_code == 200, both.text
    assert both.json()["facilitatorOrganisation"] is None


async def test_patch_merges_and_honours_if_match(client):
    key = await make_key("admin")
    group = await make_group(description="Eerst")
    url = f"/v1/learning-groups/{group['id']}"
    changed = await patch(client, url, {"name": "Hergebruik in de bouw"}, key, '"1"')
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "Eerst"
    assert changed.headers["ETag"] == '"2"'
    assert_problem(await patch(client, url, {"description": None}, key, '"1"'), 412)
    refused = await patch(client, url, {"name": None, "status": None, "version": 1}, key)
    assert {n for _, n in invalid_params(assert_problem(refused, 400))} == {
        "name",
        "status",
        "version",
    }


async def test_filters_and_search(client):
    key = await make_key("reader")
    verbinder = await make_theme(transitionRole="verbinder")
    makelaar = await make_theme(transitionRole="gebiedsmakelaar")
    drift = await make_organisation(kind="facilitator")
    first = await make_workshop()
    anna = await make_member()
    a = await make_group(name="A inkoop", themeId=str(verbinder["id"]))
    b = await make_group(
        name="B buurt",
        themeId=str(makelaar["id"]),
        mode="facilitated",
        facilitatorOrganisationId=str(drift["id"]),
        formedAtWorkshopId=str(first["id"]),
        status="active",
    )
    c = await make_group(name="C vastgoed", themeId=str(makelaar["id"]), status="active")
    await add_membership(a["id"], anna["id"])
    membership = await add_membership(c["id"], anna["id"])
    await add_membership(b["id"], (await make_member())["id"])

    async def names(query: str) -> list[str]:
        response = await client.get(f"/v1/learning-groups?{query}", headers=bearer(key))
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names("") == ["A inkoop", "B buurt", "C vastgoed"]
    assert await names(f"themeId={makelaar['id']}") == ["B buurt", "C vastgoed"]
    assert await names("mode=facilitated") == ["B buurt"]
    assert await names("status=active") == ["B buurt", "C vastgoed"]
    assert await names(f"status=active&themeId={makelaar['id']}&mode=self_directed") == [
        "C vastgoed"
    ]
    assert await names(f"memberId={anna['id']}") == ["A inkoop", "C vastgoed"]
    assert await names(f"facilitatorOrganisationId={drift['id']}") == ["B buurt"]
    assert await names(f"formedAtWorkshopId={first['id']}") == ["B buurt"]
    assert await names("q=VASTGOED") == ["C vastgoed"]
    assert await names("sort=-name&pageSize=2") == ["C vastgoed", "B buurt"]

    # memberId means a current membership: after leaving, the group drops out.
    admin = await make_key("admin")
    left = await client.delete(
        f"/v1/learning-groups/{c['id']}/memberships/{membership['id']}", headers=bearer(admin)
    )
    assert left.status_code == 200
    assert await names(f"memberId={anna['id']}") == ["A inkoop"]

    listed = await client.get("/v1/learning-groups?status=active", headers=bearer(key))
    first_item = listed.json()["items"][0]
    assert first_item["theme"]["transitionRole"] == "gebiedsmakelaar"
    assert first_item["memberCount"] == 1
    assert "members" not in first_item
    bad = await client.get("/v1/learning-groups?mode=solo&status=done", headers=bearer(key))
    assert invalid_params(assert_problem(bad, 400)) == {("query", "mode"), ("query", "status")}


async def test_detail_embeds_only_current_members(client):
    key = await make_key("reader")
    group = await make_group()
    facilitator = await make_member(displayName="Fenna (DRIFT)")
    stays = await make_member(displayName="Sanne")
    leaves = await make_member(displayName="Lars")
    await add_membership(group["id"], facilitator["id"], role="facilitator")
    await add_membership(group["id"], stays["id"], role="lead")
    gone = await add_membership(group["id"], leaves["id"])
    admin = await make_key("admin")
    await client.delete(
        f"/v1/learning-groups/{group['id']}/memberships/{gone['id']}", headers=bearer(admin)
    )

    detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(key))).json()
    assert [(m["displayName"], m["role"]) for m in detail["members"]] == [
        ("Fenna (DRIFT)", "facilitator"),
        ("Sanne", "lead"),
    ]
    assert set(detail["members"][0]) == {
        "membershipId",
        "memberId",
        "displayName",
        "department",
        "status",
        "role",
        "joinedAt",
    }
    assert detail["memberCount"] == 2


GROUP_PATHS = [
    ("forming", "active"),
    ("active", "presented"),
    ("presented", "concluded"),
]


@pytest.mark.parametrize(("start", "target"), GROUP_PATHS)
async def test_every_allowed_step_of_the_lifecycle(client, start, target):
    key = await make_key("admin")
    group = await make_group(status=start)
    response = await patch(client, f"/v1/learning-groups/{group['id']}", {"status": target}, key)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == target
    events = await raw_sql(
        "SELECT detail FROM audit_events WHERE action = 'learning-groups-update' ORDER BY id"
    )
    detail = events[-1].detail
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert (detail["fromStatus"], detail["toStatus"]) == (start, target)


@pytest.mark.parametrize("start", ["forming", "active", "presented"])
async def test_forming_active_and_presented_groups_may_merge(client, start):
    key = await make_key("admin")
    survivor = await make_group(name="Blijft")
    group = await make_group(status=start)
    response = await patch(
        client,
        f"/v1/learning-groups/{group['id']}",
        {"status": "merged", "mergedIntoId": str(survivor["id"])},
        key,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "merged"
    assert response.json()["mergedIntoId"] == str(survivor["id"])
    assert response.json()["allowedTransitions"] == []


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("forming", "presented", ["active", "merged"]),
        ("forming", "concluded", ["active", "merged"]),
        ("active", "forming", ["merged", "presented"]),
        ("presented", "active", ["concluded", "merged"]),
        ("concluded", "active", []),
    ],
)
async def test_forbidden_steps_are_409_naming_the_allowed_ones(client, start, target, allowed):
    key = await make_key("admin")
    group = await make_group(status=start)
    url = f"/v1/learning-groups/{group['id']}"
    response = await patch(client, url, {"status": target}, key)
    body = assert_problem(response, 409)
    assert body["allowedTransitions"] == allowed
    unchanged = await client.get(url, headers=bearer(key))
    assert unchanged.json()["status"] == start
    assert unchanged.json()["version"] == group["version"]


async def test_merge_needs_a_live_other_group(client):
    key = await make_key("admin")
    group = await make_group(status="active")
    survivor = await make_group(name="Blijft")
    url = f"/v1/learning-groups/{group['id']}"

    missing = await patch(client, url, {"status": "merged"}, key)
    assert invalid_params(assert_problem(missing, 400)) == {("body", "mergedIntoId")}
    unknown = await patch(client, url, {"status": "merged", "mergedIntoId": str(uuid.uuid4())}, key)
    assert invalid_params(assert_problem(unknown, 400)) == {("body", "mergedIntoId")}
    itself = await patch(client, url, {"status": "merged", "mergedIntoId": str(group["id"])}, key)
    assert_problem(itself, 409)
    without_status = await patch(client, url, {"mergedIntoId": str(survivor["id"])}, key)
    assert invalid_params(assert_problem(without_status, 400)) == {("body", "mergedIntoId")}

    already = await make_group(status="merged", mergedIntoId=survivor["id"])
    into_merged = await patch(
        client, url, {"status": "merged", "mergedIntoId": str(already["id"])}, key
    )
    assert assert_problem(into_merged, 409)["mergedIntoId"] == str(already["id"])
    assert (await client.get(url, headers=bearer(key))).json()["status"] == "active"


async def test_a_merged_group_accepts_no_further_changes(client):
    key = await make_key("admin")
    survivor = await make_group()
    merged = await make_group(status="merged", mergedIntoId=survivor["id"])
    url = f"/v1/learning-groups/{merged['id']}"
    for change in ({"name": "Toch anders"}, {"status": "active"}, {"mergedIntoId": None}):
        body = assert_problem(await patch(client, url, change, key), 409)
        assert body["allowedTransitions"] == []
    member = await make_member()
    joined = await client.post(
        f"{url}/memberships", json={"memberId": str(member["id"])}, headers=bearer(key)
    )
    assert_problem(joined, 409)


async def test_list_runs_constant_statements_whatever_the_page_size(client, statements):
    key = await make_key("reader")
    theme = await make_theme(transitionRole="verbinder")
    drift = await make_organisation(kind="facilitator")
    for index in range(25):
        group = await make_group(
            name=f"Groep {index:02d}",
            themeId=str(theme["id"]),
            mode="facilitated",
            facilitatorOrganisationId=str(drift["id"]),
        )
        await add_membership(group["id"], (await make_member())["id"])
    await client.get("/v1/learning-groups?pageSize=1", headers=bearer(key))
    counts = {}
    for size in (5, 25):
        statements.statements.clear()
        response = await client.get(f"/v1/learning-groups?pageSize={size}", headers=bearer(key))
        items = response.json()["items"]
        assert len(items) == size
        assert all(i["memberCount"] == 1 and i["facilitatorOrganisation"] for i in items)
        counts[size] = statements.count
    assert counts[5] == counts[25] == 1, counts


async def test_detail_runs_constant_statements_whatever_the_group_size(client, statements):
    key = await make_key("reader")
    small = await make_group(name="Tien")
    large = await make_group(name="Veertig")
    people = [await make_member() for _ in range(40)]
    for person in people[:10]:
        await add_membership(small["id"], person["id"])
    for person in people:
        await add_membership(large["id"], person["id"])
    await client.get(f"/v1/learning-groups/{small['id']}", headers=bearer(key))

    counts = {}
    for group, size in ((small, 10), (large, 40)):
        statements.statements.clear()
        response = await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(key))
        assert len(response.json()["members"]) == size
        counts[size] = statements.count
    assert counts[10] == counts[40] <= 3, counts
