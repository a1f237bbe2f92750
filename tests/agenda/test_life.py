"""An agenda's whole life over two werkplaatsen: drafts, items, publication, the copy into the
next draft, as-of reads at several moments, diffs both ways, question histories and CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from pydantic import TypeAdapter

from app.agenda.schemas import QuestionAgendaHistory, RevisionDiff, RevisionPage, RevisionRead
from app.core.models import utcnow
from tests.agenda import api
from tests.agenda.api import item
from tests.agenda.factories import (
    make_group,
    make_question,
    make_theme,
    make_workshop,
    merge_into,
    set_question_status,
)
from tests.factories import bearer, make_key


def _at(moment: datetime) -> dict[str, str]:
    return {"asOf": moment.isoformat()}


def _ranked(revision: dict[str, Any]) -> list[tuple[str, int, str, str | None, str | None]]:
    return [
        (i["questionId"], i["rank"], i["priority"], i["ownerGroupId"], i["note"])
        for i in revision["items"]
    ]


async def _agenda_at(
    client: httpx.AsyncClient, key: str, moment: datetime | None
) -> httpx.Response:
    params = _at(moment) if moment is not None else {}
    return await client.get("/v1/agenda", params=params, headers=bearer(key))


async def test_the_agenda_over_two_workshops(client):
    admin = await make_key("admin")
    reader = await make_key("reader")
    verbinder = await make_theme("verbinder", name="De gemeente als organisatie")
    coalitie = await make_theme("coalitiebouwer", name="Gemeente en markt")
    circulair = await make_group(verbinder["id"], name="Circulair inkopen")
    bouw = await make_group(coalitie["id"], name="Circulair bouwen")
    first, second = await make_workshop(), await make_workshop()
    q1 = await make_question(verbinder["id"], title="Hoe kopen we circulair in?")
    q2 = await make_question(verbinder["id"], title="Wie beheert de materialenkennis?")
    q3 = await make_question(coalitie["id"], title="Welke contractvormen werken?")
    q4 = await make_question(coalitie["id"], title="Hoe delen we materialen tussen projecten?")
    q5 = await make_question(None, title='Wat betekent "circulair", eigenlijk?')

    before_anything = utcnow()
    nothing = await _agenda_at(client, reader, None)
    assert nothing.status_code == 404
    assert nothing.headers["content-type"].startswith("application/problem+json")

    # Revision 1, after the first werkplaats.
    created = await api.create_draft(
        client,
        admin,
        {"title": "Na werkplaats 1", "rationale": "Eerste leeragenda", "workshopId": first["id"]},
    )
    draft1 = created.json()
    assert draft1["number"] == 1
    assert draft1["status"] == "draft"
    assert draft1["items"] == []
    assert draft1["itemCount"] == 0
    assert draft1["publishedAt"] is None
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith("/v1/agenda/revisions/1")
    TypeAdapter(RevisionRead).validate_python(draft1)

    filled = await api.put_items(
        client,
        admin,
        1,
        [
            item(q1["id"], 1, "high", circulair["id"], "Start bij de inkoopafdeling"),
            item(q2["id"], 2, "medium"),
            item(q3["id"], 3, "low", bouw["id"]),
        ],
        if_match='"1"',
    )
    assert filled.headers["ETag"] == '"2"'
    published1 = (await api.publish(client, admin, 1, '"2"')).json()
    after_first = utcnow()
    assert published1["status"] == "published"
    assert published1["publishedBy"] == "test admin"
    assert published1["version"] == 3
    published_at1 = datetime.fromisoformat(published1["publishedAt"])
    assert before_anything < published_at1 <= after_first

    current = (await _agenda_at(client, reader, None)).json()
    TypeAdapter(RevisionRead).validate_python(current)
    assert current["number"] == 1
    assert [i["questionId"] for i in current["items"]] == [q1["id"], q2["id"], q3["id"]]
    top = current["items"][0]
    assert top["question"] == {
        "id": q1["id"],
        "title": "Hoe kopen we circulair in?",
        "status": "open",
        "supportCount": 0,
        "theme": {
            "id": verbinder["id"],
            "name": "De gemeente als organisatie",
            "transitionRole": "verbinder",
        },
    }
    assert top["ownerGroup"] == {"id": circulair["id"], "name": "Circulair inkopen"}
    assert current["items"][1]["ownerGroup"] is None

    # Between the werkplaatsen: one question answered, one merged into a new one.
    await set_question_status(q3["id"], "answered")
    await merge_into(q2["id"], q4["id"])
    status_moment = utcnow()

    # Revision 2 starts as a copy of revision 1, merged question and all.
    draft2 = (await api.create_draft(client, admin, {"workshopId": second["id"]})).json()
    assert draft2["number"] == 2
    assert draft2["title"] is None
    assert _ranked(draft2) == _ranked(published1)
    refused = await api.publish(client, admin, 2, status=409)
    assert q2["id"] in refused.json()["detail"]

    await api.patch_revision(
        client, admin, 2, {"title": "Na werkplaats 2", "rationale": "Bijgesteld"}, '"1"'
    )
    revised = await api.put_items(
        client,
        admin,
        2,
        [
            item(q4["id"], 1, "high", bouw["id"]),
            item(q1["id"], 2, "medium", circulair["id"], "Start bij de inkoopafdeling"),
            item(q3["id"], 3, "low", circulair["id"], "Beantwoord; delen"),
            item(q5["id"], 4, "low"),
        ],
        if_match='"2"',
    )
    published2 = (await api.publish(client, admin, 2, revised.headers["ETag"])).json()
    after_second = utcnow()
    published_at2 = datetime.fromisoformat(published2["publishedAt"])
    assert published2["title"] == "Na werkplaats 2"
    assert published2["workshopId"] == second["id"]
    assert published_at1 < status_moment < published_at2

    # As-of at several moments.
    assert (await _agenda_at(client, reader, before_anything)).status_code == 404
    assert (await _agenda_at(client, reader, published_at1)).json()["number"] == 1
    assert (await _agenda_at(client, reader, status_moment)).json()["number"] == 1
    just_before = published_at2 - timedelta(microseconds=1)
    assert (await _agenda_at(client, reader, just_before)).json()["number"] == 1
    assert (await _agenda_at(client, reader, published_at2)).json()["number"] == 2
    assert (await _agenda_at(client, reader, after_second)).json()["number"] == 2
    assert (await _agenda_at(client, reader, None)).json()["number"] == 2
    in_amsterdam = published_at1.astimezone(timezone(timedelta(hours=1)))
    assert (await _agenda_at(client, reader, in_amsterdam)).json()["number"] == 1

    # What changed from 1 to 2.
    diff = await client.get(
        "/v1/agenda/revisions/2/diff", params={"from": 1}, headers=bearer(reader)
    )
    assert diff.status_code == 200, diff.text
    body = diff.json()
    TypeAdapter(RevisionDiff).validate_python(body)
    assert body["from"]["number"] == 1
    assert body["to"]["number"] == 2
    assert body["from"]["moment"] == published1["publishedAt"]
    assert [i["questionId"] for i in body["added"]] == [q4["id"], q5["id"]]
    assert [i["questionId"] for i in body["removed"]] == [q2["id"]]
    assert body["removed"][0]["rank"] == 2
    changed = {c["questionId"]: c for c in body["changed"]}
    assert set(changed) == {q1["id"], q3["id"]}
    assert changed[q1["id"]]["changedFields"] == ["rank", "priority"]
    assert changed[q1["id"]]["rank"] == {"old": 1, "new": 2}
    assert changed[q1["id"]]["priority"] == {"old": "high", "new": "medium"}
    assert changed[q1["id"]]["note"]["old"] == changed[q1["id"]]["note"]["new"]
    assert changed[q3["id"]]["changedFields"] == ["ownerGroupId", "note"]
    assert changed[q3["id"]]["ownerGroupId"] == {"old": bouw["id"], "new": circulair["id"]}
    assert changed[q3["id"]]["note"] == {"old": None, "new": "Beantwoord; delen"}
    assert body["statusChanges"] == [
        {
            "questionId": q3["id"],
            "question": {"id": q3["id"], "title": q3["title"]},
            "title": q3["title"],
            "old": "open",
            "new": "answered",
        },
        {
            "questionId": q2["id"],
            "question": {"id": q2["id"], "title": q2["title"]},
            "title": q2["title"],
            "old": "open",
            "new": "merged",
        },
    ]

    reverse = (
        await client.get("/v1/agenda/revisions/1/diff", params={"from": 2}, headers=bearer(reader))
    ).json()
    assert [i["questionId"] for i in reverse["added"]] == [q2["id"]]
    assert [i["questionId"] for i in reverse["removed"]] == [q4["id"], q5["id"]]
    assert {c["questionId"] for c in reverse["statusChanges"]} == {q2["id"], q3["id"]}
    assert {(c["old"], c["new"]) for c in reverse["statusChanges"]} == {
        ("answered", "open"),
        ("merged", "open"),
    }

    # Where each question stood over time.
    async def history(question: dict[str, Any]) -> list[dict[str, Any]]:
        response = await client.get(
            f"/v1/learning-questions/{question['id']}/agenda-history", headers=bearer(reader)
        )
        assert response.status_code == 200, response.text
        TypeAdapter(QuestionAgendaHistory).validate_python(response.json())
        entries: list[dict[str, Any]] = response.json()["items"]
        return entries

    q2_history = await history(q2)
    assert [(e["number"], e["present"], e["rank"]) for e in q2_history] == [
        (1, True, 2),
        (2, False, None),
    ]
    assert q2_history[0]["publishedAt"] == published1["publishedAt"]
    q5_history = await history(q5)
    assert [(e["number"], e["present"], e["rank"], e["priority"]) for e in q5_history] == [
        (1, False, None, None),
        (2, True, 4, "low"),
    ]
    q1_history = await history(q1)
    assert [(e["rank"], e["priority"], e["ownerGroupId"]) for e in q1_history] == [
        (1, "high", circulair["id"]),
        (2, "medium", circulair["id"]),
    ]

    # The agenda as a spreadsheet.
    sheet = await client.get("/v1/agenda/export.csv", headers=bearer(reader))
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"] == "text/csv; charset=utf-8"
    assert sheet.headers["ETag"] == f'"{published2["version"]}"'
    assert b"\r\n" in sheet.content
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8"), newline="")))
    assert rows[0] == [
        "rank",
        "priority",
        "questionId",
        "questionTitle",
        "questionStatus",
        "theme",
        "ownerGroupId",
        "ownerGroupName",
        "note",
        "questionSupportCount",
    ]
    assert rows[1] == [
        "1",
        "high",
        q4["id"],
        q4["title"],
        "open",
        "Gemeente en markt",
        bouw["id"],
        "Circulair bouwen",
        "",
        "0",
    ]
    assert rows[3][3:6] == [q3["title"], "answered", "Gemeente en markt"]
    assert rows[4][3] == 'Wat betekent "circulair", eigenlijk?'
    assert rows[4][5] == ""
    assert len(rows) == 5
    old_sheet = await client.get("/v1/agenda/revisions/1/export.csv", headers=bearer(reader))
    assert [r[2] for r in csv.reader(io.StringIO(old_sheet.text, newline=""))][1:] == [
        q1["id"],
        q2["id"],
        q3["id"],
    ]

    # Draft 3: a diff against a draft reads statuses now.
    await api.create_draft(client, admin)
    await set_question_status(q1["id"], "exploring")
    towards_draft = (
        await client.get("/v1/agenda/revisions/3/diff", params={"from": 2}, headers=bearer(reader))
    ).json()
    assert towards_draft["to"]["status"] == "draft"
    assert towards_draft["to"]["publishedAt"] is None
    assert towards_draft["added"] == towards_draft["removed"] == towards_draft["changed"] == []
    assert towards_draft["statusChanges"] == [
        {
            "questionId": q1["id"],
            "question": {"id": q1["id"], "title": q1["title"]},
            "title": q1["title"],
            "old": "open",
            "new": "exploring",
        }
    ]
    # The history lists published revisions only; the draft is not (yet) part of it.
    assert [e["number"] for e in await history(q1)] == [1, 2]
    # The current agenda is still revision 2, embedding the question's status of now.
    now_agenda = (await _agenda_at(client, reader, None)).json()
    assert now_agenda["number"] == 2
    assert now_agenda["items"][1]["question"]["status"] == "exploring"

    # The list of revisions, page by page.
    page1 = await client.get("/v1/agenda/revisions", params={"pageSize": 2}, headers=bearer(reader))
    assert page1.status_code == 200, page1.text
    TypeAdapter(RevisionPage).validate_python(page1.json())
    assert [(r["number"], r["status"], r["itemCount"]) for r in page1.json()["items"]] == [
        (1, "published", 3),
        (2, "published", 4),
    ]
    assert "items" not in page1.json()["items"][0]
    page2 = await client.get(page1.json()["next"], headers=bearer(reader))
    assert [r["number"] for r in page2.json()["items"]] == [3]
    assert page2.json()["next"] is None
    newest = await client.get(
        "/v1/agenda/revisions",
        params={"sort": "-number", "status": "published"},
        headers=bearer(reader),
    )
    assert [r["number"] for r in newest.json()["items"]] == [2, 1]
