"""The diff of two 500-item agenda revisions (`GET /v1/agenda/revisions/{n}/diff`): the target is
≤ 50 ms for the service's whole computation on one connection, on Postgres and on the embedded
SQLite file. This is a wall-clock figure, so it is measured here and not in the test suite
(where two workers and a fuzzer share the cores; the suite checks the diff's answer and its
statement count instead).

Both revisions are built through the services, as the API builds them: 600 learning questions,
revision 1 of the first 500, 50 of those moved on to `exploring`, revision 2 of the last 500 with
every third re-prioritised and every rank moved (100 added, 100 removed, 400 changed, 50 status
changes). Beside the diff, the two reads it cannot do without (both revisions' items with their
titles, and the questions' status histories) are timed on the same connection: the calibration
that says how much of the diff is the database and how much the comparison in Python.

    .venv/bin/python -m benchmarks.agenda_diff_bench [--repeat 15] [--output PATH]

Exit status 0 when the target was met on both databases, 1 when it was missed, 2 when the
harness could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from benchmarks import run

TARGET_MS = 50.0
QUESTIONS = 600
ITEMS = 500
PRIORITIES = ("high", "medium", "low")


async def _build(conn: AsyncConnection) -> None:
    """Two published revisions of 500 items that differ as described in the module's text."""
    from app.agenda.schemas import AgendaItemInput, RevisionCreate
    from app.agenda.service import create_draft, publish_revision, replace_items
    from app.core.context import SYSTEM
    from app.learning_groups.schemas import GroupCreate
    from app.learning_groups.service import create_group
    from app.learning_questions.schemas import QuestionCreate, QuestionUpdate
    from app.learning_questions.service import create_question, update_question
    from app.themes.schemas import ThemeCreate
    from app.themes.service import create_theme

    theme = await create_theme(
        conn, SYSTEM, ThemeCreate.model_validate({"name": "Bench", "transitionRole": "verbinder"})
    )
    groups = [
        await create_group(
            conn,
            SYSTEM,
            GroupCreate.model_validate(
                {"name": f"Leergroep {n}", "themeId": str(theme["id"]), "mode": "self_directed"}
            ),
        )
        for n in range(4)
    ]
    questions = [
        await create_question(
            conn,
            SYSTEM,
            QuestionCreate.model_validate(
                {"title": f"Leervraag {n + 1}", "themeId": str(theme["id"]), "status": "open"}
            ),
        )
        for n in range(QUESTIONS)
    ]

    async def publish(items: list[dict[str, Any]]) -> None:
        draft = await create_draft(conn, SYSTEM, RevisionCreate.model_validate({}))
        inputs = [AgendaItemInput.model_validate(body) for body in items]
        await replace_items(conn, SYSTEM, draft["number"], inputs, None)
        await publish_revision(conn, SYSTEM, draft["number"], None)

    def body(question: Mapping[str, Any], rank: int, priority: str, group: int) -> dict[str, Any]:
        return {
            "questionId": str(question["id"]),
            "rank": rank,
            "priority": priority,
            "ownerGroupId": str(groups[group]["id"]),
        }

    await publish(
        [body(q, n + 1, PRIORITIES[n % 3], n % 4) for n, q in enumerate(questions[:ITEMS])]
    )
    for question in questions[100:150]:
        patch = QuestionUpdate.model_validate({"status": "exploring"})
        await update_question(conn, SYSTEM, question["id"], patch, None)
    kept = questions[QUESTIONS - ITEMS :]
    await publish(
        [
            body(q, len(kept) - n, PRIORITIES[(n + (n % 3 == 0)) % 3], n % 4)
            for n, q in enumerate(kept)
        ]
    )


async def _timed(repeat: int, step: Callable[[], Awaitable[object]]) -> list[float]:
    await step()  # compiled statements, a warm connection
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await step()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _summary(timings: list[float]) -> dict[str, Any]:
    return {
        "bestMs": round(min(timings), 2),
        "medianMs": round(statistics.median(timings), 2),
        "ms": [round(t, 2) for t in timings],
    }


async def _measure(url: str, repeat: int) -> dict[str, Any]:
    from app.agenda import repository, service
    from app.core.models import utcnow

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await _build(conn)
        async with engine.connect() as conn:
            diff = await service.diff_revisions(conn, 2, 1)
            shape = {
                "added": len(diff["added"]),
                "removed": len(diff["removed"]),
                "changed": len(diff["changed"]),
                "statusChanges": len(diff["statusChanges"]),
            }
            expected = {"added": 100, "removed": 100, "changed": 400, "statusChanges": 50}
            if shape != expected:
                raise run.HarnessError(f"the diff is not the one built: {shape}")
            rows = await repository.revisions_by_number(conn, (1, 2))
            ids = (rows[1].id, rows[2].id)

            async def reads() -> None:
                now = utcnow()
                await repository.embedded_items(conn, ids, now)
                await repository.status_history(conn, ids, now)

            diff_ms = await _timed(repeat, lambda: service.diff_revisions(conn, 2, 1))
            reads_ms = await _timed(repeat, reads)
    finally:
        await engine.dispose()
    best = min(diff_ms)
    return {
        "diff": _summary(diff_ms),
        "readsOnly": _summary(reads_ms),
        "readsShareOfDiff": round(min(reads_ms) / best, 2),
        "shape": shape,
        "targetMs": TARGET_MS,
        "met": best <= TARGET_MS,
    }


def _migrated(url: str) -> str:
    from app.cli import migrate

    print(f"migrating {make_url(url).database} …", flush=True)
    migrate(url=url)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"items": ITEMS, "repeat": args.repeat}
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = _migrated(f"sqlite+aiosqlite:///{folder}/diff.sqlite3")
            result["sqlite"] = asyncio.run(_measure(url, args.repeat))
        with run.bench_database(keep=False) as database_url:
            result["postgres"] = asyncio.run(_measure(_migrated(database_url), args.repeat))
    except run.HarnessError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 2
    run.emit(result, args.output)
    return 0 if result["sqlite"]["met"] and result["postgres"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
