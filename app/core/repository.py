"""SQL shapes every domain repeats: one page of a list, one row, a version-guarded update,
and checking that referenced ids exist (all at once, in one statement per table)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, Table, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import InvalidInput, InvalidParam, NotFound, PreconditionFailed
from app.core.fastread import reader
from app.core.http import json_response
from app.core.models import utcnow
from app.core.pagination import (
    Item,
    PageRequest,
    Sorting,
    page_from_rows,
    page_links,
    paginate,
    paginate_named,
)


async def list_page(
    conn: AsyncConnection,
    request: Request,
    query: Select[Any],
    page: PageRequest,
    sorting: Sorting,
    to_item: Callable[[Row[Any]], Item],
    enrich: Callable[[AsyncConnection, list[Item]], Awaitable[object]] | None = None,
    *,
    fields: Mapping[str, str] | None = None,
) -> Response:
    """One statement per page, whatever its size; `enrich` may add one statement more that
    fills in a collection for all the page's items at once. `fields` says where an item holds
    the value of a sort key that is not its own top-level key (a dotted path)."""
    paged, sort_name, _column, _desc = paginate(query, page, sorting)
    rows = [to_item(row) for row in (await conn.execute(paged)).all()]
    key = sort_name.lstrip("-")
    result = page_from_rows(rows, page, sort_name, (fields or {}).get(key, key))
    if enrich is not None:
        await enrich(conn, result.items)
    body, headers = page_links(request, result)
    return json_response(body, headers=headers)


async def hot_list_page(
    request: Request,
    query: Select[Any],
    params: dict[str, Any],
    page: PageRequest,
    sorting: Sorting,
    to_item: Callable[[Any], Item],
) -> Response:
    """`list_page` for a hot list, read on the hot path (app/core/fastread.py): its filters are
    named parameters (see `paginate_named`), so each filter and sort shape is one statement,
    built and compiled once."""
    paged, values, sort_name = paginate_named(query, page, sorting, params)
    records = await reader.fetch(paged, values)
    result = page_from_rows([to_item(r) for r in records], page, sort_name, sort_name.lstrip("-"))
    body, headers = page_links(request, result)
    return json_response(body, headers=headers)


async def one_row(conn: AsyncConnection, query: Select[Any], what: str) -> Row[Any]:
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"No {what} has that id.")
    found: Row[Any] = row
    return found


async def update_versioned(
    conn: AsyncConnection,
    table: Table,
    row_id: uuid.UUID,
    expected_version: int,
    values: Mapping[str, Any],
) -> int:
    """Write `values` only if nobody else wrote since `expected_version`; return the new one."""
    new_version = expected_version + 1
    result = await conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.version == expected_version)
        .values(**values, version=new_version, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise PreconditionFailed(
            "The resource was changed by someone else meanwhile; fetch it again and retry."
        )
    return new_version


async def missing_references(
    conn: AsyncConnection, references: Mapping[str, tuple[Table, uuid.UUID | None]]
) -> list[InvalidParam]:
    """Every referenced id that does not exist, named by its property."""
    by_table: dict[Table, set[uuid.UUID]] = {}
    for table, ref in references.values():
        if ref is not None:
            by_table.setdefault(table, set()).add(ref)
    found: set[tuple[str, uuid.UUID]] = set()
    for table, ids in by_table.items():
        rows = await conn.execute(select(table.c.id).where(table.c.id.in_(ids)))
        found.update((table.name, row.id) for row in rows)
    return [
        InvalidParam(name, f"No {table.name[:-1]} has id {ref}.", code="unknown_reference")
        for name, (table, ref) in references.items()
        if ref is not None and (table.name, ref) not in found
    ]


async def existing_ids(
    conn: AsyncConnection, table: Table, ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids the table already holds (one statement)."""
    if not ids:
        return set()
    rows = await conn.execute(select(table.c.id).where(table.c.id.in_(list(ids))))
    return {row.id for row in rows}


async def require_references(
    conn: AsyncConnection, references: Mapping[str, tuple[Table, uuid.UUID | None]]
) -> None:
    missing = await missing_references(conn, references)
    if missing:
        raise InvalidInput(missing)


def copy_value(value: Any) -> Any:
    """A value as COPY's binary format takes it: JSON as text, an enum as its value."""
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if isinstance(value, enum.Enum):
        return value.value
    return value


# SQLite allows 32,766 bound parameters per statement: a longer list is split well below it.
SQLITE_CHUNK = 5_000


def one_of(
    conn: AsyncConnection, column: ColumnElement[Any], values: Sequence[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions that together pick the rows whose `column` holds one of `values`, for a bulk
    write: on Postgres one (`= ANY` of a single array parameter, however many values), on
    SQLite one per `SQLITE_CHUNK` values. None when there are no values."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for start in range(0, len(values), SQLITE_CHUNK):
        yield column.in_(list(values[start : start + SQLITE_CHUNK]))


def matches(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """A list filter: the column holds the value, or one of them (`ONE_OR_MORE` filters)."""
    if isinstance(value, list | tuple | set | frozenset):
        return column.in_(value)
    equal: ColumnElement[bool] = column == value
    return equal
