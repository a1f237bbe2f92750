"""All SQL of member syncs. Bulk work is a constant number of statements whatever the number of
members: on Postgres each bulk write is one statement over arrays (`unnest`), on SQLite one
executemany (the driver loops in C, in the same process). Reads are one SELECT per table (on
SQLite chunked under its bound-parameter limit)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import Conflict, ServiceUnavailable
from app.core.models import table_of
from app.core.pagination import Sorting
from app.core.repository import copy_value, one_row
from app.departments.models import Department
from app.members.models import Member
from app.members.rules import KEY_FIELDS, SYNCED_FIELDS
from app.sync.models import MemberSync
from app.sync.schemas import MemberSyncRead, MemberSyncSummary

members = table_of(Member)
m = members.c
departments = table_of(Department)
d = departments.c
runs = table_of(MemberSync)
r = runs.c

# SQLite allows 32,766 bound parameters per statement; stay well below it.
_SQLITE_CHUNK = 5_000


@dataclass(slots=True)
class DepartmentRow:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None
    active: bool
    version: int


@dataclass(slots=True)
class MemberRow:
    """The columns a sync compares; nothing else of a member is read."""

    id: uuid.UUID
    external_id: str | None
    email: str
    email_key: str
    given_name: str
    family_name: str
    # Not synced, but part of the search key the sync writes when a name changes.
    display_name: str
    department_id: uuid.UUID | None
    status: str
    source: str
    version: int


@dataclass(slots=True)
class MemberWrite:
    """The whole synced state of one existing member, written if its version still holds."""

    id: uuid.UUID
    version: int
    external_id: str | None
    email: str
    email_key: str
    given_name: str
    family_name: str
    given_name_key: str
    family_name_key: str
    display_name_key: str
    search_key: str
    department_id: uuid.UUID | None
    status: str
    deactivated_at: datetime | None
    source: str


def _is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


async def all_departments(conn: AsyncConnection) -> list[DepartmentRow]:
    """Departments are a few hundred rows at most: one read serves codes, ids and parents."""
    rows = await conn.execute(
        select(d.id, d.code, d.name, d.kind, d.parent_id, d.active, d.version)
    )
    return [
        DepartmentRow(
            row.id, row.code, row.name, str(row.kind), row.parent_id, row.active, row.version
        )
        for row in rows
    ]


async def insert_departments(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]], now: datetime
) -> None:
    """`rows` come parents first, so every foreign key is satisfied as it is inserted."""
    if rows:
        await conn.execute(
            insert(departments),
            [{**row, "version": 1, "created_at": now, "updated_at": now} for row in rows],
        )


async def update_departments(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]], now: datetime
) -> int:
    if not rows:
        return 0
    statement = (
        update(departments)
        .where(d.id == bindparam("b_id"), d.version == bindparam("b_version"))
        .values(
            name=bindparam("b_name"),
            kind=bindparam("b_kind"),
            parent_id=bindparam("b_parent_id"),
            active=bindparam("b_active"),
            version=d.version + 1,
            updated_at=now,
        )
    )
    # A scope holds tens of departments, not thousands: one statement per changed department
    # keeps a dependable row count for the version check on every driver.
    changed = 0
    for row in rows:
        param = {f"b_{key}": value for key, value in row.items()}
        changed += (await conn.execute(statement, param)).rowcount
    return changed


def _member_columns() -> tuple[Any, ...]:
    # In MemberRow's field order. Status and source come as plain strings: 20,000 enum
    # conversions are measurable in a sync that only compares them.
    return (
        m.id,
        m.external_id,
        m.email,
        m.email_key,
        m.given_name,
        m.family_name,
        m.display_name,
        m.department_id,
        type_coerce(m.status, String),
        type_coerce(m.source, String),
        m.version,
    )


async def _member_rows(conn: AsyncConnection, query: Select[Any]) -> list[MemberRow]:
    # One fetch of the whole result: row-by-row iteration costs a driver call per row.
    return [MemberRow(*row) for row in (await conn.execute(query)).all()]


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def members_concerned(
    conn: AsyncConnection,
    department_ids: Sequence[uuid.UUID],
    external_ids: Sequence[str],
    email_keys: Sequence[str],
) -> list[MemberRow]:
    """Every member in the scope's departments, or holding one of these external ids or
    e-mail addresses: all a sync needs to compare, match and check uniqueness."""
    if _is_postgres(conn):
        from sqlalchemy.dialects.postgresql import ARRAY, UUID

        def any_of(column: Any, values: Sequence[Any], item_type: Any) -> ColumnElement[bool]:
            condition: ColumnElement[bool] = (
                column
                == cast(
                    bindparam(None, list(values), type_=ARRAY(item_type)), ARRAY(item_type)
                ).any_()
            )
            return condition

        query = select(*_member_columns()).where(
            or_(
                any_of(m.department_id, department_ids, UUID(as_uuid=True)),
                any_of(m.external_id, external_ids, String()),
                any_of(m.email_key, email_keys, String()),
            )
        )
        # The sync's statements are planned for their own arrays, for the rest of its
        # transaction. A generic plan (the session's setting, right for the fixed shapes of the
        # API's reads) cannot know how many ids an array holds: for a large sync into a table
        # whose members sit in a few departments, it scanned every member and searched the
        # arrays row by row (5.6 s for 5,000 keys, against 20 ms planned for them).
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        return await _member_rows(conn, query)

    found: dict[uuid.UUID, MemberRow] = {}
    queries: list[Select[Any]] = []
    for ids in _chunks(list(department_ids), _SQLITE_CHUNK):
        queries.append(select(*_member_columns()).where(m.department_id.in_(ids)))
    for keys in _chunks(list(external_ids), _SQLITE_CHUNK):
        queries.append(select(*_member_columns()).where(m.external_id.in_(keys)))
    for keys in _chunks(list(email_keys), _SQLITE_CHUNK):
        queries.append(select(*_member_columns()).where(m.email_key.in_(keys)))
    for query in queries:
        for row in await _member_rows(conn, query):
            found.setdefault(row.id, row)
    return list(found.values())


# The columns of each new member's own row, in COPY's column order.
_NEW_MEMBER_COLUMNS = (
    "id",
    "external_id",
    "email",
    "email_key",
    "given_name",
    "family_name",
    "display_name",
    "given_name_key",
    "family_name_key",
    "display_name_key",
    "search_key",
    "department_id",
    "participation",
)


async def insert_members(
    conn: AsyncConnection,
    rows: Sequence[dict[str, Any]],
    joining: Mapping[str, Any],
    now: datetime,
) -> None:
    """`rows` hold each new member's own columns (`_NEW_MEMBER_COLUMNS`), `joining` the columns
    every new member starts with (app/members/rules.py). On Postgres one COPY, in the
    request's transaction (the fastest bulk load there is, and one statement); on SQLite one
    executemany."""
    if not rows:
        return
    if _is_postgres(conn):
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        # Converted once: the same for every row.
        shared = (*(copy_value(value) for value in joining.values()), 1, now, now)
        columns = (*_NEW_MEMBER_COLUMNS, *joining, "version", "created_at", "updated_at")
        records = [
            (
                row["id"],
                row["external_id"],
                row["email"],
                row["email_key"],
                row["given_name"],
                row["family_name"],
                row["display_name"],
                row["given_name_key"],
                row["family_name_key"],
                row["display_name_key"],
                row["search_key"],
                row["department_id"],
                row["participation"],
                *shared,
            )
            for row in rows
        ]
        try:
            await driver.copy_records_to_table("members", records=records, columns=columns)
        except asyncpg.IntegrityConstraintViolationError:
            # The driver's own error, not SQLAlchemy's: say what it means here.
            raise Conflict(
                "Another sync or provisioning created some of these members meanwhile; "
                "nothing was written. Send the sync again."
            ) from None
        except (asyncpg.QueryCanceledError, asyncpg.ConnectionDoesNotExistError):
            raise ServiceUnavailable(
                "The database is busy or unreachable; retry shortly."
            ) from None
        return
    common = {**joining, "version": 1, "created_at": now, "updated_at": now}
    await conn.execute(insert(members), [{**row, **common} for row in rows])


async def park_email_keys(conn: AsyncConnection, member_ids: Sequence[uuid.UUID]) -> None:
    """Give these members a placeholder e-mail key, so that addresses can move between them
    (a swap) without tripping the unique index half-way through the bulk update."""
    for ids in _chunks(list(member_ids), 1_000):
        await conn.execute(
            update(members)
            .where(m.id.in_(ids))
            .values(email_key=literal("~moving~") + cast(m.id, String))
        )


# What a sync writes of a member: the fields a sync owns (app/members/rules.py), the keys of
# the address and the names, whether the member is active and since when, and that the sync
# manages them.
_WRITTEN = (*sorted(SYNCED_FIELDS), *sorted(KEY_FIELDS), "status", "deactivated_at", "source")
_written = attrgetter(*_WRITTEN)


def _pg_array(column: str) -> str:
    python_type = m[column].type.python_type
    if python_type is uuid.UUID:
        return "uuid[]"
    if python_type is datetime:
        return "timestamptz[]"
    return "varchar[]"


# Built once from _WRITTEN; the column names are constants, never input.
_PG_UPDATE = text(
    f"""
    UPDATE members AS m SET {", ".join(f"{name} = u.{name}" for name in _WRITTEN)},
        version = m.version + 1, updated_at = CAST(:now AS timestamptz)
    FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS integer[]),
        {", ".join(f"CAST(:{name} AS {_pg_array(name)})" for name in _WRITTEN)})
        AS u(id, version, {", ".join(_WRITTEN)})
    WHERE m.id = u.id AND m.version = u.version
    """  # noqa: S608
)


async def update_members(conn: AsyncConnection, rows: Sequence[MemberWrite], now: datetime) -> int:
    """Write each row only where the member is still at the version that was compared;
    answers how many rows were written."""
    if not rows:
        return 0
    if _is_postgres(conn):
        # One array per written column.
        columns = zip(*map(_written, rows), strict=True)
        result = await conn.execute(
            _PG_UPDATE,
            {
                "ids": [row.id for row in rows],
                "versions": [row.version for row in rows],
                **{name: list(values) for name, values in zip(_WRITTEN, columns, strict=True)},
                "now": now,
            },
        )
        return int(result.rowcount)
    keys = [f"b_{name}" for name in _WRITTEN]
    statement = (
        update(members)
        .where(m.id == bindparam("b_id"), m.version == bindparam("b_version"))
        .values(
            {
                **{name: bindparam(key) for name, key in zip(_WRITTEN, keys, strict=True)},
                "version": m.version + 1,
                "updated_at": now,
            }
        )
    )
    result = await conn.execute(
        statement,
        [
            {
                "b_id": row.id,
                "b_version": row.version,
                **dict(zip(keys, _written(row), strict=True)),
            }
            for row in rows
        ],
    )
    return int(result.rowcount)


# --- the run records -------------------------------------------------------------------

SUMMARY_COLUMNS = (
    r.id,
    r.created_at,
    r.actor_key_id,
    r.actor_name,
    r.actor_role,
    r.mode,
    r.dry_run,
    r.allow_mass_deactivation,
    r.status,
    r.scope_codes,
    r.received,
    r.created,
    r.updated,
    r.reactivated,
    r.deactivated,
    r.unchanged,
    r.departments_created,
    r.departments_updated,
    r.duration_ms,
)

SORTING = Sorting({"createdAt": r.created_at}, id_column=r.id, default="-createdAt")


def to_summary(row: Row[Any]) -> MemberSyncSummary:
    return {
        "id": row.id,
        "createdAt": row.created_at,
        "actor": {"keyId": row.actor_key_id, "name": row.actor_name, "role": row.actor_role},
        "mode": row.mode,
        "dryRun": row.dry_run,
        "allowMassDeactivation": row.allow_mass_deactivation,
        "status": row.status,
        "scope": {"departmentCodes": row.scope_codes},
        "counts": {
            "received": row.received,
            "created": row.created,
            "updated": row.updated,
            "reactivated": row.reactivated,
            "deactivated": row.deactivated,
            "unchanged": row.unchanged,
            "departmentsCreated": row.departments_created,
            "departmentsUpdated": row.departments_updated,
        },
        "durationMs": row.duration_ms,
    }


def to_item(row: Row[Any]) -> MemberSyncRead:
    return {
        **to_summary(row),
        "departmentChanges": row.department_changes,
        "changes": row.changes,
    }


def list_query(*, mode: str | None, status: str | None) -> Select[Any]:
    query = select(*SUMMARY_COLUMNS)
    if mode is not None:
        query = query.where(r.mode == mode)
    if status is not None:
        query = query.where(r.status == status)
    return query


async def get(conn: AsyncConnection, run_id: uuid.UUID) -> MemberSyncRead:
    query = select(*SUMMARY_COLUMNS, r.department_changes, r.changes).where(r.id == run_id)
    return to_item(await one_row(conn, query, "member sync"))


async def insert_run(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(runs).values(**values))
