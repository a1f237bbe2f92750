"""Keyset pagination with opaque cursors, `sort`, and the `next` link in body and header."""

from __future__ import annotations

import base64
import binascii
import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import unquote_plus

import orjson
from fastapi import Query, Request
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, Integer, Select, bindparam, tuple_
from sqlalchemy.sql.elements import KeyedColumnElement

from app.core.errors import InvalidInput, InvalidParam
from app.core.query import QueryModel
from app.core.schemas import Instant

# An item of a list: its resource's TypedDict (app/core/schemas.py), or any mapping with an id.
Item = TypeVar("Item", bound=Mapping[str, Any])

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    cursor: str | None
    size: int
    sort: str | None
    # Only what changed at or after this moment (`updatedSince`), on lists that have it.
    updated_since: datetime | None = None


def _well_formed_cursor(cursor: str | None) -> str | None:
    """Check the cursor's shape while the other parameters are validated, so that a bad
    cursor is listed together with them; whether it fits the list is checked later."""
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except InvalidInput:
            raise PydanticCustomError("invalid_cursor", CURSOR_REASON) from None
    return cursor


CursorParam = Annotated[
    str | None,
    Query(
        max_length=512,
        description="Opaque position from the `next` link of the previous page.",
    ),
    AfterValidator(_well_formed_cursor),
]
PageSizeParam = Annotated[
    int,
    Query(
        alias="pageSize",
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Items per page, 1 to {MAX_PAGE_SIZE}.",
    ),
]


UPDATED_SINCE_HELP = (
    "Only items changed at or after this moment (RFC 3339 with its offset): what a script that "
    "ran before asks. The change feed (`/v1/changes`) says what changed, in order."
)
UpdatedSinceParam = Annotated[
    Instant | None, Query(alias="updatedSince", description=UPDATED_SINCE_HELP)
]


def _page_dependency(pattern: str, description: str, updated: bool) -> Any:
    """The paging parameters of one list (with `updatedSince` when its items have an
    `updatedAt`). Its sort keys are part of the parameter's own validation, so an unknown key
    is reported together with every other invalid parameter."""

    if updated:

        async def page_request(
            cursor: CursorParam = None,
            page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
            sort: str | None = None,
            updated_since: UpdatedSinceParam = None,
        ) -> PageRequest:
            return PageRequest(cursor, page_size, sort, updated_since)

    else:

        async def page_request(  # type: ignore[misc]
            cursor: CursorParam = None,
            page_size: PageSizeParam = DEFAULT_PAGE_SIZE,
            sort: str | None = None,
        ) -> PageRequest:
            return PageRequest(cursor, page_size, sort)

    # Annotations are strings under `from __future__ import annotations`, and a string cannot
    # name this closure's pattern: hand FastAPI the real annotation instead.
    page_request.__annotations__["sort"] = Annotated[
        str | None, Query(max_length=64, pattern=pattern, description=description)
    ]
    return page_request


class KeysetQuery(QueryModel):
    """The paging parameters of a list read as one model (see app/core/query.py), for a list
    whose items have no `updatedAt` (no `updatedSince`); a list subclasses it, or `PageQuery`,
    with its filters and `sort = SORTING.sort_field()`."""

    cursor: Annotated[
        str | None,
        Field(max_length=512, description=CursorParam.__metadata__[0].description),
        AfterValidator(_well_formed_cursor),
    ] = None
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        alias="pageSize",
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Items per page, 1 to {MAX_PAGE_SIZE}.",
    )
    sort: str | None = None

    @property
    def page(self) -> PageRequest:
        return PageRequest(self.cursor, self.page_size, self.sort)

    def filters(self) -> dict[str, Any]:
        """The list's own parameters (everything but paging), by field name."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name not in _PAGING_FIELDS
        }


class PageQuery(KeysetQuery):
    """The paging parameters with `updatedSince`, for a list whose items have an `updatedAt`."""

    updated_since: Instant | None = Field(
        None, alias="updatedSince", description=UPDATED_SINCE_HELP
    )

    @property
    def page(self) -> PageRequest:
        return PageRequest(self.cursor, self.page_size, self.sort, self.updated_since)


_PAGING_FIELDS = frozenset(PageQuery.model_fields)


class Sorting:
    """The sort keys one list allows; every key is made total with the id as tie-breaker.

    A key may sort on a stored normalised column (a name's sort key) rather than on the value
    an item shows: `folds` gives, for such a key, the function that turns the shown value into
    the column's. The cursor holds the shown value, as for any key, and the position is taken
    on its fold, so a cursor stays valid whatever the fold is at the time it comes back."""

    def __init__(
        self,
        keys: dict[str, KeyedColumnElement[Any]],
        id_column: KeyedColumnElement[Any],
        default: str,
        folds: Mapping[str, Callable[[str], str]] | None = None,
    ) -> None:
        self.keys = keys
        self.id_column = id_column
        self.default = default
        self.folds = dict(folds or {})
        self.pattern = "^-?(" + "|".join(sorted(keys)) + ")$"
        # What `updatedSince` compares with: the items' own `updated_at`, if they have one.
        table = getattr(id_column, "table", None)
        self.updated_column: KeyedColumnElement[Any] | None = (
            table.c.get("updated_at") if table is not None else None
        )
        # Use as `page: Annotated[PageRequest, Depends(SORTING.params)]` in a list endpoint.
        self.params = _page_dependency(
            self.pattern, self.description, self.updated_column is not None
        )

    def sort_field(self) -> Any:
        """The `sort` field of a `PageQuery` subclass for this list."""
        return Field(None, max_length=64, pattern=self.pattern, description=self.description)

    @property
    def description(self) -> str:
        names = ", ".join(sorted(self.keys))
        return f"Sort key, one of: {names}; prefix `-` for descending. Default `{self.default}`."

    def resolve(self, sort: str | None) -> tuple[str, KeyedColumnElement[Any], bool]:
        name = sort or self.default
        descending = name.startswith("-")
        key = name.lstrip("-")
        if key not in self.keys:
            raise InvalidInput(
                [
                    InvalidParam(
                        "sort",
                        f"Unknown sort key '{key}'; allowed: {', '.join(sorted(self.keys))}.",
                        code="enum",
                        where="query",
                    )
                ]
            )
        return name, self.keys[key], descending


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


CURSOR_REASON = "The cursor is not one this list handed out; start again without it."


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        [InvalidParam("cursor", CURSOR_REASON, code="invalid_cursor", where="query")]
    )


def encode_cursor(sort: str, value: Any, last_id: Any) -> str:
    raw = orjson.dumps([sort, _encode_value(value), _encode_value(last_id)])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise _bad_cursor() from None
    if not isinstance(data, list) or len(data) != 3 or not isinstance(data[0], str):
        raise _bad_cursor()
    return data


def _typed(column: KeyedColumnElement[Any], raw: Any) -> Any:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return raw
    try:
        if raw is None:
            return None
        if python_type is datetime:
            moment = datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                raise ValueError
            return moment
        if python_type is uuid.UUID:
            return uuid.UUID(str(raw))
        if python_type is bool:
            if not isinstance(raw, bool):
                raise ValueError
            return raw
        if python_type is int:
            if not isinstance(raw, int) or isinstance(raw, bool):
                raise ValueError
            return raw
        if not isinstance(raw, str):
            raise ValueError
        return raw
    except (TypeError, ValueError):
        raise _bad_cursor() from None


@dataclass
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def _after(
    column: KeyedColumnElement[Any],
    id_column: KeyedColumnElement[Any],
    value: Any,
    last_id: Any,
    descending: bool,
) -> ColumnElement[bool]:
    """The rows after a position, as one row comparison: `(key, id) > (value, id)`. Unlike
    `key > value OR (key = value AND id > id)`, the database starts its index scan at the
    position, so a page deep in a long list costs what the first one does."""
    position = tuple_(column, id_column)
    after = tuple_(value, last_id)
    return position < after if descending else position > after


def paginate(
    query: Select[Any], page: PageRequest, sorting: Sorting
) -> tuple[Select[Any], str, KeyedColumnElement[Any], bool]:
    """Apply order, keyset position and limit (one extra row tells whether a next page exists)."""
    name, column, descending = sorting.resolve(page.sort)
    id_column = sorting.id_column
    if page.updated_since is not None and sorting.updated_column is not None:
        query = query.where(sorting.updated_column >= page.updated_since)
    if page.cursor:
        value, last_id = _position(page, name, column, sorting)
        query = query.where(_after(column, id_column, value, last_id, descending))
    if descending:
        query = query.order_by(column.desc(), id_column.desc())
    else:
        query = query.order_by(column.asc(), id_column.asc())
    return query.limit(page.size + 1), name, column, descending


def _position(
    page: PageRequest, name: str, column: KeyedColumnElement[Any], sorting: Sorting
) -> tuple[Any, Any]:
    assert page.cursor is not None
    sort_name, raw_value, raw_id = decode_cursor(page.cursor)
    if sort_name != name:
        raise _bad_cursor()
    value = _typed(column, raw_value)
    fold = sorting.folds.get(name.lstrip("-"))
    if fold is not None:
        if not isinstance(value, str):
            raise _bad_cursor()
        value = fold(value)
    return value, _typed(sorting.id_column, raw_id)


def paginate_named(
    query: Select[Any], page: PageRequest, sorting: Sorting, params: dict[str, Any]
) -> tuple[Select[Any], dict[str, Any], str]:
    """As `paginate`, with the position and limit as named parameters: the statement no longer
    depends on the values, so the same object comes back for the same `query` (itself built
    once per filter shape, see members.repository), sort and position."""
    name, column, _ = sorting.resolve(page.sort)
    params = {**params, "page_limit": page.size + 1}
    if page.cursor:
        params["after_value"], params["after_id"] = _position(page, name, column, sorting)
    since = page.updated_since is not None and sorting.updated_column is not None
    if since:
        params["updated_since"] = page.updated_since
    return _paged(query, sorting, name, bool(page.cursor), since), params, name


@functools.lru_cache(maxsize=512)
def _paged(
    query: Select[Any], sorting: Sorting, name: str, after: bool, since: bool
) -> Select[Any]:
    _, column, descending = sorting.resolve(name)
    id_column = sorting.id_column
    if since:
        assert sorting.updated_column is not None
        query = query.where(
            sorting.updated_column >= bindparam("updated_since", type_=sorting.updated_column.type)
        )
    if after:
        value = bindparam("after_value", type_=column.type)
        last_id = bindparam("after_id", type_=id_column.type)
        query = query.where(_after(column, id_column, value, last_id, descending))
    if descending:
        query = query.order_by(column.desc(), id_column.desc())
    else:
        query = query.order_by(column.asc(), id_column.asc())
    return query.limit(bindparam("page_limit", type_=Integer()))


def page_from_rows(
    rows: list[Item], page: PageRequest, sort_name: str, sort_field: str
) -> Page[Item]:
    """Cut the extra row and turn the last item's position into the next cursor.

    `sort_field` names the item key that holds the sort value (items carry their `id`)."""
    if len(rows) <= page.size:
        return Page(rows, None)
    items = rows[: page.size]
    last = items[-1]
    return Page(items, encode_cursor(sort_name, _sort_value(last, sort_field), last["id"]))


def _sort_value(item: Mapping[str, Any], field: str) -> Any:
    value: Any = item
    for part in field.split("."):
        value = value[part]
    return value


def page_links(request: Request, page: Page[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The list body and its `Link` header."""
    if page.next_cursor is None:
        return {"items": page.items, "next": None}, {}
    next_url = next_page_url(request, page.next_cursor)
    return {"items": page.items, "next": next_url}, {"Link": f'<{next_url}>; rel="next"'}


def next_page_url(request: Request, cursor: str, name: str = "cursor") -> str:
    """This request's URL with `cursor` set (as the parameter `name`); every other query
    parameter stays exactly as the client wrote it. (Cursors are base64url, so they need no
    escaping.)"""
    base, _, query = str(request.url).partition("?")
    kept = [part for part in query.split("&") if part and _query_key(part) != name]
    kept.append(f"{name}={cursor}")
    return base + "?" + "&".join(kept)


def _query_key(part: str) -> str:
    key = part.partition("=")[0]
    return unquote_plus(key) if "%" in key or "+" in key else key
