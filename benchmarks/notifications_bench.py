"""Notification fan-out (issue 15): publishing an agenda revision notifies every active member,
in one `INSERT … SELECT` inside the publication's transaction. This times that statement for
10,000 active members on a throw-away Postgres database (migrated, members bulk-loaded as
`benchmarks.run` loads them), `--repeat` times, each in a transaction that is rolled back so
every run writes the full 10,000. The target: ≤ 0.5 s (the median).

    .venv/bin/python -m benchmarks.notifications_bench [--members 10000] [--repeat 5] [--output PATH]

Exit status 0 when the target was met, 1 when it was missed, 2 when the harness could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import run

TARGET_S = 0.5


async def _measure(url: str, members: int, repeat: int) -> dict[str, Any]:
    from app.agenda import repository as agenda
    from app.core.models import table_of
    from app.departments.models import Department
    from app.members.models import Member
    from app.notifications import service as notifications
    from app.notifications.models import Notification, NotificationKind

    department_rows, member_rows = run.bench_rows(members, 10)
    for row in member_rows:
        row["status"] = "active"
    engine = create_async_engine(url)
    timings: list[float] = []
    written = 0
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(table_of(Department)), department_rows)
            await conn.execute(insert(table_of(Member)), member_rows)
        for _ in range(repeat):
            async with engine.connect() as conn:
                transaction = await conn.begin()
                started = time.perf_counter()
                written = await notifications.notify(
                    conn,
                    NotificationKind.AGENDA_REVISION_PUBLISHED,
                    agenda.everyone(),
                    subject_type="agenda-revision",
                    subject_id=1,
                    href="/v1/agenda/revisions/1",
                    payload={"number": 1, "itemCount": 30},
                )
                timings.append(time.perf_counter() - started)
                count = (
                    await conn.execute(select(func.count()).select_from(table_of(Notification)))
                ).scalar_one()
                assert count == members, (count, members)
                await transaction.rollback()
    finally:
        await engine.dispose()
    median = statistics.median(timings)
    return {
        "members": members,
        "notified": written,
        "statements": 1,
        "seconds": [round(t, 4) for t in timings],
        "medianSeconds": round(median, 4),
        "targetSeconds": TARGET_S,
        "met": median <= TARGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        with run.bench_database(keep=False) as database_url:
            from app.cli import migrate

            print(f"migrating {make_url(database_url).database} …", flush=True)
            migrate(url=database_url)
            result = asyncio.run(_measure(database_url, args.members, args.repeat))
    except run.HarnessError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 2
    run.emit(result, args.output)
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
