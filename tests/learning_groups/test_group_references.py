"""What a learning group and a membership name beside their ids: the werkplaats a group formed
at, the group it merged into, each current member's department and status, a membership's
group and member; null where there is nothing to name, the pseudonym for an erased member, and
as many statements for a large page or group as for a small one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import (
    add_membership,
    bearer,
    make_department,
    make_group,
    make_key,
    make_member,
    make_workshop,
)

PATCH = {"Content-Type": "application/merge-patch+json"}


async def workshop_ref(client: httpx.AsyncClient, key: str, workshop_id: Any) -> dict[str, Any]:
    """The reference a werkplaats should get, from the werkplaats as the API shows it."""
    shown = (await client.get(f"/v1/workshops/{workshop_id}", headers=bearer(key))).json()
    return {"id": shown["id"], "title": shown["title"], "startsAt": shown["startsAt"]}


async def merge(client: httpx.AsyncClient, key: str, group_id: Any, into_id: Any) -> None:
    response = await client.patch(
        f"/v1/learning-groups/{group_id}",
        json={"status": "merged", "mergedIntoId": str(into_id)},
        headers={**bearer(key), **PATCH},
    )
    assert response.status_code == 200, response.text


async def test_a_group_names_where_it_formed_and_what_it_merged_into(client):
    key = await make_key("admin")
    workshop = await make_workshop(
        title="Werkplaats 1: vormen van leergroepen", startsAt="2024-03-14T09:00:00+01:00"
    )
    survivor = await make_group(name="Circulair inkopen")
    merged = await make_group(name="Inkoop & markt", formedAtWorkshopId=str(workshop["id"]))
    await merge(client, key, merged["id"], survivor["id"])
    expected_workshop = await workshop_ref(client, key, workshop["id"])
    assert expected_workshop["startsAt"] == "2024-03-14T08:00:00+00:00"

    detail = (await client.get(f"/v1/learning-groups/{merged['id']}", headers=bearer(key))).json()
    assert detail["formedAtWorkshopId"] == str(workshop["id"])
    assert detail["formedAtWorkshop"] == expected_workshop
    assert detail["mergedIntoId"] == str(survivor["id"])
    assert detail["mergedInto"] == {"id": str(survivor["id"]), "name": "Circulair inkopen"}

    # Nothing to name: null beside the null id.
    other = (await client.get(f"/v1/learning-groups/{survivor['id']}", headers=bearer(key))).json()
    assert other["formedAtWorkshopId"] is None and other["formedAtWorkshop"] is None
    assert other["mergedIntoId"] is None and other["mergedInto"] is None

    # The list shows the same references, with the names as they are now.
    renamed = await client.patch(
        f"/v1/learning-groups/{survivor['id']}",
        json={"name": "Circulair inkopen en opdrachtgeverschap"},
        headers={**bearer(key), **PATCH},
    )
    assert renamed.status_code == 200, renamed.text
    listed = (await client.get("/v1/learning-groups?status=merged", headers=bearer(key))).json()
    [item] = listed["items"]
    assert item["formedAtWorkshop"] == expected_workshop
    assert item["mergedInto"] == {
        "id": str(survivor["id"]),
        "name": "Circulair inkopen en opdrachtgeverschap",
    }


async def test_a_group_detail_shows_each_members_department_and_status(client):
    key = await make_key("admin")
    department = await make_department(code="AGR", name="Afval & Grondstoffen")
    civil_servant = await make_member(displayName="Sanne", departmentId=str(department["id"]))
    outsider = await make_member(displayName="Fenna (DRIFT)")
    leaving = await make_member(displayName="Lars", departmentId=str(department["id"]))
    survivor = await make_group()
    group = await make_group()
    for member in (civil_servant, outsider, leaving):
        await add_membership(group["id"], member["id"])
    # A merged group keeps its members, also one who is made inactive afterwards.
    await merge(client, key, group["id"], survivor["id"])
    deactivated = await client.patch(
        f"/v1/members/{leaving['id']}",
        json={"status": "inactive"},
        headers={**bearer(key), **PATCH},
    )
    assert deactivated.status_code == 200, deactivated.text

    detail = (await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(key))).json()
    shown = {m["displayName"]: (m["department"], m["status"]) for m in detail["members"]}
    department_ref = {"id": str(department["id"]), "code": "AGR", "name": "Afval & Grondstoffen"}
    assert shown == {
        "Sanne": (department_ref, "active"),
        "Fenna (DRIFT)": (None, "active"),
        "Lars": (department_ref, "inactive"),
    }


async def test_a_membership_names_its_group_and_member(client):
    key = await make_key("admin")
    group = await make_group(name="Project naar praktijk")
    member = await make_member(displayName="Noor Verbeek")
    joined = await client.post(
        f"/v1/learning-groups/{group['id']}/memberships",
        json={"memberId": str(member["id"]), "role": "lead"},
        headers=bearer(key),
    )
    assert joined.status_code == 201, joined.text
    body = joined.json()
    assert body["groupId"] == str(group["id"])
    assert body["group"] == {"id": str(group["id"]), "name": "Project naar praktijk"}
    assert body["memberId"] == str(member["id"])
    assert body["member"] == {"id": str(member["id"]), "displayName": "Noor Verbeek"}

    fetched = await client.get(joined.headers["Location"], headers=bearer(key))
    assert fetched.json() == body
    listed = await client.get(f"/v1/learning-groups/{group['id']}/memberships", headers=bearer(key))
    assert listed.json()["items"] == [body]


async def test_an_erased_members_past_membership_shows_the_pseudonym(client):
    key = await make_key("admin")
    group = await make_group()
    member = await make_member(displayName="Zeynep Öztürk")
    await add_membership(group["id"], member["id"])
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(key))
    assert erased.status_code == 200, erased.text
    pseudonym = erased.json()["pseudonym"]

    listed = await client.get(
        f"/v1/learning-groups/{group['id']}/memberships?current=false", headers=bearer(key)
    )
    [item] = listed.json()["items"]
    assert item["member"] == {"id": str(member["id"]), "displayName": pseudonym}
    assert "Zeynep" not in listed.text


async def test_a_membership_page_costs_the_same_statements_for_2_or_20(client, statements):
    key = await make_key("reader")
    group = await make_group(name="Veertig")
    departments = [await make_department() for _ in range(3)]
    for n in range(20):
        member = await make_member(departmentId=str(departments[n % 3]["id"]))
        await add_membership(group["id"], member["id"])
    url = f"/v1/learning-groups/{group['id']}/memberships"
    await client.get(f"{url}?pageSize=1", headers=bearer(key))  # caches the key
    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        response = await client.get(f"{url}?pageSize={size}", headers=bearer(key))
        items = response.json()["items"]
        assert len(items) == size
        assert {i["group"]["name"] for i in items} == {"Veertig"}
        assert all(i["member"]["displayName"] == i["displayName"] for i in items)
        counts[size] = statements.count
    assert counts[2] == counts[20], counts


async def test_a_group_detail_costs_the_same_statements_for_2_or_20_members(client, statements):
    key = await make_key("reader")
    workshop = await make_workshop()
    survivor = await make_group()
    departments = [await make_department() for _ in range(4)]
    people = [await make_member(departmentId=str(departments[n % 4]["id"])) for n in range(20)]
    small = await make_group(formedAtWorkshopId=str(workshop["id"]))
    large = await make_group(formedAtWorkshopId=str(workshop["id"]))
    for person in people[:2]:
        await add_membership(small["id"], person["id"])
    for person in people:
        await add_membership(large["id"], person["id"])
    admin = await make_key("admin")
    await merge(client, admin, large["id"], survivor["id"])
    await client.get(f"/v1/learning-groups/{small['id']}", headers=bearer(key))

    counts = {}
    for group, size in ((small, 2), (large, 20)):
        statements.statements.clear()
        response = await client.get(f"/v1/learning-groups/{group['id']}", headers=bearer(key))
        body = response.json()
        assert len(body["members"]) == size
        assert all(m["department"] is not None for m in body["members"])
        assert body["formedAtWorkshop"]["id"] == str(workshop["id"])
        counts[size] = statements.count
    assert counts[2] == counts[20], counts
