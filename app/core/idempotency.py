"""Idempotency-Key on POST (IETF httpapi-idempotency-key draft), recorded in the database so
that it holds across workers and machines."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import Integer, LargeBinary, String, Uuid, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import UniqueConstraint

from app.core.db import database
from app.core.models import Base, UTCDateTime, utcnow

SCOPE_KEY = "leergemeenschap.idempotency"
RETENTION = timedelta(hours=24)
PURGE_ONE_IN = 200


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Keys are scoped to the credential that sent them: sha256 of the Authorization header.
    owner: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_headers: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_records_owner_key"),)


def fingerprint(
    method: str, path: str, query: bytes, body: bytes, if_match: bytes | None = None
) -> str:
    """What makes two requests the same one. A condition (`If-Match`) belongs to the request:
    a retry sends it again, and the same key with another condition is another request."""
    digest = hashlib.sha256()
    condition = b"" if if_match is None else b"if-match:" + if_match
    for part in (method.encode(), path.encode(), query, body, condition):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def owner_of(authorization: bytes | None) -> str:
    return hashlib.sha256(authorization or b"").hexdigest()


class Claim:
    """The outcome of claiming a key: proceed (new or taken over), replay, busy or mismatch."""

    def __init__(self, outcome: str, record_id: uuid.UUID | None = None, **stored: Any) -> None:
        self.outcome = outcome
        self.record_id = record_id
        self.stored = stored


async def claim(owner: str, key: str, fp: str, lock_seconds: int) -> Claim:
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        # Now and then a claim also clears records past their retention, so the table stays
        # bounded without a scheduler; any worker may do it, and doing it twice is harmless.
        await purge_expired()
    now = utcnow()
    record_id = uuid.uuid4()
    values = {
        "id": record_id,
        "owner": owner,
        "key": key,
        "fingerprint": fp,
        "state": "in_flight",
        "created_at": now,
        "locked_until": now + timedelta(seconds=lock_seconds),
    }
    try:
        async with database.engine.begin() as conn:
            await conn.execute(insert(IdempotencyRecord), values)
        return Claim("proceed", record_id)
    except IntegrityError:
        pass
    async with database.engine.begin() as conn:
        row = (
            await conn.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
                )
            )
        ).first()
        if row is None:  # released between our insert and this read: the caller may retry
            return Claim("busy")
        if row.fingerprint != fp:
            return Claim("mismatch")
        if row.state == "completed":
            return Claim(
                "replay",
                row.id,
                status=row.status_code,
                headers=orjson.loads(row.response_headers or b"{}"),
                body=row.response_body or b"",
            )
        if row.locked_until > now:
            return Claim("busy")
        # The first attempt died without finishing (its worker was killed): take it over.
        taken = await conn.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == row.id,
                IdempotencyRecord.locked_until == row.locked_until,
                IdempotencyRecord.state == "in_flight",
            )
            .values(locked_until=now + timedelta(seconds=lock_seconds))
        )
        if taken.rowcount == 1:
            return Claim("proceed", row.id)
        return Claim("busy")


async def complete_in_transaction(
    conn: AsyncConnection, request: Request, status: int, headers: dict[str, str], body: bytes
) -> None:
    pending = request.scope.get(SCOPE_KEY)
    if not pending or pending.get("completed"):
        return
    await conn.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == pending["id"])
        .values(
            state="completed",
            status_code=status,
            response_headers=orjson.dumps(headers),
            response_body=body,
        )
    )
    pending["completed"] = True


async def finish(record_id: uuid.UUID, status: int, headers: dict[str, str], body: bytes) -> None:
    """Settle a claim the endpoint did not complete itself: keep successes, release failures
    (a failed attempt had no effect, so the client may fix the request and retry)."""
    async with database.engine.begin() as conn:
        if 200 <= status < 300:
            await conn.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record_id)
                .values(
                    state="completed",
                    status_code=status,
                    response_headers=orjson.dumps(headers),
                    response_body=body,
                )
            )
        else:
            await conn.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


async def purge_expired() -> int:
    async with database.engine.begin() as conn:
        result = await conn.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - RETENTION)
        )
        return int(result.rowcount or 0)
