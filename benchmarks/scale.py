"""`python -m benchmarks.scale`: how the member reads and the strict sync grow with the members.

Reads: one throw-away database per size (1,000, 10,000 and 100,000 members by default, loaded
with COPY: the same rows as `benchmarks/run.py` makes), one API server per size (2 uvicorn
workers each, all up at once, idle but for the one measured), and wrk with few connections, so
that the latency is the cost of a request rather than time spent queueing. The sizes are
measured in interleaved rounds, so that a change of the machine's load reaches every size
alike. Scenarios: the first page of `GET /v1/members?pageSize=50`, a page from the middle of
the list (a cursor at member N/2), and `GET /v1/members/{id}` cycling through 1,000 members
spread over the whole table. Beside the HTTP figures, Postgres's own `EXPLAIN (ANALYZE,
BUFFERS)` of the same three statements at each size: its execution time and the buffers it
touched, which do not depend on the machine's load.

Sync: `benchmarks/sync_bench.py` at each sync size (10,000 and 100,000 by default), each on a
fresh database: the strict first sync, the no-op re-sync and a bare COPY of the same rows.

Writes benchmarks/scale.json and prints both tables. Exit status: 0 when everything was
measured, 1 when a scenario or a sync could not be, 2 when the harness failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Integer, bindparam, tuple_
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import run
from benchmarks.run import Fixture, HarnessError, Load, Prepared, Scenario, Server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "benchmarks" / "scale.json"
PAGE = 50

SCENARIOS = [
    Scenario(
        name="list-first",
        server="api",
        paths=lambda fx: [f"/v1/members?pageSize={PAGE}"],
        check=run._check_member_list,
        description="GET /v1/members?pageSize=50, the first page",
    ),
    Scenario(
        name="list-middle",
        server="api",
        paths=lambda fx: [f"/v1/members?pageSize={PAGE}&cursor={fx.extra['middle_cursor']}"],
        check=run._check_member_list,
        description="GET /v1/members?pageSize=50&cursor=…, the page after member N/2",
    ),
    Scenario(
        name="get",
        server="api",
        paths=lambda fx: [f"/v1/members/{member_id}" for member_id in fx.extra["spread_ids"]],
        check=run._check_member,
        description="GET /v1/members/{id}, 1,000 members spread over the table",
    ),
]


# --------------------------------------------------------------------------- database


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host or run.HOST,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database,
        server_settings=_session_settings(),
        timeout=10,
    )


def _session_settings() -> dict[str, str]:
    from app.core.db import SESSION_SETTINGS

    return dict(SESSION_SETTINGS)


async def seed(url: str, members: int, departments: int) -> tuple[Fixture, float]:
    """The rows of `benchmarks/run.py` by COPY, an admin key through the service, ANALYZE;
    returns the fixture and the seconds the COPY took."""
    from app.auth.service import issue_key
    from app.core.context import SYSTEM
    from app.core.pagination import encode_cursor
    from app.core.permissions import Role

    built = time.perf_counter()
    department_rows, member_rows = run.bench_rows(members, departments)
    for row in member_rows:  # a JSON column takes its text in COPY
        row["transition_roles"] = orjson.dumps(row["transition_roles"]).decode()
    conn = await _connect(url)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            for table, rows in (("departments", department_rows), ("members", member_rows)):
                await conn.copy_records_to_table(
                    table, records=[tuple(row.values()) for row in rows], columns=list(rows[0])
                )
        copy_seconds = time.perf_counter() - started
        build_seconds = started - built
        await conn.execute("ANALYZE")
        middle = await conn.fetchrow(
            "SELECT family_name, id FROM members ORDER BY family_name_key, id OFFSET $1 LIMIT 1",
            members // 2,
        )
    finally:
        await conn.close()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as sa_conn:
            key = await issue_key(sa_conn, SYSTEM, name="benchmark", role=Role.ADMIN)
    finally:
        await engine.dispose()
    member_ids = [row["id"] for row in member_rows]
    rng = random.Random(members)
    fixture = Fixture(
        api_key=str(key["key"]),
        department_ids=[row["id"] for row in department_rows],
        member_ids=member_ids,
        extra={
            # The cursor the list hands out after this member: its sort key, shown value and id.
            "middle_cursor": encode_cursor("familyName", middle["family_name"], middle["id"]),
            "spread_ids": rng.sample(member_ids, min(1000, members)),
        },
    )
    fixture.extra["seed_seconds"] = {
        "rows": round(build_seconds, 2),
        "copy": round(copy_seconds, 2),
    }
    return fixture, copy_seconds


def _plan_nodes(plan: dict[str, Any]) -> list[str]:
    node = plan["Node Type"] + (f" on {plan['Index Name']}" if "Index Name" in plan else "")
    return [node] + [name for child in plan.get("Plans", []) for name in _plan_nodes(child)]


def _rows_removed(plan: dict[str, Any]) -> int:
    """Rows a node read and threw away (its Filter), in the whole plan."""
    own = int(plan.get("Rows Removed by Filter", 0)) * int(plan.get("Actual Loops", 1))
    return own + sum(_rows_removed(child) for child in plan.get("Plans", []))


async def explain(url: str, fixture: Fixture, repeats: int = 5) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements the three scenarios run, with the values
    they run with: the median execution time of `repeats`, the buffers and the plan's nodes."""
    from app.core.pagination import PageRequest, paginate_named
    from app.members import repository

    sorting = repository.SORTING
    first, first_values, _ = paginate_named(
        repository.base_query(), PageRequest(None, PAGE, None), sorting, {}
    )
    middle_cursor = fixture.extra["middle_cursor"]
    middle, middle_values, _ = paginate_named(
        repository.base_query(), PageRequest(middle_cursor, PAGE, None), sorting, {}
    )
    by_id = repository.base_query().where(repository.c.id == bindparam("member_id"))
    # Not what the API runs: the same position written as one row comparison, which Postgres
    # can use as the start of the index scan (the API's `key > v OR (key = v AND id > i)` is a
    # filter on a scan from the index's start). For comparison only.
    c = repository.c
    row_compare = (
        repository.base_query()
        .where(
            tuple_(c.family_name_key, c.id)
            > tuple_(
                bindparam("after_value", type_=c.family_name_key.type),
                bindparam("after_id", type_=c.id.type),
            )
        )
        .order_by(c.family_name_key, c.id)
        .limit(bindparam("page_limit", type_=Integer()))
    )
    statements = {
        "list-first": (first, first_values),
        "list-middle": (middle, middle_values),
        "get": (by_id, {"member_id": fixture.extra["spread_ids"][0]}),
        "list-middle-row-comparison": (row_compare, middle_values),
    }
    dialect = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
    conn = await _connect(url)
    result: dict[str, Any] = {}
    try:
        for name, (statement, values) in statements.items():
            compiled = statement.compile(dialect=dialect)
            positional = [values[key] for key in compiled.positiontup or ()]
            sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + compiled.string
            runs = []
            for _ in range(repeats):
                raw = await conn.fetchval(sql, *positional)
                runs.append(json.loads(raw)[0])
            last = runs[-1]["Plan"]
            result[name] = {
                "executionMs": round(statistics.median(r["Execution Time"] for r in runs), 3),
                "sharedBuffers": last.get("Shared Hit Blocks", 0)
                + last.get("Shared Read Blocks", 0),
                "rows": last.get("Actual Rows"),
                "rowsRemovedByFilter": _rows_removed(last),
                "plan": _plan_nodes(last),
            }
            ids = [row["id"] for row in await conn.fetch(compiled.string, *positional)]
            result[name]["ids"] = [str(member_id) for member_id in ids]
        # The row comparison must find the very page the API's position finds.
        variant = result["list-middle-row-comparison"]
        variant["samePageAsTheApi"] = variant.pop("ids") == result["list-middle"]["ids"]
        for figures in result.values():
            figures.pop("ids", None)
    finally:
        await conn.close()
    return result


# --------------------------------------------------------------------------- reads


@dataclass
class Size:
    members: int
    url: str
    fixture: Fixture
    seed_seconds: float
    explain: dict[str, Any]
    server: Server | None = None


def _backends(url: str) -> list[int]:
    name = make_url(url).database
    try:
        rows = asyncio.run(
            run._admin_fetch(f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'")
        )
    except Exception:
        return []
    return [row["pid"] for row in rows if Path(f"/proc/{row['pid']}").exists()]


def measure_reads(args: argparse.Namespace, info: dict[str, Any]) -> list[dict[str, Any]]:
    load = Load(args.connections, args.threads, args.duration, args.warmup)
    results: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lg-scale-")))
        from app.cli import migrate

        sizes: list[Size] = []
        for members in args.sizes:
            url = stack.enter_context(run.bench_database(args.keep_database))
            print(f"{members:>7} members: migrating and loading …", flush=True)
            migrate(url=url)
            fixture, seconds = asyncio.run(seed(url, members, args.departments))
            took = fixture.extra["seed_seconds"]
            print(
                f"{members:>7} members: rows built in {took['rows']:.1f} s, COPY {seconds:.1f} s",
                flush=True,
            )
            sizes.append(Size(members, url, fixture, seconds, asyncio.run(explain(url, fixture))))
        for size in sizes:
            logs = tmp / str(size.members)
            logs.mkdir()
            size.server = stack.enter_context(run.api_server(size.url, args.workers, logs))
        for size in sizes:
            assert size.server is not None
            size.server.wait_ready()
        prepared: dict[tuple[int, str], Prepared] = {}
        failed: dict[tuple[int, str], str] = {}
        for size in sizes:
            assert size.server is not None
            for scenario in SCENARIOS:
                key = (size.members, scenario.name)
                try:
                    prepared[key] = run.prepare(
                        scenario, size.server, size.fixture, tmp / str(size.members)
                    )
                except HarnessError as exc:
                    failed[key] = str(exc)
        print(
            f"{load.connections} connections, {load.threads} threads, {load.warmup:.0f} s "
            f"warm-up + {load.duration:.0f} s per scenario, {args.rounds} rounds",
            flush=True,
        )
        samples: dict[tuple[int, str], list[dict[str, Any]]] = {key: [] for key in prepared}
        by_members = {size.members: size for size in sizes}
        for round_number in range(args.rounds):
            for key, ready in prepared.items():
                if key in failed:
                    continue
                print(f"  round {round_number + 1}/{args.rounds}: {key[0]} {key[1]} …", flush=True)
                url = by_members[key[0]].url
                try:
                    if round_number == 0 and load.warmup > 0:
                        run.run_wrk(ready.url, ready.script, load, load.warmup)
                    backends = functools.partial(_backends, url)
                    samples[key].append(run.measure_once(ready, load, backends))
                except HarnessError as exc:
                    failed[key] = str(exc)
        for size in sizes:
            for scenario in SCENARIOS:
                key = (size.members, scenario.name)
                summary = run.summarise(
                    scenario, scenario.description, samples.get(key, []), failed.get(key)
                )
                summary["members"] = size.members
                summary["explain"] = dict(size.explain[scenario.name])
                if scenario.name == "list-middle":
                    variant = size.explain["list-middle-row-comparison"]
                    summary["explain"]["list-middle-row-comparison"] = variant
                results.append(summary)
        info["seedSeconds"] = {
            str(size.members): size.fixture.extra["seed_seconds"] for size in sizes
        }
    return results


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Each scenario's figures at the largest size over those at the smallest."""
    out: dict[str, Any] = {}
    for scenario in SCENARIOS:
        rows = sorted(
            (r for r in results if r["name"] == scenario.name and not r.get("error")),
            key=lambda r: r["members"],
        )
        if len(rows) < 2:
            continue
        small, large = rows[0], rows[-1]
        out[scenario.name] = {
            "from": small["members"],
            "to": large["members"],
            "p50": round(large["p50Ms"] / small["p50Ms"], 2),
            "serverCpuPerRequest": round(
                large["serverCpuMsPerRequest"] / small["serverCpuMsPerRequest"], 2
            ),
            "postgresExecution": round(
                large["explain"]["executionMs"] / small["explain"]["executionMs"], 2
            ),
            "postgresBuffers": round(
                large["explain"]["sharedBuffers"] / max(small["explain"]["sharedBuffers"], 1), 2
            ),
        }
    return out


# --------------------------------------------------------------------------- sync


def measure_syncs(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lg-scale-sync-") as tmp:
        for members in args.sync_sizes:
            output = Path(tmp) / f"sync-{members}.json"
            print(f"sync of {members} members ({args.sync_rounds} rounds) …", flush=True)
            argv = [sys.executable, "-m", "benchmarks.sync_bench", "--members", str(members)]
            argv += ["--rounds", str(args.sync_rounds), "--output", str(output), "--analyze"]
            # Exit status 1 means a target of sync_bench (set for 10,000 members) was missed:
            # reported, not fatal here. No output file means the sync itself failed.
            done = subprocess.run(
                argv, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
            )
            if not output.exists():
                tail = (done.stderr or done.stdout)[-2000:]
                results.append({"members": members, "error": f"sync_bench failed: {tail}"})
                continue
            results.append(json.loads(output.read_text()))
    return results


async def _time_members_concerned(
    url: str, fixture: Fixture, lengths: list[int], timeout_s: int
) -> dict[str, Any]:
    """`app.sync.repository.members_concerned` as the first sync of a new department scope
    calls it (a department no member is in yet, `length` external ids and e-mail addresses
    that the table does not hold), under the app's generic plans and under custom plans."""
    from app.core.db import SESSION_SETTINGS
    from app.sync.repository import members_concerned

    found: dict[str, Any] = {}
    for mode in ("force_generic_plan", "force_custom_plan"):
        settings = {**SESSION_SETTINGS, "plan_cache_mode": mode}
        settings["statement_timeout"] = str(timeout_s * 1000)
        engine = create_async_engine(url, connect_args={"server_settings": settings})
        try:
            async with engine.connect() as conn:  # opens the connection, loads the codecs
                await members_concerned(conn, [uuid.uuid4()], ["NEW-x"], ["new.x@example"])
            for length in lengths:
                external_ids = [f"NEW-{n:08d}" for n in range(length)]
                email_keys = [f"new.{n}@amsterdam.example" for n in range(length)]
                async with engine.connect() as conn:
                    started = time.perf_counter()
                    try:
                        rows = await members_concerned(
                            conn, [uuid.uuid4()], external_ids, email_keys
                        )
                        outcome: Any = round((time.perf_counter() - started) * 1000, 1)
                    except Exception as exc:
                        outcome = (
                            f"failed after {time.perf_counter() - started:.1f} s: "
                            + (str(exc).splitlines()[0][:120])
                        )
                        rows = []
                found[f"{mode}/{length}"] = {"ms": outcome, "rows": len(rows)}
        finally:
            await engine.dispose()
    return found


def diagnose_sync(args: argparse.Namespace) -> dict[str, Any]:
    """What a strict sync's lookup of the members concerned costs when the table holds
    members outside the sync's scope (see benchmarks/README.md)."""
    from app.cli import migrate

    members = args.diagnose_members
    lookups: dict[str, Any] = {}
    # The members of the table in one department (as after the first run of a sync of
    # 100,000 in two scopes), and spread over 60.
    for departments in (1, args.departments):
        with run.bench_database(False) as url:
            print(f"sync lookup, {members} members in {departments} departments …", flush=True)
            migrate(url=url)
            fixture, _ = asyncio.run(seed(url, members, departments))
            timings = asyncio.run(
                _time_members_concerned(url, fixture, args.diagnose_lengths, timeout_s=30)
            )
        lookups.update({f"{departments} dept/{key}": value for key, value in timings.items()})
    return {"tableMembers": members, "lookups": lookups}


def sync_growth(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = sorted((r for r in results if not r.get("error")), key=lambda r: r["members"])
    if len(rows) < 2:
        return None
    small, large = rows[0], rows[-1]
    size = large["members"] / small["members"]
    return {
        "from": small["members"],
        "to": large["members"],
        "members": size,
        "firstSeconds": round(large["first_sync_s"] / small["first_sync_s"], 2),
        "noopSeconds": round(large["noop_resync_s"] / small["noop_resync_s"], 2),
        "copySeconds": round(large["bare_copy_s"] / small["bare_copy_s"], 2),
        # 1.0 is exactly linear; above 1 the time per member grew with the size.
        "firstPerMember": round(large["first_sync_s"] / small["first_sync_s"] / size, 2),
        "noopPerMember": round(large["noop_resync_s"] / small["noop_resync_s"] / size, 2),
    }


# --------------------------------------------------------------------------- report


def print_tables(document: dict[str, Any]) -> None:
    print()
    header = (
        f"{'scenario':<12}{'members':>9}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'cpu/req':>9}{'pg/req':>8}{'pg exec ms':>11}{'buffers':>9}{'filtered':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in sorted(document["reads"], key=lambda r: (r["name"], r["members"])):
        ex = r["explain"]
        if r.get("error"):
            print(f"{r['name']:<12}{r['members']:>9}  error: {r['error'][:200]}")
            continue
        pg = r["postgresCpuMsPerRequest"]
        print(
            f"{r['name']:<12}{r['members']:>9}{r['requestsPerSecond']:>8.0f}{r['p50Ms']:>8.2f}"
            f"{r['p90Ms']:>8.2f}{r['p99Ms']:>8.2f}{r['serverCpuMsPerRequest']:>9.3f}"
            f"{(f'{pg:.3f}' if pg is not None else '-'):>8}{ex['executionMs']:>11.3f}"
            f"{ex['sharedBuffers']:>9}{ex['rowsRemovedByFilter']:>10}"
        )
    variants = [
        (r["members"], r["explain"]["list-middle-row-comparison"])
        for r in document["reads"]
        if r["name"] == "list-middle" and "list-middle-row-comparison" in r["explain"]
    ]
    for members, ex in sorted(variants):
        print(
            f"(the middle page as a row comparison, EXPLAIN only, {members} members: "
            f"{ex['executionMs']:.3f} ms, {ex['sharedBuffers']} buffers, "
            f"{ex['rowsRemovedByFilter']} rows filtered, the same page: {ex['samePageAsTheApi']})"
        )
    print()
    header = (
        f"{'sync':<8}{'members':>9}{'runs':>6}{'first s':>9}{'members/s':>11}{'no-op s':>9}"
        f"{'members/s':>11}{'COPY s':>8}{'first/COPY':>11}"
    )
    print(header)
    print("-" * len(header))
    for s in document["syncs"]:
        if s.get("error"):
            print(f"{'strict':<8}{s['members']:>9}  error: {s['error'][:300]}")
            continue
        print(
            f"{'strict':<8}{s['members']:>9}{s['runs']:>6}{s['first_sync_s']:>9.2f}"
            f"{s['first_members_per_s']:>11}{s['noop_resync_s']:>9.2f}"
            f"{s['noop_members_per_s']:>11}{s['bare_copy_s']:>8.2f}{s['first_vs_copy']:>10.1f}x"
        )
    print()
    if document.get("syncLookup"):
        lookup = document["syncLookup"]
        print(
            f"sync lookup of the members concerned, {lookup['tableMembers']} members in the table:"
        )
        for name, figures in lookup["lookups"].items():
            print(f"  {name:<36} {figures['ms']} ms")
    print("growth, largest over smallest size:", json.dumps(document["growth"], indent=1))
    print()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    def sizes(value: str) -> list[int]:
        return [int(part) for part in value.split(",") if part]

    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--sizes", type=sizes, default=[1_000, 10_000, 100_000])
    parser.add_argument("--sync-sizes", type=sizes, default=[10_000, 50_000, 100_000])
    parser.add_argument("--sync-rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=3)
    # Few connections: a request's latency, not the time it waits behind 63 others.
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--diagnose-members", type=int, default=50_000)
    parser.add_argument("--diagnose-lengths", type=sizes, default=[1_000, 5_000])
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-syncs", action="store_true")
    parser.add_argument("--skip-diagnosis", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, run._on_sigterm)
    started = datetime.now(UTC)
    try:
        info = run.machine_info()
        reads = [] if args.skip_reads else measure_reads(args, info)
        syncs = [] if args.skip_syncs else measure_syncs(args)
        diagnosis = None if args.skip_diagnosis else diagnose_sync(args)
    except HarnessError as exc:
        print(f"benchmark harness error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; servers stopped and databases dropped", file=sys.stderr)
        return 130
    info["loadAverageAtEnd"] = [round(x, 2) for x in os.getloadavg()]
    document = {
        "timestamp": started.isoformat(timespec="seconds"),
        "machine": info,
        "settings": {
            "sizes": args.sizes,
            "syncSizes": args.sync_sizes,
            "syncRounds": args.sync_rounds,
            "connections": args.connections,
            "wrkThreads": args.threads,
            "durationSeconds": args.duration,
            "warmupSeconds": args.warmup,
            "rounds": args.rounds,
            "uvicornWorkers": args.workers,
            "departments": args.departments,
        },
        "reads": reads,
        "syncs": syncs,
        "syncLookup": diagnosis,
        "growth": {"reads": growth(reads), "sync": sync_growth(syncs)},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    print_tables(document)
    print(f"wrote {args.output}")
    errors = [r for r in reads if r.get("error")] + [s for s in syncs if s.get("error")]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
