"""What the notification tests build: many members at once, and a published agenda revision."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert

from app.core.db import database
from app.core.models import table_of, utcnow
from app.members.models import Member
from tests.agenda import api
from tests.factories import make_question


async def many_members(count: int, status: str = "active") -> None:
    """`count` members in one executemany (the test is about the fan-out, not about them)."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for n in range(count):
        tag = uuid.uuid4().hex[:12]
        rows.append(
            {
                "id": uuid.uuid4(),
                "email": f"m{tag}@amsterdam.example",
                "email_key": f"m{tag}@amsterdam.example",
                "given_name": "Lid",
                "family_name": f"Nummer {n}",
                "display_name": f"Lid {n}",
                "given_name_key": "lid",
                "family_name_key": f"nummer {n}",
                "display_name_key": f"lid {n}",
                "search_key": f"lid nummer {n}",
                "participation": "participant",
                "status": status,
                "transition_roles": [],
                "source": "manual",
                "joined_at": now,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with database.engine.begin() as conn:
        await conn.execute(insert(table_of(Member)), rows)


async def publish_a_revision(client: Any, admin: str) -> int:
    """A draft holding one question, published; answers its number."""
    question = await make_question(title="Hoe kopen we circulair in?")
    number = int((await api.create_draft(client, admin)).json()["number"])
    await api.put_items(client, admin, number, [api.item(question["id"], rank=1)], '"1"')
    await api.publish(client, admin, number, '"2"')
    return number
