"""What the client writes: tables for people (rich), JSON and CSV for scripts, all on standard
output; errors and progress go to standard error, so a pipe receives the data alone."""

from __future__ import annotations

import csv
import enum
import json
import sys
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); the
# API's own CSV guards its cells the same way.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def errors() -> Console:
    return Console(stderr=True, highlight=False, markup=False)


def report(lines: Iterable[str]) -> None:
    console = errors()
    for line in lines:
        console.print(line, soft_wrap=True)


def write_text(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def write_json(value: Any) -> None:
    write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@contextmanager
def json_array() -> Iterator[Any]:
    """A JSON array written item by item as the items arrive (a long export shows at once)."""
    written = 0

    def add(item: Any) -> None:
        nonlocal written
        text = textwrap.indent(json.dumps(item, indent=2, ensure_ascii=False), "  ")
        write_text(("[\n" if written == 0 else ",\n") + text)
        written += 1

    yield add
    write_text("[]\n" if written == 0 else "\n]\n")


def cell(value: Any) -> str:
    """One value as plain text: empty for null, lists joined by `;`, objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_cell(value: Any) -> str:
    text = cell(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class CsvWriter:
    """RFC 4180, as the API writes CSV: a header row, CRLF line ends, minimal quoting."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._writer = csv.writer(sys.stdout, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._writer.writerow(columns)

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in values])

    def rows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.row(values)
        sys.stdout.flush()


def write_csv(columns: Sequence[str], rows: Iterable[Iterable[Any]]) -> None:
    CsvWriter(columns).rows(rows)


def write_table(
    columns: Sequence[str],
    rows: Iterable[Iterable[Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
    wide: Sequence[str] = (),
) -> None:
    """A table on standard output. The `wide` columns (free text) share what the terminal
    has left after the others, which are never wrapped; the first of them gets twice the
    room of each other."""
    # Cells are Text, never markup: a title with [brackets] is shown as written.
    table = Table(
        title=Text(title) if title else None,
        caption=Text(caption) if caption else None,
        expand=bool(wide),
        show_header=any(columns),
    )
    for name in columns:
        if name in wide:
            table.add_column(name, ratio=2 if name == wide[0] else 1)
        else:
            table.add_column(name, no_wrap=True)
    for values in rows:
        table.add_row(*(Text(cell(v)) for v in values))
    Console(highlight=False).print(table)


def pick(item: Mapping[str, Any], path: str) -> Any:
    """A value by its dotted path (`department.name`); null where a step is missing."""
    value: Any = item
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
