"""HTTP routes of the personal-data export and erasure, under /v1/members/{memberId}."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.core.db import WriteDb
from app.core.http import IDEMPOTENT, IfMatch, json_response, written
from app.core.openapi import READ, WRITE, responses
from app.core.permissions import AdminOnly, Authenticated
from app.core.routes import ContractRoute
from app.privacy import service
from app.privacy.schemas import Erasure, PersonalData

MemberId = Annotated[uuid.UUID, Path(alias="memberId")]

router = APIRouter(prefix="/v1/members", tags=["members"], route_class=ContractRoute)


@router.get(
    "/{memberId}/personal-data",
    operation_id="members-personal-data-get",
    summary="Everything held about a member (the member themself or an admin)",
    response_model=PersonalData,
    responses=responses(200, "The member's personal data.", *READ, 404),
)
async def get_personal_data(
    principal: Authenticated, conn: WriteDb, member_id: MemberId
) -> Response:
    # A write connection: reading someone's whole file leaves an audit event.
    return json_response(await service.personal_data(conn, principal, member_id))


@router.post(
    "/{memberId}/_erase",
    operation_id="members-erase",
    summary="Erase a member's personal data behind a pseudonym (admin)",
    description=(
        "Replaces name, e-mail address and external id with a pseudonym, revokes the member's "
        "keys and scrubs sync records; contributions and the audit trail stay, attributable "
        "to the pseudonym only. Repeating it changes nothing."
    ),
    response_model=Erasure,
    responses=responses(200, "The member was erased.", *WRITE, 404, 412),
    dependencies=[IDEMPOTENT],
)
async def erase_member(
    request: Request, principal: AdminOnly, conn: WriteDb, member_id: MemberId, expected: IfMatch
) -> Response:
    result = await service.erase_member(conn, principal, member_id, expected)
    return await written(conn, request, result)
