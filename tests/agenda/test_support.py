"""Support beside the agenda: a draft shows each question's support as it is while the
facilitators rank it; a published revision, the agenda as of a moment, a diff and a question's
agenda history show the support each question had at that moment (withdrawals counted), in a
number of statements that does not grow with the agenda."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.core.context import Principal
from app.core.db import database
from app.core.models import clock_at
from app.learning_questions.service import support_question, withdraw_support
from tests.agenda import api
from tests.agenda.test_as_of import publish, question
from tests.factories import bearer, make_key, make_member

DAY = datetime(2024, 3, 14, tzinfo=UTC)


def at(days: int, hours: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours)


async def members(count: int) -> list[Principal]:
    people = [await make_member() for _ in range(count)]
    return [Principal(None, "member", "test member", member_id=p["id"]) for p in people]


async def support(moment: datetime, question_id: str, *who: Principal) -> None:
    with clock_at(moment):
        async with database.engine.begin() as conn:
            for principal in who:
                await support_question(conn, principal, uuid.UUID(question_id))


async def withdraw(moment: datetime, question_id: str, *who: Principal) -> None:
    with clock_at(moment):
        async with database.engine.begin() as conn:
            for principal in who:
                await withdraw_support(conn, principal, uuid.UUID(question_id))


async def get(client: httpx.AsyncClient, key: str, url: str, **params: str) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def supports(revision: dict[str, Any]) -> dict[str, int]:
    return {i["questionId"]: i["question"]["supportCount"] for i in revision["items"]}


async def test_each_revision_shows_the_support_of_its_moment(client):
    reader = await make_key("reader")
    admin = await make_key("admin")
    people = await members(5)
    grew = await question(at(0, 9), "Hoe kopen we circulair in?")
    faded = await question(at(0, 9), "Wat doen we met restmateriaal?")
    quiet = await question(at(0, 9), "Wie beheert de materialenbank?")
    ids = grew["id"], faded["id"], quiet["id"]

    await support(at(0, 10), faded["id"], *people[:3])
    await support(at(0, 11), grew["id"], people[0])
    await publish(at(0, 17), *(str(i) for i in ids))  # revision 1
    # Between the werkplaatsen: support grows for one question and fades for another.
    await support(at(1), grew["id"], *people[1:5])
    await withdraw(at(2), faded["id"], people[0], people[1])

    # The draft of revision 2 shows the support as it is now, beside each item to rank.
    draft = (await api.create_draft(client, admin)).json()
    assert supports(draft) == {str(grew["id"]): 5, str(faded["id"]): 1, str(quiet["id"]): 0}
    await support(at(3), quiet["id"], people[4])
    draft = await get(client, reader, f"/v1/agenda/revisions/{draft['number']}")
    assert draft["items"][2]["question"]["supportCount"] == 1  # live while a draft

    # Revision 1 still shows the support it had at its publication.
    first = await get(client, reader, "/v1/agenda/revisions/1")
    assert supports(first) == {str(grew["id"]): 1, str(faded["id"]): 3, str(quiet["id"]): 0}
    # The agenda in force now (revision 1) shows the support now; as of a moment, that moment's.
    now = await get(client, reader, "/v1/agenda")
    assert supports(now) == {str(grew["id"]): 5, str(faded["id"]): 1, str(quiet["id"]): 1}
    then = await get(client, reader, "/v1/agenda", asOf=at(1, 12).isoformat())
    assert supports(then) == {str(grew["id"]): 5, str(faded["id"]): 3, str(quiet["id"]): 0}
    # The moment of a support or withdrawal counts it.
    exactly = await get(client, reader, "/v1/agenda", asOf=at(2).isoformat())
    assert supports(exactly)[str(faded["id"])] == 1

    # The facilitators' answer: revision 2 ranks the grown question first.
    ranked = [api.item(grew["id"], 1), api.item(quiet["id"], 2), api.item(faded["id"], 3)]
    filled = await api.put_items(client, admin, draft["number"], ranked)
    assert [i["question"]["supportCount"] for i in filled.json()["items"]] == [5, 1, 1]
    with clock_at(at(4)):
        published = (
            await api.publish(client, admin, draft["number"], filled.headers["ETag"])
        ).json()
    assert [i["question"]["supportCount"] for i in published["items"]] == [5, 1, 1]
    await withdraw(at(5), grew["id"], *people)
    second = await get(client, reader, "/v1/agenda/revisions/2")
    assert [i["question"]["supportCount"] for i in second["items"]] == [5, 1, 1]

    # The diff shows each side's support at its own moment.
    diff = await get(client, reader, "/v1/agenda/revisions/2/diff", **{"from": "1"})
    changed = {c["questionId"]: c["question"]["supportCount"] for c in diff["changed"]}
    assert changed == {str(quiet["id"]): 1, str(faded["id"]): 1}  # at revision 2's publication

    # The question's agenda history: its support at each publication.
    history = await get(client, reader, f"/v1/learning-questions/{grew['id']}/agenda-history")
    assert [(e["number"], e["supportCount"]) for e in history["items"]] == [(1, 1), (2, 5)]
    assert (await get(client, reader, f"/v1/learning-questions/{grew['id']}"))["supportCount"] == 0

    # The spreadsheet carries it too, as its last column.
    sheet = await client.get("/v1/agenda/revisions/2/export.csv", headers=bearer(reader))
    rows = list(csv.reader(io.StringIO(sheet.content.decode(), newline="")))
    assert rows[0][-1] == "questionSupportCount"
    assert [r[-1] for r in rows[1:]] == ["5", "1", "1"]


async def test_a_revision_with_support_reads_in_constant_statements(client, statements):
    reader = await make_key("reader")
    people = await members(3)
    counts = {}
    for size in (2, 12):
        questions = [await question(at(0, 9), f"Vraag {size}-{n}") for n in range(size)]
        for q in questions:
            await support(at(0, 10), q["id"], *people)
        await publish(at(size), *(q["id"] for q in questions))
        number = 1 if size == 2 else 2
        await get(client, reader, "/v1/agenda/revisions/1")  # the key is cached now
        for url in (f"/v1/agenda/revisions/{number}", "/v1/agenda"):
            statements.statements.clear()
            body = await get(client, reader, url)
            assert set(supports(body).values()) == {3}
            counts[(size, url.endswith("agenda"))] = statements.count
        statements.statements.clear()
        await get(client, reader, f"/v1/learning-questions/{questions[0]['id']}/agenda-history")
        counts[(size, "history")] = statements.count
    assert counts[(2, False)] == counts[(12, False)] <= 2, counts
    assert counts[(2, True)] == counts[(12, True)] <= 2, counts
    assert counts[(2, "history")] == counts[(12, "history")] <= 2, counts
