"""The agenda as it was: as of a moment (an instant, or a day in Amsterdam), a published revision
at its publication, a question's agenda history and a diff each show the questions' titles and
statuses of their moment, read from the questions' histories; the current agenda is unchanged."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from app.agenda import service
from app.agenda.schemas import AgendaItemInput, QuestionAgendaHistory, RevisionCreate, RevisionRead
from app.core.context import SYSTEM
from app.core.db import database
from app.core.errors import InvalidInput
from app.core.models import clock_at
from app.learning_questions.schemas import QuestionUpdate
from app.learning_questions.service import update_question
from tests.agenda import api
from tests.agenda.factories import make_question, merge_into, set_question_status
from tests.factories import bearer, make_key

# Thursday 14 March 2024, the day of the first werkplaats; the story goes on over the next days.
DAY = datetime(2024, 3, 14, tzinfo=UTC)


def at(days: int, hours: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours)


def z(moment: datetime) -> str:
    """An instant as the API writes it."""
    return moment.isoformat()


async def question(moment: datetime, title: str) -> dict[str, Any]:
    with clock_at(moment):
        return await make_question(title=title)


async def status(moment: datetime, question_id: str, new: str) -> None:
    with clock_at(moment):
        await set_question_status(question_id, new)


async def merge(moment: datetime, question_id: str, into_id: str) -> None:
    with clock_at(moment):
        await merge_into(question_id, into_id)


async def retitle(moment: datetime, question_id: str, title: str) -> None:
    patch = QuestionUpdate.model_validate({"title": title})
    with clock_at(moment):
        async with database.engine.begin() as conn:
            await update_question(conn, SYSTEM, uuid.UUID(question_id), patch, None)


async def publish(moment: datetime, *question_ids: str, priority: str = "medium") -> None:
    """A revision with these questions, published at `moment` (through the services, as the
    demo tells its story)."""
    items = [
        AgendaItemInput.model_validate({"questionId": qid, "priority": priority})
        for qid in question_ids
    ]
    with clock_at(moment):
        async with database.engine.begin() as conn:
            draft = await service.create_draft(conn, SYSTEM, RevisionCreate())
            await service.replace_items(conn, SYSTEM, draft["number"], items, None)
            await service.publish_revision(conn, SYSTEM, draft["number"], None)


async def get(client: httpx.AsyncClient, key: str, url: str, **params: str) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def shown(revision: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (i["questionId"], i["question"]["title"], i["question"]["status"])
        for i in revision["items"]
    ]


async def _a_story() -> dict[str, dict[str, Any]]:
    """Four questions on revision 1 (published on the day), and afterwards: one moves on twice,
    one is merged, one retired, one reworded."""
    moved = await question(at(0, 10), "Hoe gaat het verder?")
    merged = await question(at(0, 10), "Wordt dit samengevoegd?")
    retired = await question(at(0, 10), "Vervalt dit?")
    reworded = await question(at(0, 10), "Oude titel")
    survivor = await question(at(0, 11), "Wat blijft er over?")
    await publish(at(0, 17), moved["id"], merged["id"], retired["id"], reworded["id"])
    await status(at(2), moved["id"], "exploring")
    await status(at(4), moved["id"], "answered")
    await merge(at(4), merged["id"], survivor["id"])
    await status(at(4), retired["id"], "retired")
    await retitle(at(4), reworded["id"], "Nieuwe titel")
    return {
        "moved": moved,
        "merged": merged,
        "retired": retired,
        "reworded": reworded,
        "survivor": survivor,
    }


async def test_the_agenda_as_of_a_moment_shows_the_questions_as_they_were(client):
    reader = await make_key("reader")
    q = await _a_story()
    ids = [q[name]["id"] for name in ("moved", "merged", "retired", "reworded")]

    evening = await get(client, reader, "/v1/agenda", asOf="2024-03-14T18:00:00Z")
    TypeAdapter(RevisionRead).validate_python(evening)
    assert evening["number"] == 1
    assert evening["moment"] == "2024-03-14T18:00:00+00:00"
    assert shown(evening) == [
        (ids[0], "Hoe gaat het verder?", "open"),
        (ids[1], "Wordt dit samengevoegd?", "open"),
        (ids[2], "Vervalt dit?", "open"),
        (ids[3], "Oude titel", "open"),
    ]
    between = await get(client, reader, "/v1/agenda", asOf=z(at(3)))
    assert between["moment"] == z(at(3))
    assert [s for _, _, s in shown(between)] == ["exploring", "open", "open", "open"]
    # A change at the very moment asked for is part of it.
    exactly = await get(client, reader, "/v1/agenda", asOf=z(at(4)))
    assert shown(exactly) == [
        (ids[0], "Hoe gaat het verder?", "answered"),
        (ids[1], "Wordt dit samengevoegd?", "merged"),
        (ids[2], "Vervalt dit?", "retired"),
        (ids[3], "Nieuwe titel", "open"),
    ]
    assert shown(await get(client, reader, "/v1/agenda")) == shown(exactly)

    # The same agenda as a spreadsheet.
    sheet = await client.get(
        "/v1/agenda/export.csv",
        params={"asOf": "2024-03-14T18:00:00Z"},
        headers=api.headers(reader, Accept="text/csv"),
    )
    assert sheet.status_code == 200, sheet.text
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8"), newline="")))
    assert [(r[2], r[3], r[4]) for r in rows[1:]] == shown(evening)


async def test_a_published_revision_shows_its_questions_as_at_its_publication(client):
    reader = await make_key("reader")
    q = await _a_story()

    revision = await get(client, reader, "/v1/agenda/revisions/1")
    TypeAdapter(RevisionRead).validate_python(revision)
    assert revision["moment"] == revision["publishedAt"] == z(at(0, 17))
    assert [(t, s) for _, t, s in shown(revision)] == [
        ("Hoe gaat het verder?", "open"),
        ("Wordt dit samengevoegd?", "open"),
        ("Vervalt dit?", "open"),
        ("Oude titel", "open"),
    ]
    sheet = await client.get(
        "/v1/agenda/revisions/1/export.csv", headers=api.headers(reader, Accept="text/csv")
    )
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8"), newline="")))
    assert [(r[2], r[3], r[4]) for r in rows[1:]] == shown(revision)

    # A draft is still being written: its questions are as they are now, with no moment.
    admin = await make_key("admin")
    draft = (await api.create_draft(client, admin)).json()
    assert "moment" not in draft
    assert [(t, s) for _, t, s in shown(draft)][3] == ("Nieuwe titel", "open")
    assert "moment" not in await get(client, reader, f"/v1/agenda/revisions/{draft['number']}")
    assert q["reworded"]["id"] == shown(draft)[3][0]


async def test_the_current_agenda_is_unchanged(client, statements):
    """Without asOf: the questions as they are now, no `moment`, the same statements as before
    (none reads a history), and the as-of view costs no more statements than it."""
    reader = await make_key("reader")
    await _a_story()
    await client.get("/v1/agenda", headers=bearer(reader))  # caches the key

    statements.statements.clear()
    now = await get(client, reader, "/v1/agenda")
    current_sql = list(statements.statements)
    assert set(now) == set(TypeAdapter(RevisionRead).json_schema()["required"])
    assert [s for _, _, s in shown(now)] == ["answered", "merged", "retired", "open"]
    assert not any(
        "question_status_changes" in s or "question_title_changes" in s for s in current_sql
    )

    statements.statements.clear()
    await get(client, reader, "/v1/agenda", asOf="2024-03-14T18:00:00Z")
    assert len(statements.statements) == len(current_sql) <= 3
    statements.statements.clear()
    await get(client, reader, "/v1/agenda", asOf="2024-03-14")
    assert len(statements.statements) == len(current_sql)


async def test_a_question_s_agenda_history_shows_it_at_each_publication(client):
    reader = await make_key("reader")
    q = await _a_story()
    late = await question(at(5), "Pas later gesteld")
    await publish(at(6), q["reworded"]["id"], late["id"])
    await retitle(at(7), late["id"], "Later anders gesteld")

    reworded = await get(
        client, reader, f"/v1/learning-questions/{q['reworded']['id']}/agenda-history"
    )
    TypeAdapter(QuestionAgendaHistory).validate_python(reworded)
    assert [(e["number"], e["present"], e["title"], e["status"]) for e in reworded["items"]] == [
        (1, True, "Oude titel", "open"),
        (2, True, "Nieuwe titel", "open"),
    ]
    moved = await get(client, reader, f"/v1/learning-questions/{q['moved']['id']}/agenda-history")
    assert [(e["present"], e["status"]) for e in moved["items"]] == [
        (True, "open"),
        (False, "answered"),
    ]
    # Before it was raised, it had no title or status yet.
    history = await get(client, reader, f"/v1/learning-questions/{late['id']}/agenda-history")
    assert [(e["present"], e["title"], e["status"]) for e in history["items"]] == [
        (False, None, None),
        (True, "Pas later gesteld", "open"),
    ]


async def test_a_diff_shows_each_side_s_questions_at_its_moment(client, statements):
    reader = await make_key("reader")
    q = await _a_story()
    await publish(
        at(6), q["moved"]["id"], q["reworded"]["id"], q["survivor"]["id"], priority="high"
    )
    later = at(7)
    await retitle(later, q["survivor"]["id"], "Wat blijft er nu over?")
    await get(client, reader, "/v1/agenda")  # caches the key

    statements.statements.clear()
    diff = await get(client, reader, "/v1/agenda/revisions/2/diff", **{"from": "1"})
    assert len(statements.statements) <= 3
    assert (diff["from"]["moment"], diff["to"]["moment"]) == (z(at(0, 17)), z(at(6)))
    # Taken off: as they were on revision 1.
    assert [(i["question"]["title"], i["question"]["status"]) for i in diff["removed"]] == [
        ("Wordt dit samengevoegd?", "open"),
        ("Vervalt dit?", "open"),
    ]
    # Put on, and still on: as they were on revision 2 (not as reworded since).
    assert [(i["question"]["title"], i["question"]["status"]) for i in diff["added"]] == [
        ("Wat blijft er over?", "open")
    ]
    assert [(c["question"]["title"], c["question"]["status"]) for c in diff["changed"]] == [
        ("Hoe gaat het verder?", "answered"),
        ("Nieuwe titel", "open"),
    ]
    assert [(c["title"], c["old"], c["new"]) for c in diff["statusChanges"]] == [
        ("Hoe gaat het verder?", "open", "answered"),
        ("Wordt dit samengevoegd?", "open", "merged"),
        ("Vervalt dit?", "open", "retired"),
    ]
    # Both revisions are published: nothing that happens later changes their diff.
    await status(at(8), q["moved"]["id"], "open")
    assert await get(client, reader, "/v1/agenda/revisions/2/diff", **{"from": "1"}) == diff

    # A revision compared with itself: one moment on both sides, and nothing differs.
    same = await get(client, reader, "/v1/agenda/revisions/2/diff", **{"from": "2"})
    assert same["from"] == same["to"] == diff["to"]
    assert [same[key] for key in ("added", "removed", "changed", "statusChanges")] == [[]] * 4


@pytest.mark.parametrize(
    ("day", "end"),
    [
        ("2024-03-14", "2024-03-14T22:59:59.999999+00:00"),  # winter time, UTC+1
        ("2024-07-01", "2024-07-01T21:59:59.999999+00:00"),  # summer time, UTC+2
        ("2024-03-31", "2024-03-31T21:59:59.999999+00:00"),  # the clocks go forward: 23 hours
        ("2024-03-30", "2024-03-30T22:59:59.999999+00:00"),  # the day before still in winter time
        ("2024-10-27", "2024-10-27T22:59:59.999999+00:00"),  # the clocks go back: 25 hours
        ("2024-10-26", "2024-10-26T21:59:59.999999+00:00"),  # the day before still in summer time
    ],
)
def test_a_date_is_the_end_of_that_day_in_amsterdam(day, end):
    assert z(service.parse_instant(day, "asOf")) == end


def test_the_last_date_there_is_means_the_end_of_time():
    """A valid date the document allows: it has no next midnight, so it is not refused."""
    assert service.parse_instant("9999-12-31", "asOf") == datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize("day", ["2024-02-30", "2024-13-01", "2024-3-14", "24-03-14"])
def test_an_impossible_date_is_refused(day):
    with pytest.raises(InvalidInput):
        service.parse_instant(day, "asOf")


async def test_as_of_a_date_in_amsterdam_around_the_clock_change(client):
    reader = await make_key("reader")
    one = await question(at(0, 10), "Eerste vraag")
    two = await question(at(0, 10), "Tweede vraag")
    # 23:30 in Amsterdam on 14 March (winter time): still that day.
    await publish(datetime(2024, 3, 14, 22, 30, tzinfo=UTC), one["id"])
    # 00:30 in Amsterdam on 1 April (summer time since 31 March): the next day, though it is
    # still 31 March in UTC.
    await publish(datetime(2024, 3, 31, 22, 30, tzinfo=UTC), one["id"], two["id"])
    await status(datetime(2024, 3, 31, 21, 30, tzinfo=UTC), one["id"], "exploring")

    first = await get(client, reader, "/v1/agenda", asOf="2024-03-14")
    assert (first["number"], first["moment"]) == (1, "2024-03-14T22:59:59.999999+00:00")
    assert [s for _, _, s in shown(first)] == ["open"]
    last_of_march = await get(client, reader, "/v1/agenda", asOf="2024-03-31")
    assert (last_of_march["number"], last_of_march["moment"]) == (
        1,
        "2024-03-31T21:59:59.999999+00:00",
    )
    # 23:30 in Amsterdam on the 31st is part of that day.
    assert [s for _, _, s in shown(last_of_march)] == ["exploring"]
    april = await get(client, reader, "/v1/agenda", asOf="2024-04-01")
    assert april["number"] == 2
    before = await client.get("/v1/agenda", params={"asOf": "2024-03-13"}, headers=bearer(reader))
    assert before.status_code == 404
    bad = await client.get("/v1/agenda", params={"asOf": "2024-02-30"}, headers=bearer(reader))
    assert bad.status_code == 400
    assert [p["name"] for p in bad.json()["invalidParams"]] == ["asOf"]
