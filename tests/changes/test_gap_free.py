"""A follower of the feed misses nothing and sees nothing twice while transactions of very
different lengths commit in another order than they began (the standard case: a long sync
while small writes come and go)."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import text

from app.core.context import SYSTEM
from app.core.db import database, write_connection
from app.members.schemas import MemberCreate
from app.members.service import create_member
from tests.factories import bearer, make_key

URL = "/v1/changes"


async def _write(number: int, hold: float) -> None:
    """One member created in a transaction that stays open for `hold` seconds after it."""
    connections = write_connection()
    conn = await anext(connections)
    data = {
        "email": f"volger{number}@amsterdam.example",
        "givenName": "Volger",
        "familyName": f"N{number}",
    }
    await create_member(conn, SYSTEM, MemberCreate.model_validate(data))
    await asyncio.sleep(hold)
    await anext(connections, None)  # the request's end: commits


async def test_a_follower_misses_nothing_while_long_and_short_writes_interleave(
    client, backend_name
):
    reader = await make_key("reader")
    random.seed(20261203)
    # A few long transactions (up to 1.2 s) among many short ones, started in waves, so
    # that short ones begin after a long one and commit before it. (SQLite has one writer
    # at a time: the others queue, within its busy timeout.)
    lengths = (0.0, 0.0, 0.01, 0.05, 0.3, 1.2) if backend_name == "postgres" else (0.0, 0.05)
    holds = [random.choice(lengths) for _ in range(60)]
    seen: list[dict] = []
    writing = True

    async def follower() -> None:
        url = f"{URL}?types=member&pageSize=7&wait=0.3"  # `next` and `resume` keep all three
        while True:
            done = not writing
            response = await client.get(url, headers=bearer(reader))
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(page["items"])
            url = page["next"] or page["resume"]
            if done and not page["items"]:
                return

    following = asyncio.create_task(follower())
    for wave in range(0, len(holds), 12):
        await asyncio.gather(
            *(_write(n, holds[n]) for n in range(wave, wave + 12)),
            asyncio.sleep(0.1),
        )
    writing = False
    await following

    async with database.engine.connect() as conn:
        written = (
            (
                await conn.execute(
                    text(
                        "SELECT object_id FROM audit_events "
                        "WHERE change = 'created' AND object_type = 'member'"
                    )
                )
            )
            .scalars()
            .all()
        )
    positions = [c["position"] for c in seen]
    assert len(positions) == len(set(positions)), "a change was seen twice"
    # The reader's own key made a member too (readers act for nobody: it did not).
    assert sorted(c["resourceId"] for c in seen) == sorted(written)
    assert len(written) == 60
