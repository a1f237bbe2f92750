"""The member-sync scenario of `make bench` (issue 5): a strict sync of N members into an empty
scope, a no-op re-sync of the same N, and a bare asyncpg COPY of the same rows, all on a
throw-away Postgres database in one run.

A run takes at most `app.sync.schemas.MAX_MEMBERS` (50,000) members. More members than that
are synced as several strict runs of that size, each over a department scope of its own (what
an organisation of that size has to do); their times are added up.

Requests go through the whole application in-process (httpx's ASGI transport: middleware,
validation, the write transaction and the commit), so the figures are the server's own cost
without the network. Statements are counted on the engine and at the driver's COPY (the sync's
COPY of new members and those of its change rows, the feed's `audit_events`, go to asyncpg
directly), so `statements` is every statement a run sends, its change rows included;
`copies` says how many of them were COPYs. "member rows written" compares every member row's
xmin before and after the re-sync, so it counts rewritten rows exactly.

    .venv/bin/python -m benchmarks.sync_bench [--members 10000] [--rounds 3] [--output PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
CODE = "AGR"
TARGET_FIRST_S = 1.0
TARGET_FIRST_VS_COPY = 3.0
TARGET_NOOP_S = 0.5


def _member(n: int, code: str = CODE) -> dict[str, Any]:
    return {
        "externalId": f"AMS-{n:08d}",
        "email": f"deelnemer.{n}@amsterdam.example",
        "givenName": f"Voornaam{n}",
        "familyName": f"Achternaam{n}",
        "departmentCode": code,
    }


def sync_payload(count: int, code: str = CODE, first: int = 0) -> dict[str, Any]:
    return {
        "scope": {"departmentCodes": [code]},
        "mode": "strict",
        "departments": [{"code": code, "name": f"Afval & Grondstoffen {code}", "kind": "afdeling"}],
        "members": [_member(n, code) for n in range(first, first + count)],
    }


def sync_payloads(count: int) -> list[dict[str, Any]]:
    """One strict run of `count` members, or several of at most MAX_MEMBERS each, each over
    a department of its own (AGR-1, AGR-2, …)."""
    from app.sync.schemas import MAX_MEMBERS

    if count <= MAX_MEMBERS:
        return [sync_payload(count)]
    return [
        sync_payload(min(MAX_MEMBERS, count - first), f"{CODE}-{part}", first)
        for part, first in enumerate(range(0, count, MAX_MEMBERS), start=1)
    ]


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )


async def _copy_seconds(url: str, count: int, department_id: uuid.UUID) -> float:
    """COPY the rows a sync would insert, with the same values, into the same table."""
    from datetime import UTC, datetime

    from app.members import rules

    now = datetime.now(UTC)
    columns = [
        "id",
        "external_id",
        "email",
        "email_key",
        "given_name",
        "family_name",
        "display_name",
        "given_name_key",
        "family_name_key",
        "display_name_key",
        "search_key",
        "department_id",
        "participation",
        "status",
        "transition_roles",
        "source",
        "joined_at",
        "version",
        "created_at",
        "updated_at",
    ]
    records = []
    for n in range(count):
        m = _member(n)
        display_name = f"{m['givenName']} {m['familyName']}"
        keys = rules.keys(
            given_name=m["givenName"],
            family_name=m["familyName"],
            display_name=display_name,
            email=m["email"],
        )
        records.append(
            (
                uuid.uuid4(),
                m["externalId"],
                m["email"],
                keys["email_key"],
                m["givenName"],
                m["familyName"],
                display_name,
                keys["given_name_key"],
                keys["family_name_key"],
                keys["display_name_key"],
                keys["search_key"],
                department_id,
                "participant",
                "active",
                "[]",
                "sync",
                now,
                1,
                now,
                now,
            )
        )
    conn = await _connect(url)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("members", records=records, columns=columns)
        elapsed = time.perf_counter() - started
        await conn.execute("TRUNCATE members CASCADE")
    finally:
        await conn.close()
    return elapsed


async def _analyze(url: str) -> None:
    conn = await _connect(url)
    try:
        await conn.execute("ANALYZE members, departments")
    finally:
        await conn.close()


async def _change_rows(url: str) -> int:
    """The change rows of the change feed (audit events with a `change`) the database holds."""
    conn = await _connect(url)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM audit_events WHERE change IS NOT NULL")
        )
    finally:
        await conn.close()


async def _row_versions(url: str) -> dict[Any, str]:
    conn = await _connect(url)
    try:
        rows = await conn.fetch("SELECT id, xmin::text AS xmin FROM members")
    finally:
        await conn.close()
    return {row["id"]: row["xmin"] for row in rows}


async def sync_scenario(
    admin_url: str | None = None, members: int = 10_000, rounds: int = 3, analyze: bool = False
) -> dict[str, Any]:
    """Measure on a fresh database; returns the figures and whether each target was met.

    `analyze`: run ANALYZE (untimed) before every sync request, so the planner knows what the
    table holds, as on a live system. Without it the statistics are whatever autovacuum has
    gathered since the last write (usually none: the rows were written seconds before)."""
    from app.auth.authentication import key_cache
    from app.auth.service import issue_key
    from app.cli import migrate
    from app.core.config import get_settings
    from app.core.context import SYSTEM
    from app.core.db import database
    from app.core.permissions import Role
    from app.departments.schemas import DepartmentCreate
    from app.departments.service import create_department
    from app.main import create_app

    admin_url = admin_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL
    name = f"lg_bench_sync_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await _connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    payloads = sync_payloads(members)
    bodies = [(orjson.dumps(p), len(p["members"])) for p in payloads]
    figures: dict[str, list[float]] = {"first": [], "noop": [], "copy": []}
    statements: dict[str, int] = {}
    copies: dict[str, int] = {}
    change_rows = 0
    copy_records = asyncpg.connection.Connection.copy_records_to_table
    rows_written_by_noop = 0
    try:
        await asyncio.to_thread(migrate, url=url)
        settings = get_settings()
        database.configure(settings, url)
        app = create_app(settings)
        counted: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            counted.append(statement)

        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        # The sync's COPYs bypass the engine: count them where they reach the driver.
        copy_records = asyncpg.connection.Connection.copy_records_to_table

        async def copy_counted(self: Any, table_name: str, **kwargs: Any) -> Any:
            counted.append(f"COPY {table_name}")
            return await copy_records(self, table_name, **kwargs)

        asyncpg.connection.Connection.copy_records_to_table = copy_counted
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(rounds):
                async with database.engine.begin() as conn:
                    department = await create_department(
                        conn, SYSTEM, DepartmentCreate(code=CODE, name="AGR", kind="afdeling")
                    )
                figures["copy"].append(await _copy_seconds(url, members, department["id"]))
                async with database.engine.begin() as conn:
                    key = (await issue_key(conn, SYSTEM, name="bench", role=Role.SYNC))["key"]
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
                await client.get("/v1/member-syncs", headers=headers)  # verify the key once

                rows_before = await _change_rows(url)
                counted.clear()
                elapsed = 0.0
                for part, (body, _count) in enumerate(bodies, start=1):
                    if analyze:
                        await _analyze(url)
                    started = time.perf_counter()
                    first = await client.post("/v1/member-syncs", content=body, headers=headers)
                    took = time.perf_counter() - started
                    elapsed += took
                    if first.status_code != 201:
                        raise RuntimeError(
                            f"first sync, run {part} of {len(bodies)}, answered "
                            f"{first.status_code} after {took:.1f} s: {first.text[:300]}"
                        )
                figures["first"].append(elapsed)
                statements["first"] = len(counted)
                copies["first"] = sum(1 for sql in counted if sql.startswith("COPY "))
                change_rows = await _change_rows(url) - rows_before

                before = await _row_versions(url)
                counted.clear()
                elapsed = 0.0
                for body, size in bodies:
                    if analyze:
                        await _analyze(url)
                    started = time.perf_counter()
                    noop = await client.post("/v1/member-syncs", content=body, headers=headers)
                    elapsed += time.perf_counter() - started
                    if noop.status_code != 201 or noop.json()["counts"]["unchanged"] != size:
                        raise RuntimeError(f"re-sync was not a no-op: {noop.text[:300]}")
                figures["noop"].append(elapsed)
                statements["noop"] = len(counted)
                copies["noop"] = sum(1 for sql in counted if sql.startswith("COPY "))
                after = await _row_versions(url)
                rows_written_by_noop = max(
                    rows_written_by_noop, sum(1 for k, v in after.items() if before.get(k) != v)
                )
                key_cache.clear()
                async with database.engine.begin() as conn:
                    await conn.exec_driver_sql(
                        "TRUNCATE members, departments, member_syncs, api_keys, audit_events, "
                        "idempotency_records CASCADE"
                    )
        await database.dispose()
    finally:
        asyncpg.connection.Connection.copy_records_to_table = copy_records
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    first_s = statistics.median(figures["first"])
    noop_s = statistics.median(figures["noop"])
    copy_s = statistics.median(figures["copy"])
    # The statement bound holds per run.
    limit = sum(count // 1000 + 12 for _body, count in bodies)
    return {
        "scenario": "member-sync",
        "members": members,
        "runs": len(bodies),
        "analyzed": analyze,
        "rounds": rounds,
        "payload_bytes": sum(len(body) for body, _count in bodies),
        "first_sync_s": round(first_s, 4),
        "noop_resync_s": round(noop_s, 4),
        "bare_copy_s": round(copy_s, 4),
        "first_vs_copy": round(first_s / copy_s, 2),
        "first_members_per_s": round(members / first_s),
        "noop_members_per_s": round(members / noop_s),
        "copy_members_per_s": round(members / copy_s),
        "statements": statements,
        "copies": copies,
        "change_rows_written_by_first": change_rows,
        "first_statements_per_1000_members": round(statements["first"] / members * 1000, 2),
        "statement_limit": limit,
        "noop_member_rows_written": rows_written_by_noop,
        "targets": {
            "first_under_1s": first_s < TARGET_FIRST_S,
            "first_within_3x_copy": first_s <= TARGET_FIRST_VS_COPY * copy_s,
            "noop_under_0_5s": noop_s < TARGET_NOOP_S,
            "noop_writes_no_member_rows": rows_written_by_noop == 0,
            "statements_bounded": max(statements.values()) <= limit,
        },
        "samples_s": {k: [round(v, 4) for v in values] for k, values in figures.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="an admin URL of a Postgres server")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE before every sync request (untimed), as a live table has statistics",
    )
    args = parser.parse_args(argv)
    try:
        result = asyncio.run(
            sync_scenario(args.database_url, args.members, args.rounds, analyze=args.analyze)
        )
    except RuntimeError as exc:  # a sync answered something else than it should
        failure = {"members": args.members, "analyzed": args.analyze, "error": str(exc)[:1000]}
        print(json.dumps(failure, indent=2))
        if args.output is not None:
            args.output.write_text(json.dumps(failure, indent=2) + "\n")
        return 1
    print(json.dumps(result, indent=2))
    if args.output is not None:
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
