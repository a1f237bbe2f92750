"""Text search helpers that behave the same on SQLite and Postgres."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: ColumnElement[Any], term: str) -> ColumnElement[bool]:
    """Case-insensitive substring match."""
    return func.lower(column).like(f"%{escape_like(term.lower())}%", escape="\\")
