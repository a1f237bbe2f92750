"""Themes, groups, workshops and learning questions for agenda tests, built through the
services of those domains (never raw SQL), so status history is recorded as in production."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from app.core.context import SYSTEM
from app.core.db import database
from app.core.http import dumps
from app.learning_groups.schemas import GroupCreate
from app.learning_groups.service import create_group
from app.learning_questions.schemas import QuestionCreate, QuestionUpdate
from app.learning_questions.service import create_question, merge_question, update_question
from app.themes.schemas import ThemeCreate
from app.themes.service import create_theme
from app.workshops.schemas import WorkshopCreate
from app.workshops.service import create_workshop

_seq = itertools.count(1)


def _plain(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as a client sees it (ids and instants as strings), to compare with API
    answers directly."""
    plain: dict[str, Any] = orjson.loads(dumps(resource))
    return plain


TRANSITION_ROLES = ("verbinder", "coalitiebouwer", "gebiedsmakelaar")


async def make_theme(transition_role: str = "verbinder", **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {"name": f"Thema {n}", "transitionRole": transition_role, **overrides}
    async with database.engine.begin() as conn:
        return _plain(await create_theme(conn, SYSTEM, ThemeCreate.model_validate(data)))


async def make_group(theme_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {"name": f"Leergroep {n}", "themeId": str(theme_id), "mode": "self_directed"}
    data.update(overrides)
    async with database.engine.begin() as conn:
        return _plain(await create_group(conn, SYSTEM, GroupCreate.model_validate(data)))


async def make_workshop(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    data = {
        "title": f"Werkplaats {n}",
        "startsAt": datetime(2026, 3, n % 28 + 1, 9, 0, tzinfo=UTC).isoformat(),
        **overrides,
    }
    async with database.engine.begin() as conn:
        return _plain(await create_workshop(conn, SYSTEM, WorkshopCreate.model_validate(data)))


def _question_data(theme_id: uuid.UUID | str | None, status: str, overrides: dict[str, Any]) -> Any:
    n = next(_seq)
    data: dict[str, Any] = {"title": f"Leervraag {n}", "status": status, **overrides}
    if theme_id is not None:
        data["themeId"] = str(theme_id)
    return QuestionCreate.model_validate(data)


async def make_question(
    theme_id: uuid.UUID | str | None = None, status: str = "open", **overrides: Any
) -> dict[str, Any]:
    async with database.engine.begin() as conn:
        return _plain(
            await create_question(conn, SYSTEM, _question_data(theme_id, status, overrides))
        )


async def make_questions(
    count: int, theme_id: uuid.UUID | str | None = None, status: str = "open"
) -> list[dict[str, Any]]:
    """Many questions in one transaction (for the large agendas of the performance tests)."""
    async with database.engine.begin() as conn:
        return [
            _plain(await create_question(conn, SYSTEM, _question_data(theme_id, status, {})))
            for _ in range(count)
        ]


async def set_question_status(question_id: uuid.UUID | str, status: str) -> dict[str, Any]:
    async with database.engine.begin() as conn:
        patch = QuestionUpdate.model_validate({"status": status})
        return _plain(await update_question(conn, SYSTEM, uuid.UUID(str(question_id)), patch, None))


async def merge_into(question_id: uuid.UUID | str, into_id: uuid.UUID | str) -> dict[str, Any]:
    async with database.engine.begin() as conn:
        return _plain(
            await merge_question(
                conn, SYSTEM, uuid.UUID(str(question_id)), uuid.UUID(str(into_id)), None
            )
        )
