"""Every refusal the agenda makes (each leaves everything as it was), who may do what, merge
patch, discarding a draft, content negotiation and the audit trail of agenda writes."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest

from tests.agenda import api
from tests.agenda.api import invalid_names, item
from tests.agenda.factories import (
    make_group,
    make_question,
    make_questions,
    make_theme,
    make_workshop,
    merge_into,
)
from tests.conftest import raw_sql
from tests.factories import bearer, make_key


async def _snapshot(client: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    """Every revision with its items: compared before and after a refused request."""
    listing = await client.get(
        "/v1/agenda/revisions", params={"pageSize": 100}, headers=bearer(key)
    )
    return [await api.get_revision(client, key, r["number"]) for r in listing.json()["items"]]


async def _published_and_draft(client: httpx.AsyncClient, admin: str) -> list[dict[str, Any]]:
    """Revision 1 published with two questions; revision 2 an open draft copied from it."""
    questions = await make_questions(2)
    await api.publish_agenda(client, admin, [item(q["id"], n + 1) for n, q in enumerate(questions)])
    await api.create_draft(client, admin)
    return questions


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def test_a_second_draft_is_refused(client):
    admin = await make_key("admin")
    await api.create_draft(client, admin)
    before = await _snapshot(client, admin)
    refused = _problem(await client.post("/v1/agenda/revisions", headers=bearer(admin)), 409)
    assert refused["draftNumber"] == 1
    assert await _snapshot(client, admin) == before


async def test_published_revisions_never_change(client):
    admin = await make_key("admin")
    questions = await make_questions(3)
    await api.publish_agenda(client, admin, [item(questions[0]["id"], 1)])
    before = await _snapshot(client, admin)
    etag = '"3"'

    again = await api.publish(client, admin, 1, etag, status=409)
    assert "already published" in again.json()["detail"]
    await api.publish(client, admin, 1, None, status=409)
    await api.publish(client, admin, 1, '"1"', status=409)  # stale, but published is the news
    await api.put_items(client, admin, 1, [item(questions[1]["id"], 1)], etag, status=409)
    await api.patch_revision(client, admin, 1, {"title": "Anders"}, etag, status=409)
    deleted = await client.delete("/v1/agenda/revisions/1", headers=api.headers(admin, etag))
    _problem(deleted, 409)
    assert await _snapshot(client, admin) == before


async def test_stale_if_match_is_412_and_changes_nothing(client):
    admin = await make_key("admin")
    questions = await _published_and_draft(client, admin)
    await api.patch_revision(client, admin, 2, {"title": "Versie 2"}, '"1"')
    before = await _snapshot(client, admin)

    for stale in ('"1"', 'W/"1"', '"abc"', "garbage"):
        await api.patch_revision(client, admin, 2, {"title": "Oud"}, stale, status=412)
        await api.put_items(client, admin, 2, [item(questions[0]["id"], 1)], stale, status=412)
        await api.publish(client, admin, 2, stale, status=412)
        deleted = await client.delete("/v1/agenda/revisions/2", headers=api.headers(admin, stale))
        _problem(deleted, 412)
    assert await _snapshot(client, admin) == before
    current = await api.publish(client, admin, 2, '"2"')
    assert current.json()["status"] == "published"


async def test_unknown_revision_numbers_are_404(client):
    admin = await make_key("admin")
    questions = await _published_and_draft(client, admin)
    before = await _snapshot(client, admin)
    for number in (3, 0, -1, 99_999_999_999):
        base = f"/v1/agenda/revisions/{number}"
        _problem(await client.get(base, headers=bearer(admin)), 404)
        _problem(await client.get(f"{base}/diff?from=1", headers=bearer(admin)), 404)
        _problem(
            await client.get(f"/v1/agenda/revisions/1/diff?from={number}", headers=bearer(admin)),
            404,
        )
        await api.patch_revision(client, admin, number, {"title": "x"}, status=404)
        await api.put_items(client, admin, number, [item(questions[0]["id"], 1)], status=404)
        await api.publish(client, admin, number, status=404)
        _problem(await client.delete(base, headers=bearer(admin)), 404)
    both = _problem(
        await client.get("/v1/agenda/revisions/7/diff?from=8", headers=bearer(admin)), 404
    )
    assert "7 and 8" in both["detail"]
    _problem(await client.get("/v1/agenda/revisions/abc", headers=bearer(admin)), 400)
    assert await _snapshot(client, admin) == before


async def test_diff_needs_a_revision_to_compare_with(client):
    admin = await make_key("admin")
    await _published_and_draft(client, admin)
    missing = _problem(await client.get("/v1/agenda/revisions/2/diff", headers=bearer(admin)), 400)
    assert invalid_names_of(missing) == ["from"]
    word = _problem(
        await client.get("/v1/agenda/revisions/2/diff?from=one", headers=bearer(admin)), 400
    )
    assert invalid_names_of(word) == ["from"]


def invalid_names_of(problem: dict[str, Any]) -> list[str]:
    return [p["name"] for p in problem["invalidParams"]]


@pytest.mark.parametrize(
    "as_of",
    [
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-3-01",
        "2026-02-30",
        "2026-W10",
        "1767225600",
        "2026-03-01T25:00:00Z",
        "",
    ],
)
async def test_malformed_as_of_is_400(client, as_of):
    reader = await make_key("reader")
    response = await client.get("/v1/agenda", params={"asOf": as_of}, headers=bearer(reader))
    body = _problem(response, 400)
    assert invalid_names_of(body) == ["asOf"]


async def test_as_of_accepts_common_spellings(client):
    admin = await make_key("admin")
    await _published_and_draft(client, admin)
    for spelled in (
        "2999-01-01T00:00:00Z",
        "2999-01-01T00:00:00z",
        "2999-01-01T00:00:00.123456789+00:00",
        "2999-01-01 00:00:00",
        "2999-01-01T01:00+01:00",
    ):
        response = await client.get("/v1/agenda", params={"asOf": spelled}, headers=bearer(admin))
        assert response.status_code == 200, (spelled, response.text)
        assert response.json()["number"] == 1
    # A `+` left unencoded in a query string arrives as a space; the offset is still understood.
    raw = await client.get("/v1/agenda?asOf=2999-01-01T01:00:00+01:00", headers=bearer(admin))
    assert raw.status_code == 200, raw.text
    early = await client.get(
        "/v1/agenda", params={"asOf": "2000-01-01T00:00:00Z"}, headers=bearer(admin)
    )
    assert "2000-01-01" in _problem(early, 404)["detail"]


async def test_items_list_every_offending_item_and_change_nothing(client):
    admin = await make_key("admin")
    theme = await make_theme()
    group = await make_group(theme["id"])
    good, merged, survivor, retired = await make_questions(4)
    await merge_into(merged["id"], survivor["id"])
    retired_q = await make_question(status="proposed")
    from tests.agenda.factories import set_question_status

    await set_question_status(retired_q["id"], "retired")
    await api.create_draft(client, admin)
    await api.put_items(client, admin, 1, [item(good["id"], 1, "high", group["id"])])
    before = await _snapshot(client, admin)

    unknown_q, unknown_g = uuid.uuid4(), uuid.uuid4()
    response = await api.put_items(
        client,
        admin,
        1,
        [
            item(good["id"], 1),  # fine
            item(unknown_q, 2),  # no such question
            item(merged["id"], 3),  # merged
            item(retired_q["id"], 4),  # retired
            item(good["id"], 5),  # the same question again
            item(survivor["id"], 9, owner_group_id=unknown_g),  # rank past n, unknown group
            item(retired["id"], 5),  # rank 5 twice
        ],
        status=400,
    )
    assert invalid_names(response) == [
        "items[1].questionId",
        "items[2].questionId",
        "items[3].questionId",
        "items[4].questionId",
        "items[4].rank",
        "items[5].rank",
        "items[5].ownerGroupId",
        "items[6].rank",
    ]
    params = {(p["name"], p["code"]) for p in response.json()["invalidParams"]}
    assert ("items[2].questionId", "question_merged") in params
    assert ("items[3].questionId", "question_retired") in params
    assert ("items[4].questionId", "duplicate_question") in params
    assert ("items[5].rank", "rank_out_of_range") in params
    assert ("items[6].rank", "duplicate_rank") in params
    merged_reason = next(
        p["reason"] for p in response.json()["invalidParams"] if p["code"] == "question_merged"
    )
    assert survivor["id"] in merged_reason

    gap = await api.put_items(
        client, admin, 1, [item(good["id"], 1), item(survivor["id"], 3)], status=400
    )
    assert invalid_names(gap) == ["items[1].rank"]
    from_zero = await api.put_items(
        client, admin, 1, [item(good["id"], 0), item(survivor["id"], 1)], status=400
    )
    assert invalid_names(from_zero) == ["items[0].rank"]
    shape = await api.put_items(
        client,
        admin,
        1,
        [{"questionId": "nope", "priority": "urgent", "rank": 1, "colour": "red"}, {}],
        status=400,
    )
    assert set(invalid_names(shape)) == {
        "items[0].questionId",
        "items[0].priority",
        "items[0].colour",
        "items[1].questionId",
    }
    no_list = await client.put(
        "/v1/agenda/revisions/1/items", json=[item(good["id"], 1)], headers=bearer(admin)
    )
    _problem(no_list, 400)
    assert await _snapshot(client, admin) == before


async def test_ranks_default_to_list_order_and_items_come_back_by_rank(client):
    admin = await make_key("admin")
    q1, q2, q3 = await make_questions(3)
    await api.create_draft(client, admin)
    listed = await api.put_items(client, admin, 1, [item(q1["id"]), item(q2["id"]), item(q3["id"])])
    assert [(i["questionId"], i["rank"]) for i in listed.json()["items"]] == [
        (q1["id"], 1),
        (q2["id"], 2),
        (q3["id"], 3),
    ]
    shuffled = await api.put_items(
        client, admin, 1, [item(q1["id"], 3), item(q2["id"], 1), item(q3["id"], 2)]
    )
    assert [i["questionId"] for i in shuffled.json()["items"]] == [q2["id"], q3["id"], q1["id"]]
    emptied = await api.put_items(client, admin, 1, [])
    assert emptied.json()["items"] == []
    assert emptied.json()["itemCount"] == 0


async def test_merge_patch_and_references(client):
    admin = await make_key("admin")
    workshop = await make_workshop()
    await api.create_draft(client, admin, {"title": "Concept", "workshopId": workshop["id"]})
    changed = await api.patch_revision(client, admin, 1, {"rationale": "Omdat"})
    assert changed.json()["title"] == "Concept"
    assert changed.json()["rationale"] == "Omdat"
    assert changed.headers["ETag"] == '"2"'
    cleared = await api.patch_revision(client, admin, 1, {"title": None, "workshopId": None})
    assert cleared.json()["title"] is None
    assert cleared.json()["workshopId"] is None
    unchanged = await api.patch_revision(client, admin, 1, {})
    assert unchanged.headers["ETag"] == '"3"'
    before = await _snapshot(client, admin)
    bad = await api.patch_revision(
        client,
        admin,
        1,
        {"workshopId": str(uuid.uuid4()), "status": "published", "number": 9},
        status=400,
    )
    assert set(invalid_names(bad)) == {"status", "number"}
    unknown = await api.patch_revision(
        client, admin, 1, {"workshopId": str(uuid.uuid4())}, status=400
    )
    assert invalid_names(unknown) == ["workshopId"]
    too_long = await api.patch_revision(client, admin, 1, {"title": "x" * 201}, status=400)
    assert invalid_names(too_long) == ["title"]
    refused = await client.post(
        "/v1/agenda/revisions", json={"workshopId": str(uuid.uuid4())}, headers=bearer(admin)
    )
    _problem(refused, 409)  # the draft exists: that is the first thing wrong
    assert await _snapshot(client, admin) == before


async def test_create_refuses_unknown_workshop(client):
    admin = await make_key("admin")
    refused = await client.post(
        "/v1/agenda/revisions", json={"workshopId": str(uuid.uuid4())}, headers=bearer(admin)
    )
    assert invalid_names_of(_problem(refused, 400)) == ["workshopId"]
    unknown_field = await client.post(
        "/v1/agenda/revisions", json={"number": 5, "status": "published"}, headers=bearer(admin)
    )
    assert set(invalid_names_of(_problem(unknown_field, 400))) == {"number", "status"}
    assert await _snapshot(client, admin) == []


async def test_a_draft_can_be_discarded_and_its_number_reused(client):
    admin = await make_key("admin")
    questions = await _published_and_draft(client, admin)
    await api.put_items(client, admin, 2, [item(questions[1]["id"], 1)])
    gone = await client.delete("/v1/agenda/revisions/2", headers=api.headers(admin, '"2"'))
    assert gone.status_code == 204, gone.text
    _problem(await client.get("/v1/agenda/revisions/2", headers=bearer(admin)), 404)
    again = (await api.create_draft(client, admin)).json()
    assert again["number"] == 2
    assert [i["questionId"] for i in again["items"]] == [questions[0]["id"], questions[1]["id"]]


async def test_publishing_refuses_questions_merged_since_the_copy(client):
    admin = await make_key("admin")
    q1, q2, survivor = await make_questions(3)
    await api.publish_agenda(client, admin, [item(q1["id"], 1), item(q2["id"], 2)])
    await api.create_draft(client, admin)
    await merge_into(q2["id"], survivor["id"])
    before = await _snapshot(client, admin)
    refused = _problem(await api.publish(client, admin, 2, status=409), 409)
    assert refused["unusableQuestionIds"] == [q2["id"]]
    assert await _snapshot(client, admin) == before


async def test_who_may_read_and_write(client):
    admin = await make_key("admin")
    questions = await _published_and_draft(client, admin)
    qid = questions[0]["id"]
    reads = [
        "/v1/agenda",
        "/v1/agenda/revisions",
        "/v1/agenda/revisions/1",
        "/v1/agenda/revisions/2/diff?from=1",
        f"/v1/learning-questions/{qid}/agenda-history",
    ]
    for role in ("admin", "facilitator", "member", "reader"):
        key = await make_key(role)
        for url in reads:
            response = await client.get(url, headers=bearer(key))
            assert response.status_code == 200, (role, url, response.text)
    sync = await make_key("sync")
    for url in reads:
        _problem(await client.get(url, headers=bearer(sync)), 403)
        _problem(await client.get(url), 401)

    before = await _snapshot(client, admin)
    for role in ("facilitator", "member", "reader", "sync"):
        key = await make_key(role)
        writes = [
            client.post("/v1/agenda/revisions", headers=bearer(key)),
            client.patch(
                "/v1/agenda/revisions/2",
                json={"title": "x"},
                headers=bearer(key),
            ),
            client.put(
                "/v1/agenda/revisions/2/items", json={"items": [item(qid, 1)]}, headers=bearer(key)
            ),
            client.post("/v1/agenda/revisions/2/_publish", headers=bearer(key)),
            client.delete("/v1/agenda/revisions/2", headers=bearer(key)),
        ]
        for write in writes:
            _problem(await write, 403)
    assert await _snapshot(client, admin) == before
    denied = await raw_sql(
        "SELECT count(*) FROM audit_events WHERE result = 'denied' AND status_code = 403"
    )
    assert denied[0][0] >= 20


async def test_question_history_of_an_unknown_question_is_404(client):
    reader = await make_key("reader")
    _problem(
        await client.get(
            f"/v1/learning-questions/{uuid.uuid4()}/agenda-history", headers=bearer(reader)
        ),
        404,
    )
    lonely = await make_question()
    empty = await client.get(
        f"/v1/learning-questions/{lonely['id']}/agenda-history", headers=bearer(reader)
    )
    assert empty.json() == {
        "questionId": lonely["id"],
        "question": {"id": lonely["id"], "title": lonely["title"]},
        "items": [],
    }


CSV_TYPE = "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, ("application/json", CSV_TYPE)),
        ("*/*", ("application/json", CSV_TYPE)),
        ("text/csv;q=0.5, application/json", ("application/json", CSV_TYPE)),
        ("application/json;q=0.2, text/csv;q=0.9", ("application/json", CSV_TYPE)),
        ("text/html, */*;q=0.1", ("application/json", CSV_TYPE)),
        ("application/json", ("application/json", None)),
        ("text/*", (None, CSV_TYPE)),
        ("text/csv", (None, CSV_TYPE)),
    ],
)
async def test_each_operation_answers_one_media_type(client, accept, expected):
    """The revision is JSON, its export CSV: an Accept header picks no other type, it admits
    the operation's own or is refused."""
    admin = await make_key("admin")
    await _published_and_draft(client, admin)
    extra = {"Accept": accept} if accept is not None else {}
    for json_url, csv_url in (
        ("/v1/agenda", "/v1/agenda/export.csv"),
        ("/v1/agenda/revisions/2", "/v1/agenda/revisions/2/export.csv"),
    ):
        for url, media_type in zip((json_url, csv_url), expected, strict=True):
            response = await client.get(url, headers=api.headers(admin, **extra))
            if media_type is None:
                assert _problem(response, 406)["supportedMediaTypes"] != []
            else:
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == media_type


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "text/csv;q=0"])
async def test_unsupported_accept_is_406(client, accept):
    admin = await make_key("admin")
    await _published_and_draft(client, admin)
    for url in ("/v1/agenda/export.csv", "/v1/agenda/revisions/1/export.csv"):
        response = await client.get(url, headers=api.headers(admin, Accept=accept))
        assert _problem(response, 406)["supportedMediaTypes"] == ["text/csv"]


async def test_csv_defuses_spreadsheet_formulas(client):
    admin = await make_key("admin")
    risky = await make_question(title='=HYPERLINK("http://evil.example")')
    multi = await make_question(title="Twee regels,\nen een komma")
    await api.publish_agenda(
        client, admin, [item(risky["id"], 1, note="+31 20"), item(multi["id"], 2)]
    )
    sheet = await client.get("/v1/agenda/export.csv", headers=bearer(admin))
    rows = list(csv.reader(io.StringIO(sheet.content.decode(), newline="")))
    assert rows[1][3] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][8] == "'+31 20"
    assert rows[2][3] == "Twee regels,\nen een komma"
    assert sheet.headers["content-disposition"] == 'inline; filename="agenda-revision-1.csv"'


async def test_writes_leave_audit_events_and_create_is_idempotent(client):
    admin = await make_key("admin")
    q = (await make_questions(1))[0]
    key = {"Idempotency-Key": "agenda-draft-1"}
    first = await client.post("/v1/agenda/revisions", json={}, headers={**bearer(admin), **key})
    replay = await client.post("/v1/agenda/revisions", json={}, headers={**bearer(admin), **key})
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    await api.patch_revision(client, admin, 1, {"title": "Eerste"})
    await api.put_items(client, admin, 1, [item(q["id"], 1)])
    await api.publish(client, admin, 1)
    rows = await raw_sql(
        "SELECT action, object_id, result FROM audit_events "
        "WHERE object_type = 'agenda-revision' ORDER BY id"
    )
    assert [(a, o, r) for a, o, r in rows] == [
        ("agenda-revisions-create", "1", "success"),
        ("agenda-revisions-update", "1", "success"),
        ("agenda-revisions-items-update", "1", "success"),
        ("agenda-revisions-publish", "1", "success"),
    ]
    await api.publish(client, admin, 1, status=409)
    refused = await raw_sql(
        "SELECT action, result, status_code FROM audit_events WHERE result = 'rejected'"
    )
    assert ("agenda-revisions-publish", "rejected", 409) in [tuple(r) for r in refused]
