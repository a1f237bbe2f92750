"""Workshops (werkplaatsen) and their attendees: CRUD, time spans, filters, attendance
recorded once per member, statement counts, and who may write or read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params, row_counts
from tests.factories import bearer, make_department, make_key, make_member, make_workshop

MERGE_PATCH = "application/merge-patch+json"


async def patch(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str, if_match: str | None = None
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def attend(client: httpx.AsyncClient, workshop_id: Any, member_id: Any, key: str) -> Any:
    return await client.post(
        f"/v1/workshops/{workshop_id}/attendees",
        json={"memberId": str(member_id)},
        headers=bearer(key),
    )


async def test_create_get_and_patch(client):
    key = await make_key("admin")
    response = await client.post(
        "/v1/workshops",
        json={
            "title": "Eerste werkplaats",
            "startsAt": "2023-10-05T13:00:00+02:00",
            "endsAt": "2023-10-05T17:00:00+02:00",
            "location": "Stadhuis, Amstel 1",
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["startsAt"].startswith("2023-10-05T11:00:00")  # kept in UTC
    assert body["attendeeCount"] == 0
    assert response.headers["ETag"] == '"1"'
    url = response.headers["Location"]
    assert (await client.get(url, headers=bearer(key))).json() == body

    changed = await patch(client, url, {"summary": "Acht leergroepen gevormd."}, key, '"1"')
    assert changed.status_code == 200, changed.text
    assert changed.json()["summary"] == "Acht leergroepen gevormd."
    assert changed.json()["location"] == "Stadhuis, Amstel 1"
    assert_problem(await patch(client, url, {"title": "X"}, key, '"1"'), 412)


async def test_time_span_and_input_are_checked(client):
    key = await make_key("admin")
    backwards = await client.post(
        "/v1/workshops",
        json={
            "title": "Omgekeerd",
            "startsAt": "2024-01-02T10:00:00Z",
            "endsAt": "2024-01-01T10:00:00Z",
        },
        headers=bearer(key),
    )
    assert invalid_params(assert_problem(backwards, 400)) == {("body", "endsAt")}
    naive = await client.post(
        "/v1/workshops",
        json={"title": "", "startsAt": "2024-01-02T10:00:00"},
        headers=bearer(key),
    )
    assert {n for _, n in invalid_params(assert_problem(naive, 400))} == {"title", "startsAt"}

    workshop = await make_workshop(startsAt="2024-01-02T10:00:00Z")
    moved = await patch(
        client, f"/v1/workshops/{workshop['id']}", {"endsAt": "2024-01-01T00:00:00Z"}, key
    )
    assert invalid_params(assert_problem(moved, 400)) == {("body", "endsAt")}


async def test_list_filters_search_and_default_order(client):
    key = await make_key("reader")
    second = await make_workshop(title="Tweede werkplaats", startsAt="2024-04-11T13:00:00Z")
    first = await make_workshop(
        title="Eerste werkplaats", startsAt="2023-10-05T13:00:00Z", location="Pakhuis de Zwijger"
    )
    member = await make_member()
    admin = await make_key("admin")
    assert (await attend(client, second["id"], member["id"], admin)).status_code == 201

    listed = await client.get("/v1/workshops", headers=bearer(key))
    assert [i["id"] for i in listed.json()["items"]] == [str(first["id"]), str(second["id"])]
    assert [i["attendeeCount"] for i in listed.json()["items"]] == [0, 1]

    after = await client.get(
        "/v1/workshops", params={"startsAfter": "2024-01-01T00:00:00Z"}, headers=bearer(key)
    )
    assert [i["title"] for i in after.json()["items"]] == ["Tweede werkplaats"]
    before = await client.get(
        "/v1/workshops", params={"startsBefore": "2024-01-01T00:00:00Z"}, headers=bearer(key)
    )
    assert [i["title"] for i in before.json()["items"]] == ["Eerste werkplaats"]
    attended = await client.get(f"/v1/workshops?memberId={member['id']}", headers=bearer(key))
    assert [i["title"] for i in attended.json()["items"]] == ["Tweede werkplaats"]
    searched = await client.get("/v1/workshops?q=zwijger", headers=bearer(key))
    assert [i["title"] for i in searched.json()["items"]] == ["Eerste werkplaats"]
    newest = await client.get("/v1/workshops?sort=-startsAt&pageSize=1", headers=bearer(key))
    assert newest.json()["items"][0]["title"] == "Tweede werkplaats"
    assert newest.json()["next"]


async def test_attendees_are_recorded_once_listed_and_removed(client):
    key = await make_key("admin")
    department = await make_department(code="AGR", name="Afval & Grondstoffen")
    workshop = await make_workshop()
    anna = await make_member(displayName="Anna", departmentId=str(department["id"]))
    bram = await make_member(displayName="Bram")
    base = f"/v1/workshops/{workshop['id']}/attendees"

    created = await attend(client, workshop["id"], anna["id"], key)
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith(f"{base}/{anna['id']}")
    assert created.json()["department"] == {
        "id": str(department["id"]),
        "code": "AGR",
        "name": "Afval & Grondstoffen",
    }
    assert (await attend(client, workshop["id"], bram["id"], key)).status_code == 201

    twice = await attend(client, workshop["id"], anna["id"], key)
    assert_problem(twice, 409)
    unknown_member = await attend(client, workshop["id"], uuid.uuid4(), key)
    assert invalid_params(assert_problem(unknown_member, 400)) == {("body", "memberId")}
    unknown_workshop = await attend(client, uuid.uuid4(), anna["id"], key)
    assert_problem(unknown_workshop, 404)

    listed = await client.get(base, headers=bearer(key))
    items = listed.json()["items"]
    assert [(i["memberId"], i["displayName"]) for i in items] == [
        (str(anna["id"]), "Anna"),
        (str(bram["id"]), "Bram"),
    ]
    assert items[1]["department"] is None
    one = await client.get(f"{base}/{bram['id']}", headers=bearer(key))
    assert one.json() == items[1]

    removed = await client.delete(f"{base}/{anna['id']}", headers=bearer(key))
    assert removed.status_code == 204
    assert removed.content == b""
    assert_problem(await client.delete(f"{base}/{anna['id']}", headers=bearer(key)), 404)
    assert_problem(await client.get(f"{base}/{anna['id']}", headers=bearer(key)), 404)
    count = (await client.get(f"/v1/workshops/{workshop['id']}", headers=bearer(key))).json()
    assert count["attendeeCount"] == 1

    actions = await raw_sql(
        "SELECT action FROM audit_events WHERE result = 'success' AND object_type = 'workshop' "
        "ORDER BY id"
    )
    assert [a.action for a in actions][-3:] == [
        "workshop-attendees-create",
        "workshop-attendees-create",
        "workshop-attendees-delete",
    ]


async def test_attendees_page_with_a_cursor_in_constant_statements(client, statements):
    admin = await make_key("admin")
    key = await make_key("reader")
    workshop = await make_workshop()
    for index in range(7):
        member = await make_member(displayName=f"Deelnemer {index}")
        assert (await attend(client, workshop["id"], member["id"], admin)).status_code == 201
    base = f"/v1/workshops/{workshop['id']}/attendees"
    await client.get(f"{base}?pageSize=1", headers=bearer(key))  # caches the key

    names: list[str] = []
    counts: list[int] = []
    url: str | None = f"{base}?pageSize=3&sort=-displayName"
    while url:
        statements.statements.clear()
        page = await client.get(url, headers=bearer(key))
        assert page.status_code == 200, page.text
        counts.append(statements.count)
        names.extend(i["displayName"] for i in page.json()["items"])
        url = page.json()["next"]
    assert names == [f"Deelnemer {i}" for i in reversed(range(7))]
    assert len(set(counts)) == 1 and counts[0] <= 2, counts


async def test_workshop_list_runs_constant_statements(client, statements):
    key = await make_key("reader")
    for index in range(12):
        await make_workshop(title=f"Werkplaats {index}")
    await client.get("/v1/workshops?pageSize=1", headers=bearer(key))
    counts = {}
    for size in (2, 12):
        statements.statements.clear()
        response = await client.get(f"/v1/workshops?pageSize={size}", headers=bearer(key))
        assert len(response.json()["items"]) == size
        counts[size] = statements.count
    assert counts[2] == counts[12] == 1, counts


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        ("admin", 200, True),
        ("facilitator", 200, False),
        ("member", 200, False),
        ("reader", 200, False),
        ("sync", 403, False),
    ],
)
async def test_role_matrix(client, role, reads, writes):
    member = await make_member()
    key = await make_key(role, member["id"] if role in ("member", "facilitator") else None)
    workshop = await make_workshop()
    url = f"/v1/workshops/{workshop['id']}"
    for read in ("/v1/workshops", url, f"{url}/attendees"):
        assert (await client.get(read, headers=bearer(key))).status_code == reads

    before = await row_counts()
    created = await client.post(
        "/v1/workshops",
        json={"title": "Derde werkplaats", "startsAt": "2024-10-01T09:00:00Z"},
        headers=bearer(key),
    )
    changed = await patch(client, url, {"location": "Elders"}, key)
    attended = await attend(client, workshop["id"], member["id"], key)
    if writes:
        assert [r.status_code for r in (created, changed, attended)] == [201, 200, 201]
        removed = await client.delete(f"{url}/attendees/{member['id']}", headers=bearer(key))
        assert removed.status_code == 204
    else:
        # Not even for themself: attendance is recorded by the coordinators.
        for response in (created, changed, attended):
            assert_problem(response, 403)
        assert await row_counts() == before


async def test_an_attendee_names_the_werkplaats_and_the_member(client):
    key = await make_key("admin")
    workshop = await make_workshop(title="Werkplaats 1", startsAt="2024-03-14T09:00:00+01:00")
    member = await make_member(displayName="Anna de Vries")
    created = await attend(client, workshop["id"], member["id"], key)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["workshopId"] == str(workshop["id"])
    assert body["workshop"] == {
        "id": str(workshop["id"]),
        "title": "Werkplaats 1",
        "startsAt": "2024-03-14T08:00:00+00:00",
    }
    assert body["memberId"] == str(member["id"])
    assert body["member"] == {"id": str(member["id"]), "displayName": "Anna de Vries"}
    assert (await client.get(created.headers["Location"], headers=bearer(key))).json() == body

    # The werkplaats took place: the attendance stays after erasure, under the pseudonym.
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(key))
    assert erased.status_code == 200, erased.text
    listed = await client.get(f"/v1/workshops/{workshop['id']}/attendees", headers=bearer(key))
    [item] = listed.json()["items"]
    assert item["member"] == {"id": str(member["id"]), "displayName": erased.json()["pseudonym"]}
    assert item["displayName"] == erased.json()["pseudonym"]
    assert "Anna" not in listed.text


async def test_an_attendee_page_costs_the_same_statements_for_2_or_20(client, statements):
    admin = await make_key("admin")
    key = await make_key("reader")
    workshop = await make_workshop(title="Drukbezocht")
    departments = [await make_department() for _ in range(3)]
    for index in range(20):
        member = await make_member(departmentId=str(departments[index % 3]["id"]))
        assert (await attend(client, workshop["id"], member["id"], admin)).status_code == 201
    base = f"/v1/workshops/{workshop['id']}/attendees"
    await client.get(f"{base}?pageSize=1", headers=bearer(key))  # caches the key
    counts = {}
    for size in (2, 20):
        statements.statements.clear()
        response = await client.get(f"{base}?pageSize={size}", headers=bearer(key))
        items = response.json()["items"]
        assert len(items) == size
        assert {i["workshop"]["title"] for i in items} == {"Drukbezocht"}
        assert all(i["member"]["displayName"] == i["displayName"] for i in items)
        assert all(i["department"] is not None for i in items)
        counts[size] = statements.count
    assert counts[2] == counts[20], counts
