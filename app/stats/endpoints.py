"""HTTP route of /v1/stats/community."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.core.db import ReadDb
from app.core.http import json_response
from app.core.negotiation import NegotiatedRoute
from app.core.openapi import READ, responses
from app.core.permissions import CanReadCommunity
from app.core.schemas import Instant
from app.stats import service
from app.stats.schemas import CommunityStats

router = APIRouter(prefix="/v1/stats", tags=["stats"], route_class=NegotiatedRoute)


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
    as_of: Annotated[
        Instant | None,
        Query(alias="asOf", description="The moment to report on, with its UTC offset."),
    ] = None,
) -> Response:
    return json_response(await service.community_stats(conn, principal, as_of))
