"""Who may do what: the roles of the API, the role each route declares it needs, and the
checks services make (the route's role is the first gate; these hold even when a service is
called from elsewhere).

A route's role check reads the outcome the edge established (app/core/context.py): it never
looks credentials up itself, so a request is authenticated exactly once."""

from __future__ import annotations

import enum
import uuid
from typing import Annotated, Any

from fastapi import Depends, Request

from app.core.context import Principal, require_caller
from app.core.enums import described
from app.core.errors import Forbidden, NotFound


@described(
    "What a key or token may do (see the README's role matrix).",
    {
        "admin": "Beheerder: everything.",
        "facilitator": "Begeleider: reads the community; manages the learning groups they facilitate.",
        "member": "Deelnemer: reads the community; edits their own profile, joins groups, proposes questions and insights.",
        "reader": "Lezer: reads the community (scripts, dashboards).",
        "sync": "Koppeling: the intranet sync and SCIM provisioning of members and departments.",
    },
)
class Role(enum.StrEnum):
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    MEMBER = "member"
    READER = "reader"
    SYNC = "sync"


class RoleCheck:
    """A route's declared need: a caller with one of these roles."""

    def __init__(self, *roles: Role) -> None:
        self.allowed = frozenset(r.value for r in roles)
        self.names = ", ".join(sorted(self.allowed))
        self.__name__ = "require_" + "_or_".join(sorted(self.allowed))

    async def __call__(self, request: Request) -> Principal:
        found = require_caller(request.scope)
        if found.role not in self.allowed:
            raise Forbidden(f"The role '{found.role}' may not do this; it needs: {self.names}.")
        return found


def requires_caller(route: Any) -> bool:
    """Whether a route declares a role: among its parameters or dependencies, or theirs (a
    dependency that takes the caller, such as /me's "bound to a member")."""
    dependant = getattr(route, "dependant", None)
    return dependant is not None and _declares_role(dependant)


def _declares_role(dependant: Any) -> bool:
    return any(isinstance(d.call, RoleCheck) or _declares_role(d) for d in dependant.dependencies)


# Capabilities, named for what they allow; each endpoint's signature shows who may call it.
Authenticated = Annotated[Principal, Depends(RoleCheck(*Role))]
AdminOnly = Annotated[Principal, Depends(RoleCheck(Role.ADMIN))]
CanReadDirectory = Annotated[
    Principal,
    Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR, Role.MEMBER, Role.READER, Role.SYNC)),
]
CanReadCommunity = Annotated[
    Principal, Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR, Role.MEMBER, Role.READER))
]
CanEditMembers = Annotated[Principal, Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR, Role.MEMBER))]
# Intranet sync and SCIM provisioning: the identity systems' keys, and admins.
CanSync = Annotated[Principal, Depends(RoleCheck(Role.ADMIN, Role.SYNC))]
# Proposing and editing community content (questions, insights); services narrow it further.
CanContribute = Annotated[Principal, Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR, Role.MEMBER))]
# Groups: admins manage every group; a facilitator only the groups they facilitate (the
# service checks which). Joining and leaving: members too, for themself (the service checks).
CanManageGroups = Annotated[Principal, Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR))]
CanJoinGroups = Annotated[Principal, Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR, Role.MEMBER))]
# Moderating the discussion: hiding a comment (and showing it again), reading hidden text.
CanModerate = Annotated[Principal, Depends(RoleCheck(Role.ADMIN, Role.FACILITATOR))]


def ensure_admin(principal: Principal, action: str) -> None:
    if not principal.is_admin:
        raise Forbidden(f"Only an admin may {action}.")


def ensure_role(principal: Principal, roles: frozenset[str], action: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"The role '{principal.role}' may not {action}.")


def own_member(principal: Principal) -> uuid.UUID:
    """The member the caller acts for, for the routes about oneself (/v1/me and below); a
    credential bound to none has no "me": a 404 that says so."""
    if principal.member_id is None:
        raise NotFound(
            "This credential acts for no member, so it has no 'me': an API key acts for the "
            "member it was issued for (memberId), an OIDC token for the member whose "
            "externalId its member claim names.",
            extra={"role": principal.role},
        )
    return principal.member_id
