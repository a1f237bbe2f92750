"""The webhook scenario of `make bench` (issue 14): 1,000 changes delivered to a receiver on
this machine, target under 10 s, on a throw-away Postgres database.

The changes are written first (1,000 department creations through the service, each in its
own transaction, as the API writes them); then one worker (`Dispatcher`, the loop of
`leergemeenschap worker` and of each API process) files them as deliveries and POSTs them,
signed, to a local HTTP receiver that counts them and checks every signature. Measured: from
the worker's start to the last delivery marked delivered.

    .venv/bin/python -m benchmarks.webhook_bench [--events 1000] [--output PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.core.context import SYSTEM
from app.core.db import database
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from app.webhooks.delivery import Dispatcher
from app.webhooks.schemas import SubscriptionCreate
from app.webhooks.service import create_subscription
from benchmarks.run import bench_database
from tests.webhooks.receiver import receiving, verifies

TARGET_S = 10.0


async def measure(url: str, events: int) -> dict[str, Any]:
    from app.cli import migrate

    await asyncio.to_thread(migrate, "heads", url)
    settings = Settings(
        database_url=url,
        webhook_allowed_networks=("127.0.0.1/32",),
        webhook_worker_in_process=False,
    )
    database.configure(settings)
    try:
        async with receiving() as receiver:
            async with database.engine.begin() as conn:
                subscription = await create_subscription(
                    conn, SYSTEM, SubscriptionCreate(url=receiver.url, types=["department"])
                )
            written = time.perf_counter()
            for n in range(events):
                async with database.engine.begin() as conn:
                    await create_department(
                        conn,
                        SYSTEM,
                        DepartmentCreate(code=f"WH-{n:05d}", name=f"Afdeling {n}", kind="team"),
                    )
            written = time.perf_counter() - written
            dispatcher = Dispatcher(settings)
            started = time.perf_counter()
            await dispatcher.drain()
            elapsed = time.perf_counter() - started
            await dispatcher.close()
            received = len(receiver.requests)
            signed = sum(verifies(subscription["secret"], r) for r in receiver.requests)
            ordered = [r.json["data"]["resourceId"] for r in receiver.requests]
    finally:
        await database.dispose()
    return {
        "events": events,
        "received": received,
        "validSignatures": signed,
        "distinct": len(set(ordered)),
        "secondsToDeliver": round(elapsed, 3),
        "deliveriesPerSecond": round(received / elapsed, 1) if elapsed else None,
        "secondsToWriteTheChanges": round(written, 3),
        "targetSeconds": TARGET_S,
        "met": received == events == signed and elapsed < TARGET_S,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/webhooks.json"))
    args = parser.parse_args(argv)
    with bench_database(keep=False) as url:
        result = asyncio.run(measure(url, args.events))
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
