"""HTTP routes of /v1/member-syncs."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from app.core.context import require_caller
from app.core.db import ReadDb, WriteDb, read_connection
from app.core.errors import InvalidInput, InvalidParam
from app.core.http import IDEMPOTENT, json_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.pagination import PageRequest
from app.core.permissions import CanSync, ensure_role
from app.core.problems import validation_params
from app.core.routes import ContractRoute
from app.sync import service
from app.sync.models import SyncMode, SyncStatus
from app.sync.schemas import MAX_MEMBERS, MemberSyncCreate, MemberSyncPage, MemberSyncRead

SyncId = Annotated[uuid.UUID, Path(alias="syncId")]


class _CyclicGcPause:
    """A 20,000-member sync allocates some half a million short-lived objects (parsed JSON,
    models, change entries). Reference counting frees them; CPython's cycle collector would
    meanwhile make full passes over every live object, a third of the sync's time. It is
    paused while any sync request runs and resumed after the last one (nothing here creates
    cycles that need collecting sooner); it is left alone if someone else had switched it off."""

    def __init__(self) -> None:
        self.running = 0
        self.paused = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        self.running += 1
        if self.running == 1 and gc.isenabled():
            gc.disable()
            self.paused = True
        try:
            yield
        finally:
            self.running -= 1
            if self.running == 0 and self.paused:
                self.paused = False
                gc.enable()


cyclic_gc_paused = _CyclicGcPause()


async def _with_complete_problems(
    handler: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
) -> Response:
    try:
        return await handler(request)
    except RequestValidationError as exc:
        # FastAPI validates the body before any dependency runs: the caller must be allowed
        # to sync before the database is asked anything about the payload.
        principal = require_caller(request.scope)
        ensure_role(principal, service.SYNC_ROLES, "run member syncs")
        params = validation_params(exc)
        async with asynccontextmanager(read_connection)() as conn:
            params.extend(await service.raw_payload_problems(conn, exc.body))
        raise InvalidInput(_unique(params)) from None


class CompleteProblemsRoute(ContractRoute):
    """When a sync body fails schema validation, the 400 also names what the service would
    have refused (unknown or out-of-scope codes, duplicates, addresses held by others), so a
    script learns about every bad entry from one answer. The whole request, body parsing
    included, runs with the cycle collector paused."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not self.methods or "POST" not in self.methods:
            return handler

        async def complete(request: Request) -> Response:
            with cyclic_gc_paused():
                return await _with_complete_problems(handler, request)

        return complete


def _unique(params: list[InvalidParam]) -> list[InvalidParam]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for param in params:
        key = (param["name"], param["code"])
        if key not in seen:
            seen.add(key)
            kept.append(param)
    return kept


router = APIRouter(
    prefix="/v1/member-syncs", tags=["member-syncs"], route_class=CompleteProblemsRoute
)


@router.post(
    "",
    operation_id="member-syncs-create",
    summary="Sync the members of a scope of departments",
    description=(
        "The body is the desired state of `scope.departmentCodes`: its departments (upserted "
        "by code) and every member who belongs there (matched by `externalId`). The run is "
        "atomic: any invalid entry is a 400 that lists every bad entry, and nothing is "
        "written. Running the same payload again writes no member rows. `strict` mode also "
        "deactivates the scope's active members who are absent (nobody is ever deleted); a "
        "strict run that would deactivate more than 25 % of the scope's active members is a "
        "409 unless `allowMassDeactivation` is true. A dry run answers the same and writes "
        "only the run record. Members a sync manages get `source: sync`; their synced fields "
        "(externalId, email, givenName, familyName, department) are then read-only through "
        f"PATCH /members. Up to {MAX_MEMBERS} members per run (the body limit is larger than "
        "for other requests; beyond it, 413)."
    ),
    status_code=201,
    response_model=MemberSyncRead,
    responses=responses(201, "The sync run and what it changed.", *WRITE, headers=("Location",)),
    dependencies=[IDEMPOTENT],
)
async def create_member_sync(
    request: Request, principal: CanSync, conn: WriteDb, data: MemberSyncCreate
) -> Response:
    item = await service.run_sync(conn, principal, data)
    location = str(request.url_for("member-syncs-get", syncId=item["id"]))
    return await written(conn, request, item, status=201, headers={"Location": location})


@router.get(
    "",
    operation_id="member-syncs-list",
    summary="List sync runs",
    description="Newest first by default; items carry the counts, not the change lists. "
    + service.SORTING.description,
    response_model=MemberSyncPage,
    responses=responses(200, "One page of sync runs.", *READ, headers=("Link",)),
)
async def list_member_syncs(
    request: Request,
    _: CanSync,
    conn: ReadDb,
    page: Annotated[PageRequest, Depends(service.SORTING.params)],
    mode: Annotated[SyncMode | None, Query()] = None,
    status: Annotated[SyncStatus | None, Query()] = None,
) -> Response:
    return await service.list_sync_runs(conn, request, page, mode=mode, status=status)


@router.get(
    "/{syncId}",
    operation_id="member-syncs-get",
    name="member-syncs-get",
    summary="Get a sync run with its changes",
    response_model=MemberSyncRead,
    responses=responses(200, "The sync run.", *READ, 404),
)
async def get_member_sync(_: CanSync, conn: ReadDb, sync_id: SyncId) -> Response:
    return json_response(await service.get_sync_run(conn, sync_id))
