"""The change feed under write load (issue 14): how soon a follower long-polling `/v1/changes`
sees each small write that commits while 10,000-member syncs run, and whether it sees every
change exactly once.

On a throw-away Postgres database, with the API served as `make bench` serves it (2 uvicorn
workers, loopback, `benchmarks.run`'s Server helpers), three clients run at once in this process:

- a follower: `GET /v1/changes?pageSize=1000&wait=W`, then its `next` while there is one, else its
  `resume` (a long poll), noting when each change arrived;
- a writer: one member PATCH after another (a pause of `--interval` between them), each on a
  member of its own, noting when each answer came back (the write has committed by then);
- the syncs: `--syncs` strict runs of `--members` members (POST /v1/member-syncs, as
  `benchmarks.sync_bench` sends them), each into a department of its own, `--gap` seconds apart.

A write's latency is the time from its answer (the commit, as its client knows it) to the moment
the follower's page holding its change came back. The target: p99 under 1 s for the writes that
commit while a sync runs. Afterwards the follower's changes are compared with the database's:
each change row of `audit_events` seen once, none seen twice, nothing seen that is not there.

    .venv/bin/python -m benchmarks.feed_bench [--members 10000] [--syncs 3] [--output PATH]

Exit status 0 when every target was met, 1 when one was missed (the figures are still written),
2 when the harness could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import run
from benchmarks.sync_bench import sync_payload

# The largest page the feed gives: what a follower that fell behind asks for.
PAGE_SIZE = 1000
DEFAULT_OUTPUT = run.ROOT / "benchmarks" / "feed.json"
TARGET_P99_S = 1.0

ChangeKey = tuple[str, str, int | None, str]  # type, resource id, version, kind of change


@dataclass
class Write:
    member_id: str
    sent: float
    committed: float = math.nan  # when the answer came back
    version: int | None = None
    status: int = 0
    during_sync: bool = False


@dataclass
class Sync:
    code: str
    started: float
    finished: float = math.nan
    status: int = 0
    seconds: float = math.nan
    member_ids: set[str] = field(default_factory=set)


@dataclass
class Seen:
    key: ChangeKey
    position: str
    at: float


@dataclass
class Keys:
    admin: str
    sync: str
    member_ids: list[uuid.UUID]


async def load(url: str, members: int, departments: int) -> Keys:
    """Members and departments for the writer to patch (the same rows as `benchmarks.run`), an
    admin key for the follower and the writer, a sync key for the syncs."""
    from app.auth.service import issue_key
    from app.core.context import SYSTEM
    from app.core.models import table_of
    from app.core.permissions import Role
    from app.departments.models import Department
    from app.members.models import Member

    department_rows, member_rows = run.bench_rows(members, departments)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(table_of(Department)), department_rows)
            await conn.execute(insert(table_of(Member)), member_rows)
            admin = await issue_key(conn, SYSTEM, name="feed bench", role=Role.ADMIN)
            sync = await issue_key(conn, SYSTEM, name="feed bench sync", role=Role.SYNC)
    finally:
        await engine.dispose()
    return Keys(str(admin["key"]), str(sync["key"]), [row["id"] for row in member_rows])


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host or run.HOST,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )


async def changes_in_database(url: str) -> Counter[ChangeKey]:
    conn = await _connect(url)
    try:
        rows = await conn.fetch(
            "SELECT object_type, object_id, object_version, change FROM audit_events "
            "WHERE change IS NOT NULL"
        )
    finally:
        await conn.close()
    return Counter((r[0], r[1], r[2], r[3]) for r in rows)


def _key(item: dict[str, Any]) -> ChangeKey:
    return (item["type"], item["resourceId"], item["version"], item["change"])


@dataclass
class Following:
    """What the follower saw, and how the measurement tells it when to stop."""

    seen: list[Seen] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    full_page_seconds: list[float] = field(default_factory=list)  # request to answer
    log: list[tuple[float, float, int]] = field(default_factory=list)  # asked, answered, items
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    # Set once the follower has seen `target` changes (when a target is set).
    target: int | None = None
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, count: int) -> None:
        self.target = count
        if len(self.seen) >= count:
            self.caught_up.set()


async def follow(client: httpx.AsyncClient, wait: float, state: Following) -> None:
    """Read the feed from its start, page by page, then long-poll `resume`, until `stop` is set
    and a look finds nothing more."""
    url = f"/v1/changes?pageSize={PAGE_SIZE}&wait={wait:g}"
    while True:
        done = state.stop.is_set()
        asked = time.monotonic()
        response = await client.get(url, timeout=wait + 30)
        arrived = time.monotonic()
        if response.status_code != 200:
            raise run.HarnessError(f"GET {url} answered {response.status_code}: {response.text}")
        page = orjson.loads(response.content)
        state.seen.extend(Seen(_key(item), item["position"], arrived) for item in page["items"])
        state.pages.append(len(page["items"]))
        state.log.append((asked, arrived, len(page["items"])))
        if len(page["items"]) == PAGE_SIZE:
            state.full_page_seconds.append(arrived - asked)
        if state.target is not None and len(state.seen) >= state.target:
            state.caught_up.set()
        url = page["next"] or page["resume"]
        if done and not page["items"] and page["next"] is None:
            return


async def write_loop(
    client: httpx.AsyncClient,
    member_ids: list[uuid.UUID],
    interval: float,
    writes: list[Write],
    syncs: list[Sync],
    stop: asyncio.Event,
) -> None:
    """PATCH one member after another (each once: If-Match "1"), until `stop`."""
    headers = {"Content-Type": "application/merge-patch+json", "If-Match": '"1"'}
    for n, member_id in enumerate(member_ids):
        if stop.is_set():
            return
        write = Write(str(member_id), time.monotonic())
        response = await client.patch(
            f"/v1/members/{member_id}",
            content=orjson.dumps({"displayName": f"Bijgewerkt {n}"}),
            headers=headers,
        )
        write.committed = time.monotonic()
        write.status = response.status_code
        if response.status_code == 200:
            write.version = int(orjson.loads(response.content)["version"])
        # Committed while a sync's transaction was open (as the clients see it).
        write.during_sync = any(
            s.started <= write.committed and not (s.finished < write.committed) for s in syncs
        )
        writes.append(write)
        await asyncio.sleep(interval)
    raise run.HarnessError("the writer ran out of members to patch; use more --base-members")


async def sync_loop(
    client: httpx.AsyncClient, members: int, count: int, gap: float, syncs: list[Sync]
) -> None:
    for part in range(1, count + 1):
        await asyncio.sleep(gap)
        code = f"FEED-{part}"
        body = orjson.dumps(sync_payload(members, code, first=part * 1_000_000))
        sync = Sync(code, time.monotonic())
        syncs.append(sync)
        response = await client.post(
            "/v1/member-syncs",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=120,
        )
        sync.finished = time.monotonic()
        sync.seconds = sync.finished - sync.started
        sync.status = response.status_code
        if response.status_code != 201:
            raise run.HarnessError(f"sync {code} answered {response.status_code}: {response.text}")
        sync.member_ids = {
            str(change["memberId"])
            for change in orjson.loads(response.content).get("changes") or []
        }
    await asyncio.sleep(gap)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _figures(latencies: list[float]) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {
        "count": len(latencies),
        "p50Ms": ms(percentile(latencies, 0.50)),
        "p90Ms": ms(percentile(latencies, 0.90)),
        "p99Ms": ms(percentile(latencies, 0.99)),
        "maxMs": ms(max(latencies) if latencies else None),
        "meanMs": ms(statistics.fmean(latencies) if latencies else None),
    }


async def measure(base_url: str, database_url: str, keys: Keys, args: argparse.Namespace) -> Any:
    state = Following()
    writes: list[Write] = []
    syncs: list[Sync] = []
    stop_writing = asyncio.Event()
    limits = httpx.Limits(max_connections=4)

    def client(key: str) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30, limits=limits)

    async with client(keys.admin) as reader, client(keys.admin) as writer, client(keys.sync) as s:
        follower = asyncio.create_task(follow(reader, args.wait, state))
        writing = asyncio.create_task(
            write_loop(writer, keys.member_ids, args.interval, writes, syncs, stop_writing)
        )
        try:
            await sync_loop(s, args.members, args.syncs, args.gap, syncs)
            stop_writing.set()
            await writing
            # Let the follower catch up with everything the database holds, then stop it.
            state.expect(sum((await changes_in_database(database_url)).values()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.caught_up.wait(), timeout=60)
            state.stop.set()
            await asyncio.wait_for(follower, timeout=args.wait + 60)
        finally:
            for task in (follower, writing):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
    in_database = await changes_in_database(database_url)
    return state, writes, syncs, in_database


def report(
    state: Following, writes: list[Write], syncs: list[Sync], in_database: Counter[ChangeKey]
) -> dict[str, Any]:
    seen, pages = state.seen, state.pages
    first_seen: dict[ChangeKey, float] = {}
    for item in seen:
        first_seen.setdefault(item.key, item.at)
    failed_writes = [w for w in writes if w.status != 200]
    latencies: dict[str, list[float]] = {"duringSync": [], "idle": []}
    # A write that commits while a sync runs: the part of its latency until the sync's answer
    # (its change shows once every transaction older than it has ended), and the part after.
    until_sync_ends: list[float] = []
    after_sync_ends: list[float] = []
    unseen = 0
    for write in writes:
        if write.status != 200:
            continue
        at = first_seen.get(("member", write.member_id, write.version, "updated"))
        if at is None:
            unseen += 1
            continue
        latencies["duringSync" if write.during_sync else "idle"].append(at - write.committed)
        overlapped = [s for s in syncs if s.started <= write.committed <= s.finished]
        if overlapped:
            until_sync_ends.append(overlapped[0].finished - write.committed)
            after_sync_ends.append(at - overlapped[0].finished)
    every = latencies["duringSync"] + latencies["idle"]

    seen_keys = Counter(item.key for item in seen)
    positions = Counter(item.position for item in seen)
    twice = sum(n - 1 for n in seen_keys.values() if n > 1)
    repeated_positions = sum(n - 1 for n in positions.values() if n > 1)
    missing = sum((in_database - seen_keys).values())
    extra = sum((seen_keys - in_database).values())
    exactly_once = twice == 0 and repeated_positions == 0 and missing == 0 and extra == 0

    sync_figures = []
    for sync in syncs:
        # How long after the sync's answer the follower had read all of its changes.
        ats = [first_seen.get(("member", member_id, 1, "created")) for member_id in sync.member_ids]
        known = [at for at in ats if at is not None]
        sync_figures.append(
            {
                "department": sync.code,
                "status": sync.status,
                "seconds": round(sync.seconds, 3),
                "changes": len(sync.member_ids),
                "firstSeenAfterAnswerMs": round((min(known) - sync.finished) * 1000, 1)
                if known
                else None,
                "allSeenAfterAnswerMs": round((max(known) - sync.finished) * 1000, 1)
                if len(known) == len(ats) and known
                else None,
            }
        )
    origin = syncs[0].started if syncs else 0.0
    during = _figures(latencies["duringSync"])
    p99 = percentile(latencies["duringSync"], 0.99)
    return {
        "writes": {
            "count": len(writes),
            "failed": len(failed_writes),
            "neverSeen": unseen,
            "committedDuringSync": len(latencies["duringSync"]),
        },
        "latency": {
            "duringSync": during,
            "idle": _figures(latencies["idle"]),
            "all": _figures(every),
        },
        "duringSyncBreakdown": {
            "untilSyncAnswered": _figures(until_sync_ends),
            "afterSyncAnswered": _figures(after_sync_ends),
        },
        "syncs": sync_figures,
        "follower": {
            "pages": len(pages),
            "changesSeen": len(seen),
            "fullPages": sum(1 for n in pages if n == PAGE_SIZE),
            "fullPageRequest": _figures(state.full_page_seconds),
        },
        # Every look at the feed, in ms since the first sync was sent: [asked, took, changes].
        "followerLog": [
            [round((asked - origin) * 1000, 1), round((answered - asked) * 1000, 1), items]
            for asked, answered, items in state.log
        ],
        "syncLog": [
            [round((s.started - origin) * 1000, 1), round((s.finished - origin) * 1000, 1)]
            for s in syncs
        ],
        "exactlyOnce": {
            "inDatabase": sum(in_database.values()),
            "seen": len(seen),
            "seenTwice": twice,
            "repeatedPositions": repeated_positions,
            "missing": missing,
            "notInDatabase": extra,
            "passed": exactly_once,
        },
        "targets": {
            "p99_during_sync_under_1s": p99 is not None and p99 < TARGET_P99_S,
            "every_write_seen": unseen == 0 and not failed_writes,
            "exactly_once": exactly_once,
        },
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.feed_bench", description=__doc__)
    parser.add_argument("--members", type=int, default=10_000, help="members per sync")
    parser.add_argument("--syncs", type=int, default=3, help="syncs, one after another")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds around each sync")
    parser.add_argument(
        "--interval", type=float, default=0.02, help="seconds between the writer's PATCHes"
    )
    parser.add_argument("--wait", type=float, default=10.0, help="the follower's long poll, s")
    parser.add_argument("--base-members", type=int, default=2_000, help="members to patch")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def _machine() -> dict[str, Any]:
    commit = os.popen(f"git -C {run.ROOT} rev-parse --short HEAD").read().strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "gitCommit": commit or None,
        "loadAverageAtStart": [round(x, 2) for x in os.getloadavg()],
    }


def main_run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    machine = _machine()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lg-feed-")))
        database_url = stack.enter_context(run.bench_database(keep=False))
        from app.cli import migrate

        print(f"migrating {make_url(database_url).database} …", flush=True)
        migrate(url=database_url)
        keys = asyncio.run(load(database_url, args.base_members, 10))
        server = stack.enter_context(run.api_server(database_url, args.workers, tmp))
        server.wait_ready()
        print(
            f"api on {server.base_url}; {args.syncs} syncs of {args.members} members, a PATCH "
            f"every {args.interval * 1000:.0f} ms, follower long-polling wait={args.wait:g}",
            flush=True,
        )
        state, writes, syncs, in_database = asyncio.run(
            measure(server.base_url, database_url, keys, args)
        )
    result = report(state, writes, syncs, in_database)
    machine["loadAverageAtEnd"] = [round(x, 2) for x in os.getloadavg()]
    document = {
        "scenario": "change-feed-follower",
        "timestamp": started.isoformat(timespec="seconds"),
        "machine": machine,
        "settings": {
            "membersPerSync": args.members,
            "syncs": args.syncs,
            "gapSeconds": args.gap,
            "writeIntervalSeconds": args.interval,
            "waitSeconds": args.wait,
            "uvicornWorkers": args.workers,
        },
        **result,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print_summary(document)
    print(f"wrote {args.output}")
    return 0 if all(result["targets"].values()) else 1


def print_summary(document: dict[str, Any]) -> None:
    latency = document["latency"]
    print()
    print(f"{'writes':<22}{'count':>7}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name in ("duringSync", "idle", "all"):
        f = latency[name]
        cells = [f[k] if f[k] is not None else "-" for k in ("p50Ms", "p90Ms", "p99Ms", "maxMs")]
        print(f"{name:<22}{f['count']:>7}" + "".join(f"{c!s:>10}" for c in cells))
    breakdown = document["duringSyncBreakdown"]
    print(
        "during a sync, p50 / p99 ms: until the sync answered "
        f"{breakdown['untilSyncAnswered']['p50Ms']} / {breakdown['untilSyncAnswered']['p99Ms']},"
        f" after it {breakdown['afterSyncAnswered']['p50Ms']} / "
        f"{breakdown['afterSyncAnswered']['p99Ms']}"
    )
    page = document["follower"]["fullPageRequest"]
    print(
        f"follower: {document['follower']['pages']} pages, a full page of {PAGE_SIZE} took "
        f"{page['p50Ms']} ms (p50), {page['p99Ms']} ms (p99) from request to answer"
    )
    for sync in document["syncs"]:
        print(
            f"sync {sync['department']}: {sync['seconds']:.2f} s, {sync['changes']} changes, "
            f"all read by the follower {sync['allSeenAfterAnswerMs']} ms after its answer"
        )
    once = document["exactlyOnce"]
    print(
        f"exactly once: {once['seen']} seen, {once['inDatabase']} in audit_events, "
        f"{once['seenTwice']} twice, {once['missing']} missing, {once['notInDatabase']} unknown"
        f" -> {'ok' if once['passed'] else 'FAILED'}"
    )
    for name, passed in document["targets"].items():
        print(f"  {name}: {'pass' if passed else 'MISS'}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, run._on_sigterm)
    try:
        return main_run(args)
    except run.HarnessError as exc:
        print(f"feed benchmark harness error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; server stopped and database dropped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
