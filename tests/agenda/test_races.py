"""Races: two drafts created at once, two publications of one draft, an edit racing a
publication. Exactly one wins each time, and the loser changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from app.agenda import service
from app.agenda.schemas import RevisionCreate
from app.core.context import SYSTEM
from app.core.db import database
from app.core.errors import Conflict
from tests.agenda import api
from tests.agenda.api import item
from tests.agenda.factories import make_questions
from tests.conftest import raw_sql
from tests.factories import bearer, make_key


async def test_two_drafts_at_once_one_wins(client):
    admin = await make_key("admin")
    questions = await make_questions(2)
    await api.publish_agenda(client, admin, [item(q["id"], n + 1) for n, q in enumerate(questions)])
    for _ in range(3):
        responses = await asyncio.gather(
            client.post("/v1/agenda/revisions", json={}, headers=bearer(admin)),
            client.post("/v1/agenda/revisions", json={}, headers=bearer(admin)),
        )
        assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
        drafts = await raw_sql("SELECT number FROM agenda_revisions WHERE status = 'draft'")
        assert [row[0] for row in drafts] == [2]
        winner = next(r for r in responses if r.status_code == 201).json()
        assert len(winner["items"]) == 2
        items = await raw_sql("SELECT count(*) FROM agenda_items")
        assert items[0][0] == 4
        gone = await client.delete("/v1/agenda/revisions/2", headers=bearer(admin))
        assert gone.status_code == 204


async def test_the_database_decides_a_draft_race(client, backend_name):
    """Both transactions pass the 'no draft yet' check before either commits; the unique
    index (Postgres) or the write lock (SQLite) must still let only one through."""
    first = await database.engine.connect()
    second = await database.engine.connect()
    try:
        first.sync_connection.info["write"] = True  # type: ignore[union-attr]
        second.sync_connection.info["write"] = True  # type: ignore[union-attr]
        await first.begin()
        created = await service.create_draft(first, SYSTEM, RevisionCreate())
        assert created["number"] == 1

        async def in_second() -> dict[str, object]:
            await second.begin()
            return await service.create_draft(second, SYSTEM, RevisionCreate())

        racing = asyncio.create_task(in_second())
        await asyncio.sleep(0.2)  # let it reach the insert (Postgres) or the lock (SQLite)
        await first.commit()
        with pytest.raises(Conflict) as refused:
            await racing
        # Postgres let the second pass the check, so its unique index refused the insert;
        # SQLite's write lock made the second wait and then see the first's draft.
        expected = "same moment" if backend_name == "postgres" else "already a draft"
        assert expected in refused.value.detail
        await second.rollback()
    finally:
        # The flag lives on the pooled connection: leave none behind for later readers.
        for conn in (first, second):
            conn.sync_connection.info.pop("write", None)  # type: ignore[union-attr]
            await conn.close()
    drafts = await raw_sql("SELECT number FROM agenda_revisions")
    assert [row[0] for row in drafts] == [1]


async def test_two_publications_at_once_one_wins(client):
    admin = await make_key("admin")
    questions = await make_questions(3)
    for number in (1, 2, 3):
        draft = await api.create_draft(client, admin)
        etag = draft.headers["ETag"]
        await api.put_items(client, admin, number, [item(questions[number - 1]["id"], 1)], etag)
        etag = f'"{int(etag.strip(chr(34))) + 1}"'
        responses = await asyncio.gather(
            client.post(
                f"/v1/agenda/revisions/{number}/_publish", headers=api.headers(admin, etag)
            ),
            client.post(
                f"/v1/agenda/revisions/{number}/_publish", headers=api.headers(admin, etag)
            ),
        )
        codes = sorted(r.status_code for r in responses)
        assert codes[0] == 200 and codes[1] in (409, 412), [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        stored = await api.get_revision(client, admin, number)
        assert stored["publishedAt"] == winner["publishedAt"]
        assert stored["version"] == winner["version"]
    published = await raw_sql(
        "SELECT count(*) FROM audit_events WHERE action = 'agenda-revisions-publish' "
        "AND result = 'success'"
    )
    assert published[0][0] == 3


async def test_an_edit_racing_a_publication(client):
    admin = await make_key("admin")
    q1, q2 = await make_questions(2)
    await api.create_draft(client, admin)
    await api.put_items(client, admin, 1, [item(q1["id"], 1)], '"1"')
    put, publish = await asyncio.gather(
        client.put(
            "/v1/agenda/revisions/1/items",
            json={"items": [item(q2["id"], 1)]},
            headers=api.headers(admin, '"2"'),
        ),
        client.post("/v1/agenda/revisions/1/_publish", headers=api.headers(admin, '"2"')),
    )
    stored = await api.get_revision(client, admin, 1)
    if publish.status_code == 200:
        # The publication came first: the edit must not have touched the published items.
        assert put.status_code in (409, 412), put.text
        assert [i["questionId"] for i in stored["items"]] == [q1["id"]]
        assert stored["status"] == "published"
    else:
        assert put.status_code == 200, put.text
        assert publish.status_code == 412, publish.text
        assert [i["questionId"] for i in stored["items"]] == [q2["id"]]
        assert stored["status"] == "draft"
