"""Content negotiation between JSON and CSV, and the agenda as an RFC 4180 CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, Literal

from app.agenda.schemas import AgendaItemRead
from app.core.errors import DomainError

JSON = "application/json"
CSV = "text/csv"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

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
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Format = Literal["json", "csv"]


class NotAcceptable(DomainError):
    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _quality(offered: str, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific range matching `offered` (RFC 9110 §12.5.1)."""
    kind = offered.split("/")[0]
    best: tuple[int, float] | None = None
    for media, quality in ranges:
        if media == offered:
            specificity = 3
        elif media == f"{kind}/*":
            specificity = 2
        elif media == "*/*":
            specificity = 1
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best else 0.0


def negotiate(accept: str | None) -> Format:
    """JSON unless the client prefers CSV; 406 when it accepts neither."""
    if accept is None or not accept.strip():
        return "json"
    ranges = _ranges(accept)
    json_q, csv_q = _quality(JSON, ranges), _quality(CSV, ranges)
    if json_q <= 0 and csv_q <= 0:
        raise NotAcceptable(
            f"This resource is available as {JSON} and as {CSV}; the Accept header "
            f"'{accept[:200]}' allows neither."
        )
    return "csv" if csv_q > json_q else "json"


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
            ]
        )
    return buffer.getvalue().encode("utf-8")
