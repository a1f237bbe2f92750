"""All SQL of the change feed: one page of changes after a position, in feed order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, String, Text, any_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from app.audit.models import AuditEvent
from app.core.fastread import reader
from app.core.models import table_of

table = table_of(AuditEvent)
c = table.c

# The oldest transaction still running, as a number: every transaction below it has ended,
# so the changes it wrote are all visible now or never will be.
_OLDEST_RUNNING = func.pg_snapshot_xmin(func.pg_current_snapshot()).cast(Text).cast(BigInteger)


def _page_statement(postgres: bool) -> Select[Any]:
    # The resource types: an array on Postgres (one statement whatever the types), an
    # expanded IN list on SQLite.
    types = (
        c.object_type == any_(bindparam("types", type_=ARRAY(String)))
        if postgres
        else c.object_type.in_(bindparam("types", expanding=True))
    )
    query = (
        select(
            c.id,
            c.txid,
            c.occurred_at,
            c.actor_role,
            c.actor_member_id,
            c.object_type,
            c.object_id,
            c.change,
            c.object_version,
            c.detail,
        )
        .where(
            c.change.is_not(None),
            types,
            tuple_(c.txid, c.id) > tuple_(bindparam("after_txid"), bindparam("after_id")),
            c.occurred_at >= bindparam("kept_since"),
        )
        .order_by(c.txid, c.id)
        .limit(bindparam("page_limit"))
    )
    if postgres:
        # Gap-free: a change shows only once every transaction that began before it ended,
        # so one that commits later can never land behind a position already handed out.
        # (SQLite has one writer at a time: its ids are already in commit order.)
        query = query.where(c.txid < _OLDEST_RUNNING)
    return query


_PAGE = {postgres: _page_statement(postgres) for postgres in (False, True)}


async def page(
    *,
    postgres: bool,
    types: tuple[str, ...],
    after: tuple[int, int],
    kept_since: datetime,
    limit: int,
) -> Sequence[Any]:
    """Up to `limit` changes of these resource types after the position `after`
    (transaction id, event id), none older than `kept_since`: one statement."""
    return await reader.fetch(
        _PAGE[postgres],
        {
            "types": list(types),
            "after_txid": after[0],
            "after_id": after[1],
            "kept_since": kept_since,
            "page_limit": limit,
        },
    )
