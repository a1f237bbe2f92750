"""What the change feed costs a write, in statements: a single write adds at most one statement
for its event (the change and the resource's version ride in the audit event's own INSERT), and
a sync writes its change rows in a constant number of statements however many members it
writes, as the sync itself does. Statements are counted on the engine, through the fast reader
and, here, at the driver's COPY too (the sync's bulk writes bypass the engine)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from app.audit import trail
from tests.conftest import StatementCounter, raw_sql
from tests.factories import bearer, make_department, make_key, make_member
from tests.sync.test_member_syncs import payload, person, post_sync


@pytest.fixture
def counted(statements: StatementCounter, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The suite's statement counter, also counting each COPY sent through asyncpg."""
    original = asyncpg.connection.Connection.copy_records_to_table

    async def copy(self: Any, table_name: str, **kwargs: Any) -> Any:
        statements.fast(f"COPY {table_name}")
        return await original(self, table_name, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "copy_records_to_table", copy)
    yield statements


def _touching_events(sql: list[str]) -> list[str]:
    return [s for s in sql if "audit_events" in s]


async def test_a_write_adds_at_most_one_statement_for_its_event(client, counted, monkeypatch):
    admin = await make_key("admin")
    department = await make_department()
    await client.get("/v1/members?pageSize=1", headers=bearer(admin))  # the key is verified

    async def writes() -> list[list[str]]:
        """A department created, a member created and the member patched: each write's SQL."""
        done = []
        counted.statements.clear()
        created = await client.post(
            "/v1/departments",
            json={"code": f"D{len(seen)}", "name": f"Afdeling {len(seen)}", "kind": "afdeling"},
            headers=bearer(admin),
        )
        assert created.status_code == 201, created.text
        done.append(list(counted.statements))
        counted.statements.clear()
        member = await client.post(
            "/v1/members",
            json={
                "email": f"schrijver{len(seen)}@amsterdam.example",
                "givenName": "Schrijver",
                "familyName": f"N{len(seen)}",
                "departmentId": str(department["id"]),
            },
            headers=bearer(admin),
        )
        assert member.status_code == 201, member.text
        done.append(list(counted.statements))
        counted.statements.clear()
        patched = await client.patch(
            f"/v1/members/{member.json()['id']}",
            json={"displayName": "Anders"},
            headers={
                **bearer(admin),
                "Content-Type": "application/merge-patch+json",
                "If-Match": '"1"',
            },
        )
        assert patched.status_code == 200, patched.text
        done.append(list(counted.statements))
        return done

    seen: list[list[list[str]]] = []
    seen.append(await writes())

    # The same writes with the trail writing nothing: the difference is the event's cost.
    async def nothing(*_: Any, **__: Any) -> None:
        return None

    monkeypatch.setattr(trail, "record", nothing)
    seen.append(await writes())
    with_events, without = seen
    for sql, bare in zip(with_events, without, strict=True):
        assert len(sql) - len(bare) <= 1, (sql, bare)
        events = _touching_events(sql)
        assert len(events) == 1 and events[0].lstrip().upper().startswith(
            "INSERT INTO AUDIT_EVENTS"
        )
        # The resource's version is read inside that INSERT, not by a statement of its own.
        assert "version" in events[0]
        assert _touching_events(bare) == []


async def test_a_sync_writes_its_change_rows_in_constant_statements(client, counted, backend_name):
    key = await make_key("sync")
    await make_member()  # a member outside the sync's scope

    async def count(n: int, offset: int, code: str) -> list[str]:
        body = payload(
            [person(offset + i, code=code) for i in range(n)],
            scope={"departmentCodes": [code]},
            departments=[{"code": code, "name": f"Afdeling {code}"}],
        )
        counted.statements.clear()
        response = await post_sync(client, key, body)
        assert response.status_code == 201, response.text
        assert response.json()["counts"]["created"] == n
        return list(counted.statements)

    await client.get("/v1/member-syncs", headers=bearer(key))  # the key is now verified
    small = await count(5, 0, "KLEIN")
    large = await count(2500, 10_000, "GROOT")
    # The bound of the issue, N/1000 + a constant, met by a constant: every row of the sync,
    # its members and their 2,501 change rows (members and the department), in the same
    # statements as 5.
    assert len(large) == len(small)
    assert len(large) <= 2500 // 1000 + 15
    if backend_name == "postgres":
        # One COPY of the new members, one of the department's change row, one of the
        # members' change rows: counted above.
        assert sorted(s for s in large if s.startswith("COPY")) == [
            "COPY audit_events",
            "COPY audit_events",
            "COPY members",
        ]
    rows = await raw_sql(
        "SELECT count(*) FROM audit_events WHERE change = 'created' AND object_type = 'member'"
    )
    assert rows[0][0] == 1 + 5 + 2500
