"""Factories build test data through the services, as the API would; never raw SQL."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from app.api_keys.models import Role
from app.api_keys.service import issue_key
from app.core.context import SYSTEM
from app.core.db import database
from app.departments.schemas import DepartmentCreate
from app.departments.service import create_department
from app.members.schemas import MemberCreate
from app.members.service import create_member

_seq = itertools.count(1)


async def make_department(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {"code": f"DEP-{n}", "name": f"Afdeling {n}", "kind": "afdeling", **overrides}
    async with database.engine.begin() as conn:
        return await create_department(conn, SYSTEM, DepartmentCreate.model_validate(data))


async def make_member(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {
        "email": f"deelnemer{n}@amsterdam.example",
        "givenName": f"Voornaam{n}",
        "familyName": f"Achternaam{n}",
        "externalId": f"HR-{n:05d}",
        **overrides,
    }
    async with database.engine.begin() as conn:
        return await create_member(conn, SYSTEM, MemberCreate.model_validate(data))


async def make_key(role: str = "admin", member_id: uuid.UUID | None = None) -> str:
    async with database.engine.begin() as conn:
        item = await issue_key(
            conn, SYSTEM, name=f"test {role}", role=Role(role), member_id=member_id
        )
    return str(item["key"])


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
