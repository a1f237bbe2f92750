"""Moments in query parameters (`asOf`): an RFC 3339 date-time, or a date that stands for the
end of that day in the community's own time zone. One reading for every route that takes one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query

from app.core.errors import InvalidInput, InvalidParam

# RFC 3339 date-time (a space may stand for the T; seconds and offset may be left out).
_INSTANT_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$"
)
# An unencoded `+` in a query string arrives as a space: "…10:00:00 01:00".
_LOST_PLUS_RE = re.compile(r"^(.*\d) (\d{2}:?\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A plain date is a day of the community's own calendar.
COMMUNITY_TIME = ZoneInfo("Europe/Amsterdam")


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in Amsterdam, in UTC: the day is 23, 24 or 25 hours long, so
    it is found from the next midnight, not by adding hours."""
    if day == date.max:  # no next midnight to count back from: the end of time will do
        return datetime.max.replace(tzinfo=UTC)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=COMMUNITY_TIME)
    return next_midnight.astimezone(UTC) - timedelta(microseconds=1)


def parse_instant(raw: str, name: str) -> datetime:
    """An instant from a query parameter; without an offset it is taken as UTC, and a plain
    date (YYYY-MM-DD) is the end of that day in Europe/Amsterdam."""
    text = raw.strip()
    lost_plus = _LOST_PLUS_RE.match(text)
    if lost_plus and ("T" in text or "t" in text):
        text = f"{lost_plus.group(1)}+{lost_plus.group(2)}"
    parsed: datetime | None = None
    if _DATE_RE.match(text):
        try:
            return end_of_day(date.fromisoformat(text))
        except (ValueError, OverflowError):  # no such day, or the last day there is
            parsed = None
    elif _INSTANT_RE.match(text):
        # Python keeps microseconds only; longer fractions are cut, not rounded.
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        try:
            parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(
            [
                InvalidParam(
                    name,
                    "Give an RFC 3339 date-time such as 2026-03-01T09:30:00Z, or a date such as "
                    "2026-03-01 (the end of that day in Amsterdam).",
                    code="date_time",
                    where="query",
                )
            ]
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def as_of(raw: str | None) -> datetime | None:
    """The moment an `asOf` parameter names, or None when it is absent (now)."""
    return None if raw is None else parse_instant(raw, "asOf")


# The `asOf` query parameter, as every route that looks back in time declares it.
AsOf = Annotated[
    str | None,
    Query(
        alias="asOf",
        max_length=64,
        description=(
            "The moment to look at (default: now). An RFC 3339 date-time (without an offset it "
            "is read as UTC), or a date (YYYY-MM-DD): the end of that day in Europe/Amsterdam, "
            "e.g. 2024-03-14 is 2024-03-14T22:59:59.999999Z."
        ),
        # Either form: a date-time or a date, and the examples show both.
        json_schema_extra={
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ],
            "examples": ["2024-03-14T18:00:00Z", "2024-03-14"],
        },
    ),
]
