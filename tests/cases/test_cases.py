"""Cases: create and read with partners as a set, filters, the lifecycle, references, statement
counts, and who may work on which case (admins, the facilitators of the case's group)."""

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
    make_case,
    make_department,
    make_group,
    make_key,
    make_member,
    make_organisation,
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


async def test_create_with_partners_and_embedded_group_and_department(client):
    key = await make_key("admin")
    group = await make_group(name="Circulair slopen")
    department = await make_department(code="GMV", name="Gemeentelijk en Maatschappelijk Vastgoed")
    drift = await make_organisation(name="DRIFT", kind="facilitator")
    sloper = await make_organisation(name="Sloopbedrijf", kind="market_party")
    response = await client.post(
        "/v1/cases",
        json={
            "title": "Hergebruik bij de sloop van een schoolgebouw",
            "learningGroupId": str(group["id"]),
            "departmentId": str(department["id"]),
            "partnerOrganisationIds": [str(sloper["id"]), str(drift["id"]), str(sloper["id"])],
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "proposed"
    assert body["allowedTransitions"] == ["closed", "in_progress"]
    assert body["learningGroup"] == {"id": str(group["id"]), "name": "Circulair slopen"}
    assert body["department"]["code"] == "GMV"
    assert body["partnerOrganisationIds"] == sorted([str(drift["id"]), str(sloper["id"])])
    assert response.headers["ETag"] == '"1"'
    fetched = await client.get(response.headers["Location"], headers=bearer(key))
    assert fetched.json() == body
    events = await raw_sql("SELECT action FROM audit_events WHERE object_type = 'case'")
    assert [e.action for e in events] == ["cases-create"]


async def test_unknown_references_are_400_naming_each_property(client):
    key = await make_key("admin")
    partner = await make_organisation()
    before = await row_counts()
    response = await client.post(
        "/v1/cases",
        json={
            "title": "Wees",
            "learningGroupId": str(uuid.uuid4()),
            "departmentId": str(uuid.uuid4()),
            "presentedAtWorkshopId": str(uuid.uuid4()),
            "partnerOrganisationIds": [str(partner["id"]), str(uuid.uuid4())],
        },
        headers=bearer(key),
    )
    assert invalid_params(assert_problem(response, 400)) == {
        ("body", "learningGroupId"),
        ("body", "departmentId"),
        ("body", "presentedAtWorkshopId"),
        ("body", "partnerOrganisationIds[1]"),
    }
    assert await row_counts() == before


async def test_patch_replaces_partners_and_honours_if_match(client):
    key = await make_key("admin")
    first = await make_organisation()
    second = await make_organisation()
    case = await make_case(partnerOrganisationIds=[str(first["id"])], outcome="Nog open")
    url = f"/v1/cases/{case['id']}"

    replaced = await patch(client, url, {"partnerOrganisationIds": [str(second["id"])]}, key, '"1"')
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["partnerOrganisationIds"] == [str(second["id"])]
    assert replaced.json()["outcome"] == "Nog open"
    assert replaced.headers["ETag"] == '"2"'
    assert_problem(await patch(client, url, {"outcome": None}, key, '"1"'), 412)
    cleared = await patch(client, url, {"partnerOrganisationIds": [], "outcome": None}, key)
    assert cleared.json()["partnerOrganisationIds"] == []
    assert cleared.json()["outcome"] is None
    refused = await patch(client, url, {"partnerOrganisationIds": None, "title": None}, key)
    assert {n for _, n in invalid_params(assert_problem(refused, 400))} == {
        "partnerOrganisationIds",
        "title",
    }


async def test_filters_search_and_sort(client):
    key = await make_key("reader")
    group = await make_group()
    other_group = await make_group()
    department = await make_department()
    partner = await make_organisation()
    second = await make_workshop()
    await make_case(title="A", learningGroupId=str(group["id"]), departmentId=str(department["id"]))
    await make_case(
        title="B",
        learningGroupId=str(group["id"]),
        partnerOrganisationIds=[str(partner["id"])],
        status="presented",
        presentedAtWorkshopId=str(second["id"]),
        outcome="Materialenpaspoort ingevoerd",
    )
    await make_case(title="C", learningGroupId=str(other_group["id"]), status="in_progress")

    async def titles(query: str) -> list[str]:
        response = await client.get(f"/v1/cases?{query}", headers=bearer(key))
        assert response.status_code == 200, response.text
        return [item["title"] for item in response.json()["items"]]

    assert await titles("") == ["A", "B", "C"]
    assert await titles(f"learningGroupId={group['id']}") == ["A", "B"]
    assert await titles("status=in_progress") == ["C"]
    assert await titles(f"departmentId={department['id']}") == ["A"]
    assert await titles(f"partnerOrganisationId={partner['id']}") == ["B"]
    assert await titles(f"presentedAtWorkshopId={second['id']}") == ["B"]
    assert await titles("q=paspoort") == ["B"]
    assert await titles("sort=-title&pageSize=2") == ["C", "B"]
    bad = await client.get("/v1/cases?status=done&learningGroupId=x", headers=bearer(key))
    assert invalid_params(assert_problem(bad, 400)) == {
        ("query", "status"),
        ("query", "learningGroupId"),
    }


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("proposed", "in_progress"),
        ("proposed", "closed"),
        ("in_progress", "presented"),
        ("presented", "closed"),
    ],
)
async def test_every_allowed_step_of_the_lifecycle(client, start, target):
    key = await make_key("admin")
    case = await make_case(status=start)
    response = await patch(client, f"/v1/cases/{case['id']}", {"status": target}, key)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == target
    following = {"in_progress": ["presented"], "presented": ["closed"], "closed": []}
    assert response.json()["allowedTransitions"] == following[target]


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("proposed", "presented", ["closed", "in_progress"]),
        ("in_progress", "closed", ["presented"]),
        ("in_progress", "proposed", ["presented"]),
        ("presented", "in_progress", ["closed"]),
        ("closed", "proposed", []),
    ],
)
async def test_forbidden_steps_are_409_naming_the_allowed_ones(client, start, target, allowed):
    key = await make_key("admin")
    case = await make_case(status=start)
    url = f"/v1/cases/{case['id']}"
    body = assert_problem(await patch(client, url, {"status": target}, key), 409)
    assert body["allowedTransitions"] == allowed
    assert (await client.get(url, headers=bearer(key))).json()["status"] == start


async def test_a_merged_group_takes_no_new_cases(client):
    key = await make_key("admin")
    survivor = await make_group()
    merged = await make_group(status="merged", mergedIntoId=survivor["id"])
    created = await client.post(
        "/v1/cases",
        json={"title": "Te laat", "learningGroupId": str(merged["id"])},
        headers=bearer(key),
    )
    assert_problem(created, 409)
    case = await make_case(learningGroupId=str(survivor["id"]))
    moved = await patch(
        client, f"/v1/cases/{case['id']}", {"learningGroupId": str(merged["id"])}, key
    )
    assert_problem(moved, 409)


async def test_list_runs_constant_statements_whatever_the_page_size(client, statements):
    """The page is one statement with its group, department and werkplaats joined in, and one
    more for the partner organisations of all its cases, however many cases and partners."""
    key = await make_key("reader")
    group = await make_group()
    partners = [await make_organisation() for _ in range(3)]
    workshops = [await make_workshop() for _ in range(3)]
    for index in range(20):
        await make_case(
            title=f"Casus {index:02d}",
            learningGroupId=str(group["id"]),
            partnerOrganisationIds=[str(p["id"]) for p in partners[: index % 4]],
            presentedAtWorkshopId=str(workshops[index % 3]["id"]),
        )
    await client.get("/v1/cases?pageSize=1", headers=bearer(key))
    names = {str(p["id"]): p["name"] for p in partners}
    titles = {str(w["id"]): w["title"] for w in workshops}
    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        response = await client.get(f"/v1/cases?pageSize={size}", headers=bearer(key))
        items = response.json()["items"]
        assert len(items) == size
        assert [len(i["partnerOrganisationIds"]) for i in items[:4]] == [0, 1, 2, 3][:size]
        for item in items:
            assert item["partnerOrganisations"] == [
                {"id": i, "name": names[i]} for i in item["partnerOrganisationIds"]
            ]
            assert item["presentedAtWorkshop"]["title"] == titles[item["presentedAtWorkshopId"]]
        counts[size] = statements.count
    assert counts[2] == counts[20] == 2, counts


async def test_a_case_names_its_partners_and_the_werkplaats_it_was_presented_at(client):
    key = await make_key("admin")
    drift = await make_organisation(name="DRIFT", kind="facilitator")
    sloper = await make_organisation(name="Sloopbedrijf", kind="market_party")
    workshop = await make_workshop(
        title="Werkplaats 2: presentaties", startsAt="2024-09-12T13:00:00+02:00"
    )
    response = await client.post(
        "/v1/cases",
        json={
            "title": "Hergebruik bij de sloop",
            "partnerOrganisationIds": [str(sloper["id"]), str(drift["id"])],
            "presentedAtWorkshopId": str(workshop["id"]),
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # The references in the order of the ids beside them.
    by_id = {str(drift["id"]): "DRIFT", str(sloper["id"]): "Sloopbedrijf"}
    assert body["partnerOrganisations"] == [
        {"id": i, "name": by_id[i]} for i in body["partnerOrganisationIds"]
    ]
    assert len(body["partnerOrganisations"]) == 2
    assert body["presentedAtWorkshopId"] == str(workshop["id"])
    assert body["presentedAtWorkshop"] == {
        "id": str(workshop["id"]),
        "title": "Werkplaats 2: presentaties",
        "startsAt": "2024-09-12T11:00:00+00:00",
    }
    url = response.headers["Location"]
    assert (await client.get(url, headers=bearer(key))).json() == body

    # A renamed partner shows its name as it is now, in the list too.
    renamed = await client.patch(
        f"/v1/organisations/{drift['id']}",
        content=json.dumps({"name": "DRIFT (EUR)"}),
        headers={**bearer(key), "Content-Type": MERGE_PATCH},
    )
    assert renamed.status_code == 200, renamed.text
    listed = (await client.get("/v1/cases", headers=bearer(key))).json()["items"]
    assert {p["name"] for p in listed[0]["partnerOrganisations"]} == {"DRIFT (EUR)", "Sloopbedrijf"}

    # Nothing to name: an empty list and null, also in the answer to the PATCH.
    cleared = await patch(
        client, url, {"partnerOrganisationIds": [], "presentedAtWorkshopId": None}, key
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["partnerOrganisationIds"] == []
    assert cleared.json()["partnerOrganisations"] == []
    assert cleared.json()["presentedAtWorkshopId"] is None
    assert cleared.json()["presentedAtWorkshop"] is None


ACTORS = ["admin", "facilitator-own", "facilitator-other", "member", "reader", "sync"]


async def key_for(actor: str, group: dict[str, Any]) -> str:
    """A key for the actor; `facilitator-own` facilitates `group`, `-other` another group."""
    if actor in ("facilitator-own", "facilitator-other"):
        person = await make_member()
        target = group if actor == "facilitator-own" else await make_group()
        await add_membership(target["id"], person["id"], role="facilitator")
        return await make_key("facilitator", person["id"])
    if actor == "member":
        person = await make_member()
        await add_membership(group["id"], person["id"])  # even a member of the group
        return await make_key("member", person["id"])
    return await make_key(actor)


@pytest.mark.parametrize(
    ("actor", "reads", "writes"),
    [
        ("admin", 200, True),
        ("facilitator-own", 200, True),
        ("facilitator-other", 200, False),
        ("member", 200, False),
        ("reader", 200, False),
        ("sync", 403, False),
    ],
)
async def test_role_matrix(client, actor, reads, writes):
    group = await make_group(status="active")
    key = await key_for(actor, group)
    case = await make_case(learningGroupId=str(group["id"]))
    url = f"/v1/cases/{case['id']}"
    assert (await client.get("/v1/cases", headers=bearer(key))).status_code == reads
    assert (await client.get(url, headers=bearer(key))).status_code == reads

    before = await row_counts()
    created = await client.post(
        "/v1/cases",
        json={"title": "Nieuwe casus", "learningGroupId": str(group["id"])},
        headers=bearer(key),
    )
    changed = await patch(client, url, {"status": "in_progress", "outcome": "Gestart"}, key)
    if writes:
        assert created.status_code == 201, created.text
        assert changed.status_code == 200, changed.text
    else:
        assert_problem(created, 403)
        assert_problem(changed, 403)
        assert await row_counts() == before


async def test_a_facilitator_works_only_within_the_groups_they_facilitate(client):
    own = await make_group()
    other = await make_group()
    key = await key_for("facilitator-own", own)
    groupless = await client.post("/v1/cases", json={"title": "Los"}, headers=bearer(key))
    assert_problem(groupless, 403)
    elsewhere = await client.post(
        "/v1/cases",
        json={"title": "Elders", "learningGroupId": str(other["id"])},
        headers=bearer(key),
    )
    assert_problem(elsewhere, 403)

    case = await make_case(learningGroupId=str(own["id"]))
    moved = await patch(
        client, f"/v1/cases/{case['id']}", {"learningGroupId": str(other["id"])}, key
    )
    assert_problem(moved, 403)
    orphaned = await patch(client, f"/v1/cases/{case['id']}", {"learningGroupId": None}, key)
    assert_problem(orphaned, 403)
    foreign = await make_case(learningGroupId=str(other["id"]))
    assert_problem(await patch(client, f"/v1/cases/{foreign['id']}", {"outcome": "x"}, key), 403)
