"""The reference of `make bench`: the member list and the member get as a typical team writes them.

Same URLs, parameters and JSON as the API's `GET /v1/members` and `GET /v1/members/{memberId}`,
on the same database, written the way the FastAPI and SQLAlchemy tutorials teach: mapped
classes with relationships, an `AsyncSession` per request (a dependency), `joinedload` of the
department and the organisation (many-to-one: one LEFT OUTER JOIN each; `selectinload`, a
second query per relationship, was no cheaper for a page of 50 when tried),
Pydantic response models read from the
ORM objects (`from_attributes=True`) and declared as the route's `response_model`, FastAPI's
default JSON response. Authentication is a dependency with the same cost as the API's: the
key's SHA-256, a per-process cache of a few seconds, and an ORM lookup of the key on a miss.

What it does not do, and the API does: the edge middlewares (request id, contract and security
headers, CORS, input checks) and the problem+json errors. Those are extra work the API pays on
every request, so they count in the reference's favour.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, joinedload, relationship

from app.auth.models import ApiKey
from app.core.models import table_of
from app.core.permissions import Role
from app.departments.models import Department
from app.members.models import Member, MemberSource, MemberStatus, Participation
from app.organisations.models import Organisation
from benchmarks import bare

LIST_PATH = "/v1/members"
GET_PATH = "/v1/members/{memberId}"
READY_PATH = "/ready"
KEY_CACHE_SECONDS = 5.0  # the API's default API_KEY_CACHE_SECONDS
READERS = frozenset({Role.ADMIN, Role.FACILITATOR, Role.MEMBER, Role.READER, Role.SYNC})


# --------------------------------------------------------------------------- models
# The app's own tables (so the same column types come back), mapped by a registry of this
# module's, with the relationships a typical models.py declares.


class Base(DeclarativeBase):
    pass


class DepartmentRow(Base):
    __table__ = table_of(Department)

    id: Mapped[uuid.UUID]
    code: Mapped[str]
    name: Mapped[str]


class OrganisationRow(Base):
    __table__ = table_of(Organisation)

    id: Mapped[uuid.UUID]
    name: Mapped[str]


class MemberRow(Base):
    __table__ = table_of(Member)

    id: Mapped[uuid.UUID]
    external_id: Mapped[str | None]
    email: Mapped[str]
    given_name: Mapped[str]
    family_name: Mapped[str]
    family_name_key: Mapped[str]
    display_name: Mapped[str]
    department_id: Mapped[uuid.UUID | None]
    organisation_id: Mapped[uuid.UUID | None]
    participation: Mapped[Participation]
    status: Mapped[MemberStatus]
    transition_roles: Mapped[list[str]]
    discipline: Mapped[str | None]
    source: Mapped[MemberSource]
    joined_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # lazy="raise": a forgotten eager load fails loudly instead of querying per row.
    department: Mapped[DepartmentRow | None] = relationship(lazy="raise")
    organisation: Mapped[OrganisationRow | None] = relationship(lazy="raise")


class KeyRow(Base):
    __table__ = table_of(ApiKey)

    id: Mapped[uuid.UUID]
    role: Mapped[Role]
    name: Mapped[str]
    key_hash: Mapped[str]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# --------------------------------------------------------------------------- schemas


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, alias_generator=to_camel, populate_by_name=True)


class DepartmentOut(Schema):
    id: uuid.UUID
    code: str
    name: str


class OrganisationOut(Schema):
    id: uuid.UUID
    name: str


class MemberOut(Schema):
    id: uuid.UUID
    external_id: str | None
    email: str
    given_name: str
    family_name: str
    display_name: str
    department_id: uuid.UUID | None
    department: DepartmentOut | None
    organisation_id: uuid.UUID | None
    organisation: OrganisationOut | None
    participation: Participation
    status: MemberStatus
    transition_roles: list[str]
    discipline: str | None
    source: MemberSource
    joined_at: datetime
    deactivated_at: datetime | None
    erased_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class MemberPageOut(Schema):
    items: list[MemberOut]
    next: str | None


# --------------------------------------------------------------------------- database


def _database_url() -> str:
    # Set by benchmarks/run.py; the default only lets the module be imported for its paths.
    return os.environ.get(
        "IDIOMATIC_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/postgres"
    )


# One fixed pool of 10 connections per worker, as the ceiling's: with SQLAlchemy's default of
# 5 + 10 overflow, connections are closed and reopened under this load, which would measure
# the pool rather than the code. (The API's 20 would take the three servers of one run past
# Postgres's default max_connections of 100; a worker that spends milliseconds of CPU per
# request has no use for more than 10.)
engine = create_async_engine(_database_url(), pool_size=10, max_overflow=0)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


# --------------------------------------------------------------------------- auth


@dataclass(frozen=True)
class Caller:
    key_id: uuid.UUID
    role: Role


_keys: dict[str, tuple[float, Caller | None]] = {}
bearer = HTTPBearer()


async def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)], session: Session
) -> Caller:
    digest = hashlib.sha256(credentials.credentials.encode()).hexdigest()
    cached = _keys.get(digest)
    if cached is not None and time.monotonic() - cached[0] <= KEY_CACHE_SECONDS:
        caller = cached[1]
    else:
        key = await session.scalar(select(KeyRow).where(KeyRow.key_hash == digest))
        usable = (
            key is not None
            and key.revoked_at is None
            and (key.expires_at is None or key.expires_at > datetime.now(UTC))
        )
        caller = Caller(key.id, key.role) if key is not None and usable else None
        _keys[digest] = (time.monotonic(), caller)
    if caller is None:
        raise HTTPException(401, "The API key is unknown, revoked or expired.")
    if caller.role not in READERS:
        raise HTTPException(403, "This key may not read the directory.")
    return caller


Reader = Annotated[Caller, Depends(current_caller)]


# --------------------------------------------------------------------------- routes


def encode_cursor(family_name_key: str, member_id: uuid.UUID) -> str:
    raw = orjson.dumps([family_name_key, str(member_id)])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        key, member_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(key), uuid.UUID(str(member_id))
    except (ValueError, TypeError) as exc:
        raise HTTPException(400, "Invalid cursor.") from exc


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await engine.dispose()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


@app.get(READY_PATH)
async def ready() -> dict[str, Any]:
    return {"status": "ok"}


@app.get(LIST_PATH, response_model=MemberPageOut)
async def list_members(
    request: Request,
    response: Response,
    session: Session,
    _: Reader,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Any:
    """Ordered by the family name's sort key, then the id (as the API's default sort), one
    page at a time by keyset: the rows after the cursor's position."""
    statement = (
        select(MemberRow)
        .options(joinedload(MemberRow.department), joinedload(MemberRow.organisation))
        .order_by(MemberRow.family_name_key, MemberRow.id)
        .limit(page_size + 1)
    )
    if cursor is not None:
        statement = statement.where(
            tuple_(MemberRow.family_name_key, MemberRow.id) > tuple_(*decode_cursor(cursor))
        )
    members = list((await session.scalars(statement)).all())
    next_url = None
    if len(members) > page_size:
        members = members[:page_size]
        last = members[-1]
        next_url = str(
            request.url.include_query_params(cursor=encode_cursor(last.family_name_key, last.id))
        )
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": members, "next": next_url}


@app.get(GET_PATH, response_model=MemberOut)
async def get_member(
    member_id: Annotated[uuid.UUID, Path(alias="memberId")],
    response: Response,
    session: Session,
    _: Reader,
) -> Any:
    member = await session.get(
        MemberRow,
        member_id,
        options=[joinedload(MemberRow.department), joinedload(MemberRow.organisation)],
    )
    if member is None:
        raise HTTPException(404, "No member has that id.")
    response.headers["ETag"] = f'"{member.version}"'
    return member


def main(argv: list[str] | None = None) -> None:
    bare.serve("benchmarks.idiomatic:app", 8003, __doc__, argv)


if __name__ == "__main__":
    main()
