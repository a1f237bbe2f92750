"""Calibration (`--ceiling`): the members queries, `GET /me`'s three statements and a comment
thread's two, on plain FastAPI with a raw asyncpg pool.

No auth, no middleware, no SQLAlchemy at run time: the same SQL (compiled once from the app's
own statements), the same plan settings, and the same item shape and JSON. It asks the driver
for the least work that gives that JSON: ids stay text (the app returns UUID objects, as
SQLAlchemy does, which orjson writes more slowly), enum columns stay text (the app returns enum
members), and timestamps are parsed from Postgres's text form, as the app's fast reader does. What it reaches on a machine is roughly the best the
API could do there, which tells a missed target caused by the app from one the machine sets.
`/me` and the thread run through the app's fast reader on the pool's connection (its SQL,
arguments and conversions) and build their answers with the app's own functions, so only the
way in and the way out differ.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy import Select, bindparam
from sqlalchemy.dialects import postgresql

from app.comments import repository as comments
from app.comments.models import ThreadType
from app.core.db import SESSION_SETTINGS
from app.core.fastread import reader
from app.core.models import utcnow
from app.core.pagination import PageRequest
from app.me import repository as me
from app.members import repository
from benchmarks import bare

LIST_PATH = "/ceiling/members"
GET_PATH = "/ceiling/members/{member_id}"
ME_PATH = "/ceiling/me/{member_id}"
THREAD_PATH = "/ceiling/learning-questions/{question_id}/comments"


def _sql(statement: Any, names: list[str]) -> str:
    text = str(statement.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]
    for number, name in enumerate(names, start=1):
        text = text.replace(f"%({name})s", f"${number}")
    return text


FIRST_PAGE = _sql(
    repository.base_query()
    .order_by(repository.c.family_name_key, repository.c.id)
    .limit(bindparam("size")),
    ["size"],
)
BY_ID = _sql(repository.base_query().where(repository.c.id == bindparam("id")), ["id"])
state: dict[str, Any] = {}


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):  # asyncpg's own UUID class
        return str(value)
    raise TypeError


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("uuid", encoder=str, decoder=str, schema="pg_catalog", format="text")
    await conn.set_type_codec(
        "timestamptz",
        encoder=str,
        decoder=datetime.fromisoformat,
        schema="pg_catalog",
        format="text",
    )
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
            format="text",
        )


class _NoReset(asyncpg.Connection):  # type: ignore[misc]
    def get_reset_query(self) -> str:
        return ""


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    dsn = os.environ["CEILING_DSN"]
    state["pool"] = await asyncpg.create_pool(
        dsn,
        min_size=10,
        max_size=10,
        init=_init_connection,
        connection_class=_NoReset,
        server_settings=SESSION_SETTINGS,
    )
    try:
        yield
    finally:
        await state["pool"].close()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


@app.get(LIST_PATH)
async def list_members(pageSize: int = 20) -> Response:
    async with state["pool"].acquire() as conn:
        rows = await conn.fetch(FIRST_PAGE, pageSize + 1)
    items = [repository.to_item(row) for row in rows[:pageSize]]
    body = {"items": items, "next": "cursor" if len(rows) > pageSize else None}
    return Response(orjson.dumps(body, default=_default), media_type="application/json")


@app.get(GET_PATH)
async def get_member(member_id: uuid.UUID) -> Response:
    async with state["pool"].acquire() as conn:
        row = await conn.fetchrow(BY_ID, member_id)
    if row is None:
        return Response(status_code=404)
    return Response(
        orjson.dumps(repository.to_item(row), default=_default), media_type="application/json"
    )


@app.get(ME_PATH)
async def get_me(member_id: str) -> Response:
    """`GET /v1/me` for `member_id`: its three statements on one connection."""
    async with state["pool"].acquire() as conn:

        async def fetch_each(queries: Sequence[tuple[Select[Any], Mapping[str, Any]]]) -> list[Any]:
            return [await reader.fetch_on(conn, statement, params) for statement, params in queries]

        body = await me.summary(member_id, utcnow(), fetch_each)  # type: ignore[arg-type]
    return Response(orjson.dumps(body, default=_default), media_type="application/json")


@app.get(THREAD_PATH)
async def get_thread(question_id: str, pageSize: int = 20) -> Response:
    """A page of a learning question's thread as a reader sees it: its two statements."""
    page = PageRequest(None, pageSize, None)
    statement, params, _ = comments.thread_page_query(
        ThreadType.LEARNING_QUESTION,
        question_id,  # type: ignore[arg-type]
        page,
    )
    async with state["pool"].acquire() as conn:
        rows = await reader.fetch_on(conn, statement, params)
        items = [comments.to_item(row, False) for row in rows[:pageSize]]
        if items:
            parents = {"parent_ids": [item["id"] for item in items]}
            replies = await reader.fetch_on(conn, comments.REPLIES[True], parents)
            comments.attach_replies(items, replies, False)
    body = {"items": items, "next": "cursor" if len(rows) > pageSize else None}
    return Response(orjson.dumps(body, default=_default), media_type="application/json")


def main(argv: list[str] | None = None) -> None:
    bare.serve("benchmarks.ceiling:app", 8002, __doc__, argv)


if __name__ == "__main__":
    main()
