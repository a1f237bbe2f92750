"""HTTP route of /v1/stats/community."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.core import moments
from app.core.db import ReadDb
from app.core.http import json_response
from app.core.moments import AsOf
from app.core.openapi import READ, responses
from app.core.permissions import CanReadCommunity
from app.core.routes import ContractRoute
from app.stats import service
from app.stats.schemas import CommunityStats

router = APIRouter(prefix="/v1/stats", tags=["stats"], route_class=ContractRoute)


@router.get(
    "/community",
    operation_id="stats-community-get",
    summary="Community statistics",
    description=(
        "The community at `asOf` (default: now): active participants and followers, and per "
        "month since the first member joined the community at the end of that month (joins "
        "minus deactivations); per department its participants, followers and declared "
        "transition roles, and the coverage (active departments with at least one active "
        "member); groups per theme and mode (merged groups left out); questions per status "
        "(at `asOf` from their status history); insights per adoption stage. Participation "
        "and adoption are their current values: they have no history. Computed by the "
        "database in a fixed number of queries. Everyone but sync keys may read it."
    ),
    response_model=CommunityStats,
    responses=responses(200, "The community's numbers.", *READ),
)
async def get_community_stats(
    principal: CanReadCommunity,
    conn: ReadDb,
    as_of: AsOf = None,
) -> Response:
    return json_response(await service.community_stats(conn, principal, moments.as_of(as_of)))
