"""The fast reader gives what SQLAlchemy gives for the same statement: the same rows, values and
Python types, on the same pool. It reads timestamps in Postgres's text form (cheaper to parse
than asyncpg's binary form), so that form is checked value by value."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Integer, String, bindparam, cast, column, select, table
from sqlalchemy.exc import DBAPIError

from app.core.db import database
from app.core.fastread import reader
from app.core.http import dumps
from app.core.models import UTCDateTime
from tests.agenda.api import item as agenda_item
from tests.agenda.api import publish_agenda
from tests.factories import (
    add_membership,
    bearer,
    make_comment,
    make_department,
    make_group,
    make_key,
    make_member,
    make_question,
)
from tests.me.support import sign_up, workshop_in

MOMENTS = [
    datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
    datetime(2026, 11, 28, 9, 30, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 28, 9, 30, 5, 510920, tzinfo=UTC),
    datetime(2026, 11, 28, 9, 30, 5, 999999, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 100000, tzinfo=UTC),
    # Another offset comes back as the same moment in UTC.
    datetime(2026, 3, 29, 2, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2))),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.isoformat())
async def test_fast_and_sqlalchemy_reads_agree(app, moment):
    statement = select(bindparam("moment", type_=UTCDateTime()).label("moment"))
    fast = await reader.fetch(statement, {"moment": moment})
    async with database.engine.connect() as conn:
        plain = (await conn.execute(statement, {"moment": moment})).all()
    assert fast[0][0] == plain[0][0] == moment
    assert fast[0][0].utcoffset() == plain[0][0].utcoffset()
    # What reaches the client is byte for byte the same.
    assert dumps({"at": fast[0][0]}) == dumps({"at": plain[0][0]})


async def test_every_hot_statement_reads_the_same_rows_both_ways(client, monkeypatch):
    """Each statement the hot routes read through the fast reader gives, row by row, what
    SQLAlchemy gives for the same statement and parameters; the client gets the same JSON."""
    used = []
    fetch = reader.fetch

    async def recording(statement, params):
        rows = await fetch(statement, params)
        used.append((statement, dict(params), rows))
        return rows

    fetch_each = reader.fetch_each

    async def recording_each(queries):
        results = await fetch_each(queries)
        for (statement, params), rows in zip(queries, results, strict=True):
            used.append((statement, dict(params), rows))
        return results

    monkeypatch.setattr(reader, "fetch", recording)
    monkeypatch.setattr(reader, "fetch_each", recording_each)
    key = await make_key()
    department = await make_department()
    members = [await make_member(departmentId=str(department["id"])) for _ in range(3)]
    group = await make_group()
    for member in members:
        await add_membership(group["id"], member["id"])
    question = await make_question()
    await publish_agenda(client, key, [agenda_item(question["id"], 1)])
    first = await make_comment("learning-question", question["id"], members[0]["id"])
    await make_comment("learning-question", question["id"], members[1]["id"], parentId=first["id"])
    second = await make_comment("learning-question", question["id"], members[2]["id"])
    await make_comment("learning-question", question["id"], members[0]["id"], parentId=second["id"])
    auth = bearer(key)
    for path in (
        "/v1/members?pageSize=2",
        f"/v1/members?pageSize=50&departmentId={department['id']}&sort=-joinedAt",
        f"/v1/members/{members[0]['id']}",
        f"/v1/learning-groups/{group['id']}",
        "/v1/agenda",
        "/v1/agenda?asOf=2999-01-01T00:00:00Z",
        "/v1/agenda/revisions/1",
        f"/v1/learning-questions/{question['id']}/comments?pageSize=1",
    ):
        response = await client.get(path, headers=auth)
        assert response.status_code == 200, (path, response.text)
        if "next" in response.json() and response.json()["next"]:
            assert (await client.get(response.json()["next"], headers=auth)).status_code == 200
    # GET /me: the member with their open questions, their groups, their werkplaatsen ahead.
    ahead = await workshop_in(7)
    await sign_up(ahead["id"], members[0]["id"])
    own = bearer(await make_key("member", members[0]["id"]))
    mine = await client.get("/v1/me", headers=own)
    assert mine.status_code == 200, mine.text
    # Their inbox (the agenda's publication, the replies to their comment), a page and the next,
    # and only the unread ones.
    for path in ("/v1/me/notifications?pageSize=1", "/v1/me/notifications?unread=true"):
        inbox = await client.get(path, headers=own)
        assert inbox.status_code == 200, inbox.text
        assert inbox.json()["items"], path
        if inbox.json()["next"]:
            following = await client.get(inbox.json()["next"], headers=own)
            assert following.status_code == 200, following.text
    assert len({id(statement) for statement, _, _ in used}) >= 17
    async with database.reader.connect() as conn:
        for statement, params, fast_rows in used:
            plain_rows = (await conn.execute(statement, params)).all()
            assert len(fast_rows) == len(plain_rows) > 0
            for fast_row, plain_row in zip(fast_rows, plain_rows, strict=True):
                assert list(fast_row) == list(plain_row)
                # The same Python types, not only equal values (an enum member is equal to its
                # text, a UUID is not to its text): what a service reads does not depend on
                # which path read it.
                assert [type(v) for v in fast_row] == [type(v) for v in plain_row]
                assert dumps(list(fast_row)) == dumps(list(plain_row))
    kinds = {type(v) for _, _, rows in used for row in rows for v in row}
    assert any(issubclass(kind, uuid.UUID) for kind in kinds)
    assert any(issubclass(kind, enum.Enum) for kind in kinds)
    assert datetime in kinds


async def test_a_driver_error_is_the_error_sqlalchemy_raises(app):
    """The fast reader's errors are SQLAlchemy's, so one set of handlers maps them all."""
    if database.sqlite:
        pytest.skip("on SQLite the statement runs through SQLAlchemy itself")
    statement = select(cast(bindparam("n", type_=String()), Integer()).label("x"))
    with pytest.raises(DBAPIError) as fast:
        await reader.fetch(statement, {"n": "seven"})
    async with database.reader.connect() as conn:
        with pytest.raises(DBAPIError) as plain:
            await conn.execute(statement, {"n": "seven"})
    assert type(fast.value) is type(plain.value)
    assert type(fast.value.orig) is type(plain.value.orig)
    # The connection went back to the pool in working order.
    assert (await reader.fetch(select(bindparam("n", type_=Integer()).label("n")), {"n": 7}))[0][
        0
    ] == 7


async def test_several_statements_on_one_connection_read_what_each_reads_alone(app):
    """`fetch_each` runs independent statements one after the other on one checkout: each
    gives what `fetch` gives for it, in order; an error in any of them is SQLAlchemy's, and
    the connection goes back to the pool in working order."""
    number = select(bindparam("n", type_=Integer()).label("n"))
    moment = select(bindparam("at", type_=UTCDateTime()).label("at"))
    queries = [(number, {"n": 7}), (moment, {"at": MOMENTS[2]}), (number, {"n": 8})]
    together = await reader.fetch_each(queries)
    alone = [await reader.fetch(statement, params) for statement, params in queries]
    assert [list(map(list, rows)) for rows in together] == [list(map(list, r)) for r in alone]
    assert together[1][0][0] == MOMENTS[2]
    broken = select(column("x")).select_from(table("no_such_table"))
    with pytest.raises(DBAPIError):
        await reader.fetch_each([(number, {"n": 1}), (broken, {})])
    assert (await reader.fetch_each([(number, {"n": 9})]))[0][0][0] == 9
