"""Learning questions as resources: create, read, merge patch, If-Match, references, the
lifecycle, lineage (merges), the status history, filters and statement counts."""

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
    make_group,
    make_key,
    make_member,
    make_question,
    make_theme,
    make_workshop,
)

MERGE_PATCH = "application/merge-patch+json"
URL = "/v1/learning-questions"


async def patch(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    key: str,
    if_match: str | None = None,
) -> httpx.Response:
    headers = {**bearer(key), "Content-Type": MERGE_PATCH}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(url, content=json.dumps(body), headers=headers)


async def merge(
    client: httpx.AsyncClient, question_id: Any, into_id: Any, key: str
) -> httpx.Response:
    return await client.post(
        f"{URL}/{question_id}/_merge", json={"intoId": str(into_id)}, headers=bearer(key)
    )


async def history_of(question_id: Any) -> list[tuple[str | None, str]]:
    hexed = uuid.UUID(str(question_id))
    rows = await raw_sql(
        "SELECT question_id, from_status, to_status FROM question_status_changes ORDER BY id"
    )
    return [
        (row.from_status, row.to_status) for row in rows if uuid.UUID(str(row.question_id)) == hexed
    ]


async def test_create_answers_201_with_location_etag_and_a_history_row(client):
    key = await make_key("admin")
    theme = await make_theme(transitionRole="coalitiebouwer")
    group = await make_group(themeId=str(theme["id"]))
    workshop = await make_workshop()
    case = await make_case(learningGroupId=str(group["id"]))
    raiser = await make_member()
    response = await client.post(
        URL,
        json={
            "title": "Hoe kopen we circulair in bij marktpartijen?",
            "description": "Uit de eerste werkplaats.",
            "themeId": str(theme["id"]),
            "kind": "strategic",
            "originWorkshopId": str(workshop["id"]),
            "originGroupId": str(group["id"]),
            "originCaseId": str(case["id"]),
            "raisedByMemberId": str(raiser["id"]),
            "ownerGroupId": str(group["id"]),
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "proposed"
    assert body["kind"] == "strategic"
    assert body["theme"] == {
        "id": str(theme["id"]),
        "name": theme["name"],
        "transitionRole": "coalitiebouwer",
    }
    assert body["ownerGroup"] == {"id": str(group["id"]), "name": group["name"]}
    assert body["originCaseId"] == str(case["id"])
    assert body["raisedByMemberId"] == str(raiser["id"])
    assert body["mergedIntoId"] is None
    assert body["mergedQuestionIds"] == []
    assert body["allowedTransitions"] == ["open", "retired"]
    assert body["version"] == 1
    assert response.headers["ETag"] == '"1"'
    location = response.headers["Location"]
    assert location.endswith(f"{URL}/{body['id']}")

    fetched = await client.get(location, headers=bearer(key))
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json() == body
    assert await history_of(body["id"]) == [(None, "proposed")]


async def test_create_defaults_and_an_admin_may_start_in_another_status(client):
    key = await make_key("admin")
    response = await client.post(
        URL, json={"title": "Wat is een verbinder?", "status": "open"}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "operational"
    assert body["status"] == "open"
    assert body["theme"] is None and body["ownerGroup"] is None
    assert await history_of(body["id"]) == [(None, "open")]


async def test_create_lists_every_invalid_field_and_unknown_reference(client):
    key = await make_key("admin")
    malformed = await client.post(
        URL,
        json={"title": "", "kind": "tactical", "id": str(uuid.uuid4()), "mergedIntoId": None},
        headers=bearer(key),
    )
    body = assert_problem(malformed, 400)
    assert {("body", "title"), ("body", "kind"), ("body", "id"), ("body", "mergedIntoId")} <= (
        invalid_params(body)
    )

    unknown = await client.post(
        URL,
        json={
            "title": "Vraag",
            "themeId": str(uuid.uuid4()),
            "ownerGroupId": str(uuid.uuid4()),
            "originCaseId": str(uuid.uuid4()),
            "originWorkshopId": str(uuid.uuid4()),
            "raisedByMemberId": str(uuid.uuid4()),
        },
        headers=bearer(key),
    )
    body = assert_problem(unknown, 400)
    assert {name for _, name in invalid_params(body)} == {
        "themeId",
        "ownerGroupId",
        "originCaseId",
        "originWorkshopId",
        "raisedByMemberId",
    }

    merged = await client.post(
        URL, json={"title": "Vraag", "status": "merged"}, headers=bearer(key)
    )
    assert ("body", "status") in invalid_params(assert_problem(merged, 400))
    assert (await client.get(URL, headers=bearer(key))).json()["items"] == []


async def test_get_unknown_is_404(client):
    key = await make_key("reader")
    assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=bearer(key)), 404)


async def test_patch_is_a_merge_patch_with_if_match(client):
    key = await make_key("admin")
    theme = await make_theme()
    question = await make_question(
        description="Eerste versie", themeId=str(theme["id"]), answer="Nog niet"
    )
    url = f"{URL}/{question['id']}"

    changed = await patch(client, url, {"title": "Scherper", "answer": None}, key, '"1"')
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["title"] == "Scherper"
    assert body["answer"] is None
    assert body["description"] == "Eerste versie"  # left out: kept
    assert body["themeId"] == str(theme["id"])
    assert body["version"] == 2
    assert changed.headers["ETag"] == '"2"'

    stale = await patch(client, url, {"title": "Te laat"}, key, '"1"')
    assert_problem(stale, 412)
    null_title = await patch(client, url, {"title": None, "kind": None}, key)
    assert {n for _, n in invalid_params(assert_problem(null_title, 400))} == {"title", "kind"}
    unknown = await patch(client, url, {"ownerGroupId": str(uuid.uuid4())}, key)
    assert ("body", "ownerGroupId") in invalid_params(assert_problem(unknown, 400))
    assert (await client.get(url, headers=bearer(key))).json()["title"] == "Scherper"
    # A change of content is no status change: the history has only the creation.
    assert await history_of(question["id"]) == [(None, "proposed")]


async def titles_of(question_id: Any) -> list[str]:
    hexed = uuid.UUID(str(question_id))
    rows = await raw_sql("SELECT question_id, title FROM question_title_changes ORDER BY id")
    return [row.title for row in rows if uuid.UUID(str(row.question_id)) == hexed]


async def test_every_title_a_question_had_is_kept(client):
    key = await make_key("admin")
    question = await make_question(title="Eerste formulering")
    url = f"{URL}/{question['id']}"
    assert await titles_of(question["id"]) == ["Eerste formulering"]

    for body in (
        {"title": "Scherper"},
        {"description": "Alleen de toelichting"},  # no new title, no row
        {"title": "Scherper", "status": "open"},  # the same title again, no row
        {"title": "Nog scherper"},
    ):
        response = await patch(client, url, body, key)
        assert response.status_code == 200, response.text
    assert await titles_of(question["id"]) == ["Eerste formulering", "Scherper", "Nog scherper"]
    # A merge keeps the title it had.
    survivor = await make_question()
    assert (await merge(client, question["id"], survivor["id"], key)).status_code == 200
    assert await titles_of(question["id"]) == ["Eerste formulering", "Scherper", "Nog scherper"]


async def test_lifecycle_moves_append_history_rows_in_order(client):
    key = await make_key("admin")
    question = await make_question()
    url = f"{URL}/{question['id']}"
    path = ["open", "exploring", "parked", "open", "answered", "open", "retired"]
    for status in path:
        response = await patch(client, url, {"status": status}, key)
        assert response.status_code == 200, (status, response.text)
        assert response.json()["status"] == status
    assert response.json()["allowedTransitions"] == []
    expected = [(None, "proposed")]
    previous = "proposed"
    for status in path:
        expected.append((previous, status))
        previous = status
    assert await history_of(question["id"]) == expected

    # Repeating the current status is no move, and writes no history.
    same = await patch(client, url, {"status": "retired"}, key)
    assert same.status_code == 200
    assert len(await history_of(question["id"])) == len(expected)


@pytest.mark.parametrize(
    ("path", "refused", "allowed"),
    [
        ([], "answered", ["open", "retired"]),
        ([], "exploring", ["open", "retired"]),
        (["open"], "proposed", ["answered", "exploring", "parked", "retired"]),
        (["open", "exploring"], "open", ["answered", "parked", "retired"]),
        (["open", "parked"], "answered", ["open", "retired"]),
        (["open", "answered"], "exploring", ["open", "retired"]),
        (["retired"], "open", []),
    ],
)
async def test_illegal_moves_are_409_naming_the_allowed_ones(client, path, refused, allowed):
    key = await make_key("admin")
    question = await make_question()
    url = f"{URL}/{question['id']}"
    for status in path:
        assert (await patch(client, url, {"status": status}, key)).status_code == 200
    response = await patch(client, url, {"status": refused, "title": "Niet dit"}, key)
    body = assert_problem(response, 409)
    assert body["allowedTransitions"] == allowed
    after = (await client.get(url, headers=bearer(key))).json()
    assert after["title"] == question["title"]  # nothing of the refused patch was written
    assert len(await history_of(question["id"])) == 1 + len(path)


async def test_merged_is_reached_only_through_merge(client):
    key = await make_key("admin")
    question = await make_question(status="open")
    response = await patch(client, f"{URL}/{question['id']}", {"status": "merged"}, key)
    body = assert_problem(response, 409)
    assert "_merge" in body["detail"]
    assert body["allowedTransitions"] == ["answered", "exploring", "parked", "retired"]
    assert (await client.get(f"{URL}/{question['id']}", headers=bearer(key))).json()[
        "status"
    ] == "open"


async def test_merge_marks_the_question_and_the_survivor_lists_it(client):
    key = await make_key("admin")
    survivor = await make_question(status="open")
    first = await make_question(status="exploring")
    second = await make_question()

    response = await merge(client, first["id"], survivor["id"], key)
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["status"] == "merged"
    assert merged["mergedIntoId"] == str(survivor["id"])
    assert merged["allowedTransitions"] == []
    assert response.headers["ETag"] == f'"{merged["version"]}"'
    assert (await merge(client, second["id"], survivor["id"], key)).status_code == 200

    got = await client.get(f"{URL}/{survivor['id']}", headers=bearer(key))
    body = got.json()
    assert body["mergedQuestionIds"] == [str(first["id"]), str(second["id"])]
    assert body["status"] == "open"  # the survivor carries on as it was
    assert body["version"] == survivor["version"] + 2  # its representation changed twice
    assert await history_of(first["id"]) == [(None, "exploring"), ("exploring", "merged")]

    listed = await client.get(
        URL, params={"mergedIntoId": str(survivor["id"])}, headers=bearer(key)
    )
    assert {item["id"] for item in listed.json()["items"]} == {str(first["id"]), str(second["id"])}


async def test_merge_refuses_self_merged_targets_cycles_and_unknown_targets(client):
    key = await make_key("admin")
    a = await make_question(status="open")
    b = await make_question(status="open")
    c = await make_question(status="open")

    assert_problem(await merge(client, a["id"], a["id"], key), 409)
    assert (await merge(client, b["id"], a["id"], key)).status_code == 200  # b → a

    # a into b: b was merged into a, so this would close a cycle.
    cycle = assert_problem(await merge(client, a["id"], b["id"], key), 409)
    assert "cycle" in cycle["detail"]
    # c into b: b is merged; the problem points at the survivor a.
    into_merged = assert_problem(await merge(client, c["id"], b["id"], key), 409)
    assert into_merged["survivorId"] == str(a["id"])
    # b again: a merged question accepts no change, not even another merge.
    assert_problem(await merge(client, b["id"], c["id"], key), 409)

    unknown = await merge(client, c["id"], uuid.uuid4(), key)
    assert ("body", "intoId") in invalid_params(assert_problem(unknown, 400))
    assert_problem(await merge(client, uuid.uuid4(), a["id"], key), 404)
    missing_body = await client.post(f"{URL}/{c['id']}/_merge", json={}, headers=bearer(key))
    assert ("body", "intoId") in invalid_params(assert_problem(missing_body, 400))

    after = (await client.get(f"{URL}/{c['id']}", headers=bearer(key))).json()
    assert after["status"] == "open" and after["mergedIntoId"] is None
    assert (await client.get(f"{URL}/{a['id']}", headers=bearer(key))).json()[
        "mergedQuestionIds"
    ] == [str(b["id"])]


async def test_cycle_through_a_chain_is_refused(client):
    key = await make_key("admin")
    a, b, c = [await make_question(status="open") for _ in range(3)]
    assert (await merge(client, a["id"], b["id"], key)).status_code == 200  # a → b
    assert (await merge(client, b["id"], c["id"], key)).status_code == 200  # b → c
    # c into a: a → b → c, so c would end up merged into itself.
    body = assert_problem(await merge(client, c["id"], a["id"], key), 409)
    assert "cycle" in body["detail"]
    assert body["lineage"] == [str(a["id"]), str(b["id"]), str(c["id"])]


async def test_a_merged_question_accepts_no_further_changes(client):
    key = await make_key("admin")
    survivor = await make_question(status="open")
    merged = await make_question(status="open")
    assert (await merge(client, merged["id"], survivor["id"], key)).status_code == 200
    url = f"{URL}/{merged['id']}"
    for change in ({"title": "Toch anders"}, {"status": "open"}, {"answer": "Ja"}):
        body = assert_problem(await patch(client, url, change, key), 409)
        assert body["mergedIntoId"] == str(survivor["id"])
        assert body["allowedTransitions"] == []


async def test_merge_honours_if_match_and_idempotency_key(client):
    key = await make_key("admin")
    survivor = await make_question(status="open")
    merged = await make_question(status="open")
    url = f"{URL}/{merged['id']}/_merge"
    stale = await client.post(
        url, json={"intoId": str(survivor["id"])}, headers={**bearer(key), "If-Match": '"7"'}
    )
    assert_problem(stale, 412)
    headers = {**bearer(key), "Idempotency-Key": "merge-1", "If-Match": '"1"'}
    first = await client.post(url, json={"intoId": str(survivor["id"])}, headers=headers)
    again = await client.post(url, json={"intoId": str(survivor["id"])}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(await history_of(merged["id"])) == 2


async def test_create_with_idempotency_key_creates_once(client):
    key = await make_key("admin")
    headers = {**bearer(key), "Idempotency-Key": "vraag-1"}
    first = await client.post(URL, json={"title": "Eén keer"}, headers=headers)
    again = await client.post(URL, json={"title": "Eén keer"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = await client.post(URL, json={"title": "Iets anders"}, headers=headers)
    assert_problem(other, 422)
    assert len((await client.get(URL, headers=bearer(key))).json()["items"]) == 1


async def test_writes_leave_audit_events(client):
    key = await make_key("admin")
    created = (await client.post(URL, json={"title": "Vraag"}, headers=bearer(key))).json()
    other = await make_question(status="open")
    await patch(client, f"{URL}/{created['id']}", {"status": "open"}, key)
    await merge(client, created["id"], other["id"], key)
    rows = await raw_sql(
        "SELECT action, object_type, object_id, result FROM audit_events ORDER BY occurred_at"
    )
    mine = [(r.action, r.result) for r in rows if r.object_id == str(created["id"])]
    assert mine == [
        ("learning-questions-create", "success"),
        ("learning-questions-update", "success"),
        ("learning-questions-merge", "success"),
    ]
