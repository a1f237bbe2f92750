"""The settable clock and id source in app.core.models: what the demo replays its past with."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.core.context import SYSTEM
from app.core.db import database
from app.core.models import clock_at, new_id, planned_ids, utcnow
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from tests.factories import bearer, make_key

MOMENT = datetime(2024, 3, 14, 14, 45, tzinfo=UTC)


def test_the_clock_reads_the_set_moment_only_within_the_block():
    with clock_at(MOMENT):
        assert utcnow() == MOMENT
        with clock_at(MOMENT + timedelta(hours=1)):
            assert utcnow() == MOMENT + timedelta(hours=1)
        assert utcnow() == MOMENT
    assert utcnow() > MOMENT + timedelta(days=365)


def test_the_clock_answers_in_utc_and_refuses_naive_moments():
    with clock_at(datetime(2024, 3, 14, 15, 45, tzinfo=timezone(timedelta(hours=1)))):
        assert utcnow() == MOMENT and utcnow().tzinfo == UTC
    with pytest.raises(ValueError), clock_at(datetime(2024, 3, 14, 14, 45)):
        pass


def test_planned_ids_come_first_in_order_then_random_ones():
    first, second = uuid.uuid4(), uuid.uuid4()
    with planned_ids(first, second):
        assert [new_id(), new_id()] == [first, second]
        assert new_id() not in (first, second)
    assert new_id() not in (first, second)


async def test_other_tasks_keep_their_own_clock():
    async def elsewhere() -> datetime:
        return utcnow()

    outside = asyncio.create_task(elsewhere())  # its context was copied before the block
    with clock_at(MOMENT):
        inside = asyncio.create_task(elsewhere())
        assert await inside == MOMENT
    assert await outside > MOMENT


async def test_a_service_creates_at_the_planned_id_and_moment(client):
    planned = uuid.uuid4()
    async with database.engine.begin() as conn:
        with planned_ids(planned), clock_at(MOMENT):
            data = DepartmentCreate.model_validate({"code": "RD", "name": "RD", "kind": "directie"})
            made = await create_department(conn, SYSTEM, data)
    assert made["id"] == planned
    response = await client.get(f"/v1/departments/{planned}", headers=bearer(await make_key()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["createdAt"] == body["updatedAt"] == "2024-03-14T14:45:00+00:00"
