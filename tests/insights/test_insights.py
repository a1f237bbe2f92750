"""Insights as resources: create with a required source, read, merge patch with If-Match, the
adoption ladder, adopting departments, filters and statement counts."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import raw_sql
from tests.core.support import assert_problem, invalid_params
from tests.factories import (
    bearer,
    make_case,
    make_department,
    make_group,
    make_insight,
    make_key,
    make_question,
)

URL = "/v1/insights"
MERGE_PATCH = "application/merge-patch+json"
LADDER = ["captured", "shared", "piloted", "embedded"]


async def patch(
    client: httpx.AsyncClient,
    insight_id: Any,
    body: dict[str, Any],
    key: str,
    if_match: str | None = None,
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(f"{URL}/{insight_id}", content=json.dumps(body), headers=headers)


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_create_answers_201_with_location_and_etag(client):
    key = await make_key("admin")
    group = await make_group()
    case = await make_case(learningGroupId=str(group["id"]))
    question = await make_question()
    response = await client.post(
        URL,
        json={
            "title": "Vroeg de markt betrekken loont",
            "body": "Marktconsultatie vóór de aanbesteding gaf betere circulaire voorstellen.",
            "sourceCaseId": str(case["id"]),
            "sourceGroupId": str(group["id"]),
            "sourceQuestionId": str(question["id"]),
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["adoption"] == "captured"
    assert body["allowedTransitions"] == ["shared"]
    assert body["adoptedByDepartmentIds"] == [] and body["adoptedByDepartments"] == []
    assert body["sourceCaseId"] == str(case["id"])
    assert body["createdByMemberId"] is None  # this admin key acts for no member
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    location = response.headers["Location"]
    assert location.endswith(f"{URL}/{body['id']}")
    fetched = await client.get(location, headers=bearer(key))
    assert fetched.json() == body
    assert fetched.headers["ETag"] == '"1"'


async def test_a_source_is_required_and_must_exist(client):
    key = await make_key("admin")
    none = await client.post(URL, json={"title": "Zwevend"}, headers=bearer(key))
    names = {name for _, name in invalid_params(assert_problem(none, 400))}
    assert names == {"sourceCaseId", "sourceGroupId", "sourceQuestionId"}

    unknown = await client.post(
        URL,
        json={
            "title": "Onbekend",
            "sourceCaseId": str(uuid.uuid4()),
            "sourceQuestionId": str(uuid.uuid4()),
        },
        headers=bearer(key),
    )
    names = {name for _, name in invalid_params(assert_problem(unknown, 400))}
    assert names == {"sourceCaseId", "sourceQuestionId"}

    malformed = await client.post(
        URL,
        json={"title": "", "adoption": "rolled_out", "version": 3, "sourceGroupId": "x"},
        headers=bearer(key),
    )
    names = {name for _, name in invalid_params(assert_problem(malformed, 400))}
    assert {"title", "adoption", "version", "sourceGroupId"} <= names
    assert (await client.get(URL, headers=bearer(key))).json()["items"] == []


async def test_patch_may_not_remove_the_last_source(client):
    key = await make_key("admin")
    group = await make_group()
    question = await make_question()
    insight = await make_insight(sourceGroupId=str(group["id"]))
    cleared = await patch(client, insight["id"], {"sourceGroupId": None}, key)
    assert_problem(cleared, 400)
    swapped = await patch(
        client, insight["id"], {"sourceGroupId": None, "sourceQuestionId": str(question["id"])}, key
    )
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["sourceGroupId"] is None
    assert swapped.json()["sourceQuestionId"] == str(question["id"])
    unknown = await patch(client, insight["id"], {"sourceCaseId": str(uuid.uuid4())}, key)
    assert ("body", "sourceCaseId") in invalid_params(assert_problem(unknown, 400))


async def test_patch_is_a_merge_patch_with_if_match(client):
    key = await make_key("admin")
    group = await make_group()
    insight = await make_insight(sourceGroupId=str(group["id"]), body="Eerste tekst")
    changed = await patch(client, insight["id"], {"title": "Nieuw"}, key, '"1"')
    assert changed.status_code == 200
    assert changed.json()["body"] == "Eerste tekst"
    assert changed.headers["ETag"] == '"2"'
    assert_problem(await patch(client, insight["id"], {"title": "Oud"}, key, '"1"'), 412)
    nulls = await patch(client, insight["id"], {"title": None, "adoption": None}, key)
    assert {n for _, n in invalid_params(assert_problem(nulls, 400))} == {"title", "adoption"}
    cleared = await patch(client, insight["id"], {"body": None}, key)
    assert cleared.json()["body"] is None
    assert_problem(await patch(client, uuid.uuid4(), {"title": "x"}, key), 404)


async def test_adoption_climbs_one_stage_at_a_time(client):
    key = await make_key("admin")
    group = await make_group()
    insight = await make_insight(sourceGroupId=str(group["id"]))
    for stage in LADDER[1:]:
        response = await patch(client, insight["id"], {"adoption": stage}, key)
        assert response.status_code == 200, (stage, response.text)
        assert response.json()["adoption"] == stage
    assert response.json()["allowedTransitions"] == []
    again = await patch(client, insight["id"], {"adoption": "embedded"}, key)
    assert again.status_code == 200  # staying is no move


@pytest.mark.parametrize(
    ("reached", "refused", "allowed"),
    [
        ("captured", "piloted", ["shared"]),
        ("captured", "embedded", ["shared"]),
        ("shared", "captured", ["piloted"]),
        ("piloted", "shared", ["embedded"]),
        ("embedded", "piloted", []),
    ],
)
async def test_skipping_or_going_back_is_409(client, reached, refused, allowed):
    key = await make_key("admin")
    group = await make_group()
    insight = await make_insight(sourceGroupId=str(group["id"]), adoption=reached)
    response = await patch(client, insight["id"], {"adoption": refused, "title": "Niet"}, key)
    body = assert_problem(response, 409)
    assert body["allowedTransitions"] == allowed
    after = (await client.get(f"{URL}/{insight['id']}", headers=bearer(key))).json()
    assert after["adoption"] == reached and after["title"] == insight["title"]


async def test_adopting_departments_are_a_set_set_by_patch(client):
    key = await make_key("admin")
    group = await make_group()
    green_office = await make_department(code="GO", name="Green Office")
    vastgoed = await make_department(code="GMV", name="Vastgoed")
    sport = await make_department(code="SB", name="Sport en Bos")
    insight = await make_insight(sourceGroupId=str(group["id"]))

    first = await patch(
        client,
        insight["id"],
        {"adoptedByDepartmentIds": [str(green_office["id"]), str(vastgoed["id"])]},
        key,
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body["adoptedByDepartmentIds"]) == {str(green_office["id"]), str(vastgoed["id"])}
    assert {d["code"] for d in body["adoptedByDepartments"]} == {"GO", "GMV"}
    assert body["version"] == 2
    adopted_at = {d["id"]: d["adoptedAt"] for d in body["adoptedByDepartments"]}

    second = await patch(
        client,
        insight["id"],
        {"adoptedByDepartmentIds": [str(vastgoed["id"]), str(sport["id"]), str(sport["id"])]},
        key,
    )
    body = second.json()
    assert set(body["adoptedByDepartmentIds"]) == {str(vastgoed["id"]), str(sport["id"])}
    kept = next(d for d in body["adoptedByDepartments"] if d["id"] == str(vastgoed["id"]))
    assert kept["adoptedAt"] == adopted_at[str(vastgoed["id"])]  # staying keeps its date
    assert body["version"] == 3

    unchanged = await patch(
        client,
        insight["id"],
        {"adoptedByDepartmentIds": [str(sport["id"]), str(vastgoed["id"])]},
        key,
    )
    assert unchanged.json()["version"] == 3  # the same set is no change

    unknown = await patch(
        client,
        insight["id"],
        {"adoptedByDepartmentIds": [str(sport["id"]), str(uuid.uuid4())]},
        key,
    )
    params = invalid_params(assert_problem(unknown, 400))
    assert params == {("body", "adoptedByDepartmentIds[1]")}
    assert_problem(await patch(client, insight["id"], {"adoptedByDepartmentIds": None}, key), 400)

    cleared = await patch(client, insight["id"], {"adoptedByDepartmentIds": []}, key)
    assert cleared.json()["adoptedByDepartmentIds"] == []
    rows = await raw_sql("SELECT insight_id FROM insight_adoptions")
    assert rows == []


async def test_create_may_name_adopters_and_idempotency_key_creates_once(client):
    key = await make_key("admin")
    group = await make_group()
    department = await make_department()
    headers = {**bearer(key), "Idempotency-Key": "inzicht-1"}
    data = {
        "title": "Circulair bouwen werkt",
        "sourceGroupId": str(group["id"]),
        "adoption": "piloted",
        "adoptedByDepartmentIds": [str(department["id"])],
    }
    first = await client.post(URL, json=data, headers=headers)
    again = await client.post(URL, json=data, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json() == again.json()
    assert first.json()["adoptedByDepartmentIds"] == [str(department["id"])]
    assert len(await raw_sql("SELECT insight_id FROM insight_adoptions")) == 1


async def test_filters_each_narrow_the_list(client):
    key = await make_key("reader")
    group = await make_group()
    other_group = await make_group()
    case = await make_case(learningGroupId=str(group["id"]))
    question = await make_question()
    department = await make_department()
    from_case = await make_insight(title="Markt vroeg betrekken", sourceCaseId=str(case["id"]))
    from_group = await make_insight(
        title="Verbinders nodig",
        body="Een vaste verbinder per directie helpt.",
        sourceGroupId=str(group["id"]),
        adoption="shared",
    )
    from_question = await make_insight(
        title="Paspoort",
        sourceQuestionId=str(question["id"]),
        sourceGroupId=str(other_group["id"]),
        adoption="embedded",
        adoptedByDepartmentIds=[str(department["id"])],
    )
    everything = {str(i["id"]) for i in (from_case, from_group, from_question)}

    def get(**params):
        return client.get(URL, params=params, headers=bearer(key))

    assert ids(await get()) == everything
    assert ids(await get(adoption="shared")) == {str(from_group["id"])}
    assert ids(await get(adoption="piloted")) == set()
    assert ids(await get(departmentId=str(department["id"]))) == {str(from_question["id"])}
    assert ids(await get(sourceCaseId=str(case["id"]))) == {str(from_case["id"])}
    assert ids(await get(sourceGroupId=str(group["id"]))) == {str(from_group["id"])}
    assert ids(await get(sourceQuestionId=str(question["id"]))) == {str(from_question["id"])}
    assert ids(await get(q="DIRECTIE")) == {str(from_group["id"])}
    assert ids(await get(q="markt")) == {str(from_case["id"])}
    bad = await get(adoption="rolled_out", departmentId="nope")
    assert {n for _, n in invalid_params(assert_problem(bad, 400))} >= {"adoption", "departmentId"}

    titles = [item["title"] for item in (await get(sort="-title")).json()["items"]]
    assert titles == sorted(titles, reverse=True)


async def test_list_statements_do_not_grow_with_page_size_or_adopters(client, statements):
    key = await make_key("reader")
    group = await make_group()
    departments = [await make_department() for _ in range(4)]
    adopters = [str(d["id"]) for d in departments]
    for _ in range(15):
        await make_insight(sourceGroupId=str(group["id"]), adoptedByDepartmentIds=adopters)
    assert (await client.get(f"{URL}?pageSize=1", headers=bearer(key))).status_code == 200

    counts = {}
    for size in (2, 8, 20):
        statements.statements.clear()
        response = await client.get(URL, params={"pageSize": size}, headers=bearer(key))
        items = response.json()["items"]
        assert len(items) == min(size, 15)
        assert all(len(item["adoptedByDepartments"]) == 4 for item in items)
        counts[size] = statements.count
    assert counts[2] == counts[8] == counts[20] <= 3, counts


async def test_writes_leave_audit_events(client):
    key = await make_key("admin")
    group = await make_group()
    created = await client.post(
        URL, json={"title": "Les", "sourceGroupId": str(group["id"])}, headers=bearer(key)
    )
    insight_id = created.json()["id"]
    await patch(client, insight_id, {"adoption": "shared"}, key)
    await patch(client, insight_id, {"adoption": "embedded"}, key)  # refused: skips a stage
    rows = await raw_sql("SELECT action, object_id, result, status_code FROM audit_events")
    mine = sorted((r.action, r.result) for r in rows if r.object_id == insight_id)
    assert mine == [
        ("insights-create", "success"),
        ("insights-update", "rejected"),
        ("insights-update", "success"),
    ]
