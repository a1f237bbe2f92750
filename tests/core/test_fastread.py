"""The fast reader gives the same values as SQLAlchemy: it decodes timestamps from Postgres's
text form (cheaper than asyncpg's binary decoding), so that form is checked value by value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select

from app.core.db import database
from app.core.fastread import _timestamp, reader
from app.core.http import dumps
from app.core.models import UTCDateTime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-08-23 10:04:17.51092+00", datetime(2026, 8, 23, 10, 4, 17, 510920, tzinfo=UTC)),
        ("2026-08-23 10:04:17+00", datetime(2026, 8, 23, 10, 4, 17, tzinfo=UTC)),
        ("2026-08-23 10:04:17.000001+00", datetime(2026, 8, 23, 10, 4, 17, 1, tzinfo=UTC)),
        (
            "2026-08-23 12:04:17.5+02",
            datetime(2026, 8, 23, 12, 4, 17, 500000, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("infinity", datetime.max.replace(tzinfo=UTC)),
        ("-infinity", datetime.min.replace(tzinfo=UTC)),
    ],
)
def test_timestamps_in_postgres_text_form(text, expected):
    parsed = _timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_anything_else_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        _timestamp("23-08-2026")


MOMENTS = [
    datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
    datetime(2026, 11, 28, 9, 30, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 28, 9, 30, 5, 510920, tzinfo=UTC),
    datetime(2026, 11, 28, 9, 30, 5, 999999, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 100000, tzinfo=UTC),
    # Another offset comes back as the same moment in UTC.
    datetime(2026, 3, 29, 2, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2))),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.isoformat())
async def test_fast_and_sqlalchemy_reads_agree(app, moment):
    statement = select(bindparam("moment", type_=UTCDateTime()).label("moment"))
    fast = await reader.rows(None, ("test-moment",), statement, {"moment": moment})
    async with database.engine.connect() as conn:
        plain = await reader.rows(conn, ("test-moment",), statement, {"moment": moment})
    assert fast[0][0] == plain[0][0] == moment
    assert fast[0][0].utcoffset() == plain[0][0].utcoffset()
    # What reaches the client is byte for byte the same.
    assert dumps({"at": fast[0][0]}) == dumps({"at": plain[0][0]})
