"""The declarative base, shared column types and the mixins every mutable table uses."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    Uuid,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps always leave the database timezone-aware in UTC, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def sort_key(length: int) -> TypeEngine[str]:
    """A column of normalised sort keys, ordered byte for byte on every database: SQLite
    compares text that way by itself, Postgres under the "C" collation (its default follows
    the server's locale, which ignores spaces and punctuation and differs between servers)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def table_of(model: type[DeclarativeBase]) -> Table:
    """The Core table behind a mapped class (typed as a Table, which it always is here)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


# What the server's clock and id source answer can be set for a block of code, so that a story
# of the past (the demo community) is written through the services as it happened: each write
# dated at its moment and its records at stable ids. The API never sets either.
_clock: ContextVar[datetime | None] = ContextVar("clock", default=None)
_planned_ids: ContextVar[list[uuid.UUID] | None] = ContextVar("planned_ids", default=None)


def utcnow() -> datetime:
    """Now, or the moment a `clock_at` block set."""
    moment = _clock.get()
    return datetime.now(UTC) if moment is None else moment


def new_id() -> uuid.UUID:
    """A random id, or the next one a `planned_ids` block holds."""
    planned = _planned_ids.get()
    return planned.pop(0) if planned else uuid.uuid4()


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Within the block, every `utcnow()` (timestamps, column defaults, audit) is `moment`."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    token = _clock.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _clock.reset(token)


@contextmanager
def planned_ids(*ids: uuid.UUID) -> Iterator[None]:
    """Within the block, `new_id()` hands out these ids first, in order, then random ones."""
    token = _planned_ids.set(list(ids))
    try:
        yield
    finally:
        _planned_ids.reset(token)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, same on SQLite and Postgres."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)


class VersionedMixin:
    """Optimistic concurrency: every write raises `version`, guarded by WHERE version = ?."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, server_default=func.current_timestamp()
    )
