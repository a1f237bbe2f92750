"""The demo community: the seed story's shape, stable ids, and loading twice changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from app.core.context import SYSTEM
from app.core.db import database
from app.demo import plan_members, seed_demo
from app.organisations.models import OrganisationKind
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from tests.conftest import _truncate, raw_sql
from tests.factories import bearer, make_department, make_key, make_member

ROOT = Path(__file__).resolve().parents[1]

# The units the seed story names; the stadsdelen are checked by kind.
SEED_UNITS = {
    "Ruimte en Duurzaamheid",
    "Afval & Grondstoffen",
    "Green Office",
    "Stedelijke Innovatie",
    "Gemeentelijk en Maatschappelijk Vastgoed",
    "Ingenieursbureau",
    "Project Management Bureau",
    "Sport en Bos",
}
STADSDELEN = ("Centrum", "Nieuw-West", "Noord", "Oost", "West", "Zuid", "Zuidoost", "Weesp")


def _hex(value: Any) -> str:
    """An id as SQLite stores it (32 hex digits) whatever the driver hands back."""
    return str(value).replace("-", "")


def _db_id(value: Any) -> str:
    """An id as a SQL literal on the backend under test."""
    return _hex(value) if database.sqlite else str(value)


async def _rows_of(table: str, columns: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in await raw_sql(f"SELECT {columns} FROM {table}"))


async def _snapshot() -> dict[str, Any]:
    """Every row's identity and content, and the audit trail's length."""
    return {
        "departments": await _rows_of(
            "departments", "id, code, name, kind, parent_id, version, updated_at"
        ),
        "organisations": await _rows_of("organisations", "id, name, kind, version, updated_at"),
        "members": await _rows_of(
            "members",
            "id, email, external_id, department_id, organisation_id, participation, "
            "joined_at, discipline, version, updated_at",
        ),
        "audit": (await raw_sql("SELECT count(*) FROM audit_events"))[0][0],
    }


async def _all_members(client: Any, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    url: str | None = "/v1/members?pageSize=100"
    while url:
        response = await client.get(url, headers=bearer(key))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        url = response.json()["next"]
    return items


async def test_demo_tells_the_seed_story(client):
    summary = await seed_demo()
    assert "175 members" in summary

    departments = await raw_sql("SELECT id, code, name, kind, parent_id FROM departments")
    names = {row.name for row in departments}
    assert names >= SEED_UNITS
    stadsdelen = [row.name for row in departments if row.kind == "stadsdeel"]
    assert len(stadsdelen) == len(STADSDELEN)
    for place in STADSDELEN:
        assert any(name.endswith(f" {place}") for name in stadsdelen), place
    by_name = {row.name: row for row in departments}
    team = by_name["Circulaire Economie"]
    assert team.kind == "team"
    assert team.parent_id == by_name["Ruimte en Duurzaamheid"].id
    assert len({row.code for row in departments}) == len(departments)

    # Every department takes part.
    coverage = await raw_sql(
        "SELECT d.code, count(m.id) AS n FROM departments d "
        "LEFT JOIN members m ON m.department_id = d.id GROUP BY d.code"
    )
    assert coverage and all(row.n > 0 for row in coverage), coverage

    organisations = {row.name: row.kind for row in await raw_sql("SELECT * FROM organisations")}
    assert organisations["DRIFT"] == "facilitator"
    assert set(organisations.values()) == {
        "facilitator",
        "market_party",
        "societal_initiative",
        "knowledge_institute",
    }

    key = await make_key("admin")
    members = await _all_members(client, key)
    assert len(members) == 175
    participation = Counter(m["participation"] for m in members)
    assert participation == {"participant": 75, "follower": 100}
    assert all(m["status"] == "active" for m in members)
    assert all(m["email"].endswith(".example") for m in members)
    assert len({m["email"].lower() for m in members}) == 175

    drift = [m for m in members if m["organisation"] and m["organisation"]["name"] == "DRIFT"]
    assert 3 <= len(drift) <= 4
    assert all(m["departmentId"] is None and m["participation"] == "participant" for m in drift)
    civil = [m for m in members if m not in drift]
    assert all(m["department"] is not None and m["externalId"] for m in civil)

    with_roles = [m for m in members if m["transitionRoles"]]
    assert 0 < len(with_roles) < len(members)
    roles = Counter(role for m in with_roles for role in m["transitionRoles"])
    assert set(roles) == {"verbinder", "coalitiebouwer", "gebiedsmakelaar"}
    assert sum(1 for m in members if m["discipline"]) > 150


async def test_the_community_grows_from_75_to_175_in_a_year(client):
    await seed_demo()
    members = await _all_members(client, await make_key("admin"))
    joined_by_month = Counter(m["joinedAt"][:7] for m in members)
    months = sorted(joined_by_month)
    assert months[0] == "2024-01" and months[-1] == "2025-01"
    assert len(months) == 13  # new people every month of the year

    starters = [m for m in members if m["joinedAt"][:7] == "2024-01"]
    assert len(starters) == 75
    assert all(m["participation"] == "participant" for m in starters)
    later = [m for m in members if m["joinedAt"][:7] != "2024-01"]
    assert all(m["participation"] == "follower" for m in later)

    cumulative, total = [], 0
    for month in months:
        total += joined_by_month[month]
        cumulative.append(total)
    assert cumulative[0] == 75 and cumulative[-1] == 175
    assert cumulative == sorted(set(cumulative))  # strictly growing
    # Within a year of the kick-off on 2024-01-15.
    assert max(m["joinedAt"] for m in members) < "2025-01-15"


async def test_loading_twice_changes_nothing(client):
    await seed_demo()
    first = await _snapshot()
    summary = await seed_demo()
    assert "nothing added" in summary
    assert await _snapshot() == first
    assert {row[-2] for row in first["members"]} == {1}  # versions untouched


async def test_two_fresh_loads_give_the_same_ids(client):
    await seed_demo()
    first = await _snapshot()
    await _truncate()
    await seed_demo()
    second = await _snapshot()
    for table in ("departments", "organisations", "members"):
        # Timestamps of the write differ; everything the demo decides does not.
        assert [row[:-2] for row in second[table]] == [row[:-2] for row in first[table]], table
    planned = {spec.id.hex for spec in plan_members()}
    assert {_hex(row[0]) for row in first["members"]} == planned


async def test_if_empty_loads_an_empty_database(client):
    summary = await seed_demo(if_empty=True)
    assert "175 members" in summary
    assert (await raw_sql("SELECT count(*) FROM members"))[0][0] == 175


async def test_if_empty_leaves_a_populated_database_alone(client):
    await make_member()
    summary = await seed_demo(if_empty=True)
    assert "already has 1 member." in summary
    assert (await raw_sql("SELECT count(*) FROM members"))[0][0] == 1
    assert (await raw_sql("SELECT count(*) FROM departments"))[0][0] == 0
    assert (await raw_sql("SELECT count(*) FROM organisations"))[0][0] == 0


async def test_records_that_already_exist_are_joined_not_duplicated(client):
    """An intranet sync may have created a unit or a person before the demo is loaded."""
    synced_unit = await make_department(code="RD", name="R&D (intranet)", kind="directie")
    taken = plan_members()[10]
    synced_person = await make_member(email=taken.email.upper())
    async with database.engine.begin() as conn:
        registered = await create_organisation(
            conn, SYSTEM, OrganisationCreate(name="DRIFT", kind=OrganisationKind.FACILITATOR)
        )

    await seed_demo()

    team = (await raw_sql("SELECT parent_id FROM departments WHERE code = 'RD-CE'"))[0]
    assert _hex(team.parent_id) == _hex(synced_unit["id"])
    unit = (await raw_sql("SELECT name, version FROM departments WHERE code = 'RD'"))[0]
    assert tuple(unit) == ("R&D (intranet)", 1)  # the demo does not overwrite it
    assert (await raw_sql("SELECT count(*) FROM members"))[0][0] == 175
    holders = await raw_sql(f"SELECT id FROM members WHERE email_key = '{taken.email.lower()}'")
    assert len(holders) == 1
    assert _hex(holders[0].id) == _hex(synced_person["id"])
    facilitators = await raw_sql(
        f"SELECT count(*) FROM members WHERE organisation_id = '{_db_id(registered['id'])}'"
    )
    assert facilitators[0][0] >= 3
    assert (await raw_sql("SELECT count(*) FROM organisations WHERE name = 'DRIFT'"))[0][0] == 1


def test_make_run_loads_the_demo_once_from_the_command_line(tmp_path):
    """`make run`'s steps, the seed twice, in fresh processes with different hash seeds."""
    database = tmp_path / "demo.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}

    def cli(*args: str, hash_seed: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env={**env, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    cli("migrate", hash_seed="1")
    assert "175 members" in cli("seed-demo", "--if-empty", hash_seed="1")
    assert "already has 175 members" in cli("seed-demo", "--if-empty", hash_seed="2")

    with sqlite3.connect(database) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM members")}
        emails = {row[0] for row in conn.execute("SELECT email FROM members")}
    # The ids another process chose are the ones this one plans: nothing hangs on hash order.
    planned = plan_members()
    assert {spec.email for spec in planned} == emails
    assert {spec.id.hex for spec in planned} == {_hex(value) for value in stored}
