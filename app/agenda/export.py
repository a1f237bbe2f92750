"""The agenda as an RFC 4180 CSV file, and the response that carries it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from fastapi.responses import Response

from app.agenda.schemas import AgendaItemRead

CSV = "text/csv"

CSV_COLUMNS = (
    "rank",
    "priority",
    "questionId",
    "questionTitle",
    "questionStatus",
    "theme",
    "ownerGroupId",
    "ownerGroupName",
    "note",
    # Added after the others, so that a sheet reading columns by position still finds them.
    "questionSupportCount",
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvResponse(Response):
    """A CSV answer; Starlette adds `; charset=utf-8` to a text type."""

    media_type = CSV


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def items_csv(items: Iterable[AgendaItemRead]) -> bytes:
    """One row per item with a header row; CRLF line ends and minimal quoting (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        question = item["question"]
        theme = question["theme"]
        group = item["ownerGroup"]
        writer.writerow(
            [
                _cell(item["rank"]),
                _cell(item["priority"]),
                _cell(item["questionId"]),
                _cell(question["title"]),
                _cell(question["status"]),
                _cell(theme["name"] if theme else None),
                _cell(item["ownerGroupId"]),
                _cell(group["name"] if group else None),
                _cell(item["note"]),
                _cell(question["supportCount"]),
            ]
        )
    return buffer.getvalue().encode("utf-8")
