"""Where a read's time goes, in one process: `python -m benchmarks.profile_reads`.

Builds the load test's database (`benchmarks.run`: the same rows and the same scenarios'
`prepare`), serves the app in this process through httpx's ASGI transport (no HTTP, no
uvicorn, no wrk), and for each chosen scenario sends its request many times: the CPU time per
request (client and app; the lowest of several batches, as the machine's other work only adds
to it), the statements each request sends (SQLAlchemy's and the fast reader's), and with
`--profile` the functions the time went to (cProfile, cumulative and own time).

Not a substitute for `benchmarks.run`: it shows what a change saves in the app's own Python
work, apart from the network, the server and the machine's load."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import logging
import pstats
import sys
import time
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url

from benchmarks.run import SCENARIOS, HarnessError, Scenario, bench_database, load_data

DEFAULT_SCENARIOS = ("me", "notifications-page", "comments-thread", "members-list")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_reads", description=__doc__)
    parser.add_argument(
        "--scenario", action="append", default=[], help="default: " + ", ".join(DEFAULT_SCENARIOS)
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--requests", type=int, default=300, help="requests per batch")
    parser.add_argument("--batches", type=int, default=5, help="the lowest batch is reported")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this")
    parser.add_argument("--top", type=int, default=30, help="functions shown per profile")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace, url: str, chosen: list[Scenario]) -> None:
    from app.core import fastread
    from app.core.config import Settings
    from app.core.db import database
    from app.main import create_app

    print(f"loading {args.members} members …", flush=True)
    fixture = await load_data(url, args.members, args.departments)
    settings = Settings(database_url=url)
    database.configure(settings)
    app = create_app(settings)
    # httpx logs every request it sends at INFO (create_app configures INFO): the client's
    # cost, not the app's.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sent: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(statement)

    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 20, 20)  # as the app's lifespan sets it in a served worker
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for scenario in chosen:
                key = scenario.key(fixture) if scenario.key is not None else fixture.api_key
                headers = {"Authorization": f"Bearer {key}"}
                paths = scenario.paths(fixture)
                first = await client.get(paths[0], headers=headers)
                if first.status_code != 200:
                    raise HarnessError(f"{paths[0]} answered {first.status_code}: {first.text}")
                problem = scenario.check(first.json()) if scenario.check else None
                if problem:
                    raise HarnessError(f"{paths[0]}: {problem}")
                for path in paths[:50]:  # warm: compiled statements, prepared on the pool
                    await client.get(path, headers=headers)
                # Counted on one request only: a listener on the engine slows SQLAlchemy's own
                # path, and would weigh on the timed requests that take it.
                sent.clear()
                event.listen(database.engine.sync_engine, "before_cursor_execute", counted)
                fastread.listeners.append(sent.append)
                try:
                    await client.get(paths[0], headers=headers)
                finally:
                    fastread.listeners.remove(sent.append)
                    event.remove(database.engine.sync_engine, "before_cursor_execute", counted)
                statements = len(sent)
                batches = []
                for _ in range(args.batches):
                    started = time.process_time()
                    for n in range(args.requests):
                        await client.get(paths[n % len(paths)], headers=headers)
                    batches.append((time.process_time() - started) * 1000 / args.requests)
                print(
                    f"{scenario.name:<20} {min(batches):6.3f} ms CPU/request (batches: "
                    + " · ".join(f"{b:.3f}" for b in batches)
                    + f"), {statements} statements, {len(first.content):,} bytes",
                    flush=True,
                )
                if args.profile:
                    # CPU time, not wall time: waiting for Postgres is not this process's work.
                    profiler = cProfile.Profile(time.process_time)
                    profiler.enable()
                    for n in range(args.requests):
                        await client.get(paths[n % len(paths)], headers=headers)
                    profiler.disable()
                    for order in ("cumulative", "tottime"):
                        out = io.StringIO()
                        stats = pstats.Stats(profiler, stream=out)
                        stats.sort_stats(order).print_stats(args.top)
                        print(f"--- {scenario.name}, by {order} ({args.requests} requests)")
                        print(out.getvalue().split("\n\n", 1)[-1].rstrip())
                    if args.callers:
                        out = io.StringIO()
                        pstats.Stats(profiler, stream=out).print_callers(args.callers)
                        print(out.getvalue())
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.scenario or list(DEFAULT_SCENARIOS)
    known = {s.name: s for s in SCENARIOS if s.server == "api"}
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown scenario(s) {unknown}; known: {sorted(known)}", file=sys.stderr)
        return 2
    try:
        with bench_database(keep=False) as url:
            from app.cli import migrate

            print(f"migrating {make_url(url).database} …", flush=True)
            migrate(url=url)
            asyncio.run(measure(args, url, [known[name] for name in names]))
    except HarnessError as exc:
        print(f"profile harness error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
