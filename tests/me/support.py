"""What the "me" tests build: sign-ups for werkplaatsen, through the workshops service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.context import SYSTEM
from app.core.db import database
from app.workshops.schemas import AttendeeCreate
from app.workshops.service import add_attendee
from tests.factories import make_workshop


def days_from_now(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def sign_up(workshop_id: uuid.UUID, member_id: uuid.UUID) -> dict[str, Any]:
    async with database.engine.begin() as conn:
        return dict(
            await add_attendee(
                conn,
                SYSTEM,
                workshop_id,
                AttendeeCreate.model_validate({"memberId": str(member_id)}),
            )
        )


async def workshop_in(days: float, **overrides: Any) -> dict[str, Any]:
    """A werkplaats starting `days` from now (negative: it has begun)."""
    return await make_workshop(startsAt=days_from_now(days), **overrides)
