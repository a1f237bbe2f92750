"""All SQL about members: Core selects that map rows straight into response items."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, String, bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.errors import NotFound
from app.core.fastread import reader
from app.core.models import new_id, table_of
from app.core.pagination import Sorting
from app.core.repository import update_versioned
from app.departments.models import Department
from app.members.models import Member
from app.members.rules import email_key, family_name_key, name_key, search_pattern
from app.members.schemas import MemberRead
from app.organisations.models import Organisation

table = table_of(Member)
c = table.c
d = table_of(Department).c
o = table_of(Organisation).c

COLUMNS = (
    c.id,
    c.external_id,
    c.email,
    c.given_name,
    c.family_name,
    c.display_name,
    c.department_id,
    c.organisation_id,
    c.participation,
    c.status,
    c.transition_roles,
    c.discipline,
    c.source,
    c.joined_at,
    c.deactivated_at,
    c.erased_at,
    c.version,
    c.created_at,
    c.updated_at,
    d.code.label("department_code"),
    d.name.label("department_name"),
    o.name.label("organisation_name"),
)

# Names sort by their keys (app/members/rules.py): case and diacritics folded, a family name
# without its tussenvoegsels. Each name sort has its index (app/members/models.py).
SORTING = Sorting(
    {
        "familyName": c.family_name_key,
        "givenName": c.given_name_key,
        "displayName": c.display_name_key,
        "joinedAt": c.joined_at,
        "createdAt": c.created_at,
    },
    id_column=c.id,
    default="familyName",
    folds={"familyName": family_name_key, "givenName": name_key, "displayName": name_key},
)


# Built once: a Select is immutable (`.where()` copies it), and building this one costs more
# than running it. Statements reused as the same object also keep their SQL cache key.
_BASE: Select[Any] = select(*COLUMNS).select_from(
    table.outerjoin(table_of(Department), d.id == c.department_id).outerjoin(
        table_of(Organisation), o.id == c.organisation_id
    )
)
_BY_ID: Select[Any] = _BASE.where(c.id == bindparam("member_id"))


def base_query() -> Select[Any]:
    return _BASE


def to_item(row: Sequence[Any]) -> MemberRead:
    # Unpacked in the order of COLUMNS: on a list page this runs for every row, and reading
    # every attribute of a Row by name costs a hundred times more than one unpacking.
    (
        member_id,
        external_id,
        email,
        given_name,
        family_name,
        display_name,
        department_id,
        organisation_id,
        participation,
        status,
        transition_roles,
        discipline,
        source,
        joined_at,
        deactivated_at,
        erased_at,
        version,
        created_at,
        updated_at,
        department_code,
        department_name,
        organisation_name,
    ) = cast("tuple[Any, ...]", row)
    return {
        "id": member_id,
        "externalId": external_id,
        "email": email,
        "givenName": given_name,
        "familyName": family_name,
        "displayName": display_name,
        "departmentId": department_id,
        "department": (
            {"id": department_id, "code": department_code, "name": department_name}
            if department_id is not None
            else None
        ),
        "organisationId": organisation_id,
        "organisation": (
            {"id": organisation_id, "name": organisation_name}
            if organisation_id is not None
            else None
        ),
        "participation": participation,
        "status": status,
        "transitionRoles": transition_roles,
        "discipline": discipline,
        "source": source,
        "joinedAt": joined_at,
        "deactivatedAt": deactivated_at,
        "erasedAt": erased_at,
        "version": version,
        "createdAt": created_at,
        "updatedAt": updated_at,
    }


_FILTERS: dict[str, Any] = {
    "department_id": c.department_id,
    "organisation_id": c.organisation_id,
    "participation": c.participation,
    "status": c.status,
    "source": c.source,
    "external_id": c.external_id,
    "email": c.email_key,
}


def list_query(
    *,
    department_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    participation: str | None = None,
    status: str | None = None,
    source: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
    q: str | None = None,
) -> tuple[Select[Any], dict[str, Any]]:
    """The filtered select with named parameters, and their values. Its shape depends only on
    which filters are given, so the fast reader compiles each shape once."""
    values: dict[str, Any] = {
        "department_id": department_id,
        "organisation_id": organisation_id,
        "participation": participation,
        "status": status,
        "source": source,
        "external_id": external_id,
        "email": email_key(email) if email is not None else None,
    }
    params = {name: value for name, value in values.items() if value is not None}
    query = _filtered(tuple(params), bool(q))
    if q:
        params["q"] = search_pattern(q)
    return query, params


@functools.lru_cache(maxsize=256)
def _filtered(names: tuple[str, ...], search: bool) -> Select[Any]:
    """The list statement filtered on `names` (and `q`), built once per combination."""
    query = base_query()
    for name in names:
        query = query.where(_FILTERS[name] == bindparam(name, type_=_FILTERS[name].type))
    if search:
        # Names and address folded as the term is (members.rules.search_key).
        query = query.where(c.search_key.like(bindparam("q", type_=String()), escape="\\"))
    return query


async def get(conn: AsyncConnection, member_id: uuid.UUID) -> MemberRead:
    """The member, read in the caller's transaction."""
    return _found((await conn.execute(_BY_ID, {"member_id": member_id})).all())


async def read(member_id: uuid.UUID) -> MemberRead:
    """The member, read on the hot path (outside any transaction; app/core/fastread.py)."""
    return _found(await reader.fetch(_BY_ID, {"member_id": member_id}))


def _found(rows: Sequence[Any]) -> MemberRead:
    if not rows:
        raise NotFound("No member has that id.")
    return to_item(rows[0])


async def holders(
    conn: AsyncConnection, *, email: str | None, external_id: str | None
) -> list[Any]:
    """Members that already hold this e-mail address or external id."""
    conditions = []
    if email is not None:
        conditions.append(c.email_key == email_key(email))
    if external_id is not None:
        conditions.append(c.external_id == external_id)
    if not conditions:
        return []
    rows = await conn.execute(select(c.id, c.email_key, c.external_id).where(or_(*conditions)))
    return list(rows.all())


async def create(
    conn: AsyncConnection, values: dict[str, Any], member_id: uuid.UUID | None = None
) -> uuid.UUID:
    """`member_id`: SCIM derives some values from the id before it writes the row."""
    member_id = member_id or new_id()
    await conn.execute(insert(table).values(id=member_id, version=1, **values))
    return member_id


async def update(
    conn: AsyncConnection, member_id: uuid.UUID, version: int, values: dict[str, Any]
) -> None:
    """`values` by column; a change of a name or the address comes with its keys
    (members.rules.with_keys)."""
    await update_versioned(conn, table, member_id, version, values)


async def count(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
