"""Which audit events are changes of a resource, for the change feed (/v1/changes).

Every write already records an audit event in its own transaction (app/audit/trail.py). The
events of the resources registered here are also the change feed's items: the trail marks them
with the kind of change and the resource's version after it, in the same INSERT. The feed,
and what reads it later (webhooks, live updates), read that one record.

A domain registers its resource once, beside the name its service files events under:

    OBJECT = feed.resource("member", Member.__table__, path="/members/{id}", readers=DIRECTORY)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from sqlalchemy import ColumnElement, Table, select

from app.core.enums import DescribedValues
from app.core.permissions import Role

# Who may read a kind of resource: everyone who reads the community, or also the identity
# systems' sync keys (the directory: members, departments, organisations).
COMMUNITY = frozenset({Role.ADMIN, Role.FACILITATOR, Role.MEMBER, Role.READER})
DIRECTORY = COMMUNITY | {Role.SYNC}

# The kinds of change the feed carries, and what each means.
_MEANINGS = {
    "created": "Aangemaakt: the resource is new.",
    "updated": "Gewijzigd: one or more of its properties changed (a status step among them).",
    "deactivated": "Gedeactiveerd: a member left the community; the record stays.",
    "reactivated": "Gereactiveerd: a deactivated member is back (by the intranet sync).",
    "erased": "Gewist: a member's personal data was erased; the record shows a pseudonym.",
    "deleted": "Verwijderd: the resource is gone (an agenda draft), or its author withdrew it "
    "(a comment, which keeps its place in its thread without its text).",
    "archived": "Gearchiveerd: a department is no longer in use.",
    "published": "Gepubliceerd: an agenda revision came into force.",
    "merged": "Samengevoegd: a learning question was merged into another.",
    "ended": "Beëindigd: a group membership ended (the member left the group).",
    "attendee-added": "Aangemeld: a member was added to a workshop's attendees.",
    "attendee-removed": "Afgemeld: a member was removed from a workshop's attendees.",
    "items-updated": "Agendapunten gewijzigd: a draft agenda revision's items changed.",
    "supported": 'Gesteund: a member supports a learning question ("ik wil dit ook leren"); '
    "its `supportCount` rose by one (its `version` stays).",
    "support-withdrawn": "Steun ingetrokken: a member withdrew their support of a learning "
    "question; its `supportCount` fell by one (its `version` stays).",
    "disabled": "Uitgeschakeld: the API switched a webhook subscription off (its deliveries "
    "kept failing).",
    "hidden": "Verborgen: a moderator hid a comment (its text is shown to moderators only).",
    "unhidden": "Weer zichtbaar: a moderator showed a hidden comment again.",
}
ChangeKind = Annotated[
    Literal[
        "created",
        "updated",
        "deactivated",
        "reactivated",
        "erased",
        "deleted",
        "archived",
        "published",
        "merged",
        "ended",
        "attendee-added",
        "attendee-removed",
        "items-updated",
        "supported",
        "support-withdrawn",
        "disabled",
        "hidden",
        "unhidden",
    ],
    DescribedValues("The kind of change.", _MEANINGS),
]

# The kind of change an action makes, from its last word ("members-deactivate": deactivated).
_VERBS: dict[str, ChangeKind] = {
    "create": "created",
    "update": "updated",
    "replace": "updated",
    "patch": "updated",
    "deactivate": "deactivated",
    "erase": "erased",
    "delete": "deleted",
    "archive": "archived",
    "publish": "published",
    "merge": "merged",
    "end": "ended",
    "disable": "disabled",
    "hide": "hidden",
    "unhide": "unhidden",
}
# Actions whose last word does not say it alone.
_ACTIONS: dict[str, ChangeKind] = {
    "workshop-attendees-create": "attendee-added",
    "workshop-attendees-delete": "attendee-removed",
    "workshop-attendees-sign-up": "attendee-added",
    "workshop-attendees-withdraw": "attendee-removed",
    "agenda-revisions-items-update": "items-updated",
    "learning-question-supporters-me-put": "supported",
    "learning-question-supporters-me-delete": "support-withdrawn",
    "webhook-subscriptions-rotate-secret": "updated",
    # SCIM's DELETE deprovisions: the member stays, deactivated; the department, archived.
    "scim-users-delete": "deactivated",
    "scim-groups-delete": "archived",
}


@dataclass(frozen=True)
class Resource:
    name: str
    table: Table
    key: str
    path: str
    readers: frozenset[str]

    def version_of(self, object_id: Any) -> ColumnElement[Any] | None:
        """The resource's version as the writing transaction sees it (a scalar subquery, part
        of the event's INSERT), or None for a resource without one."""
        if "version" not in self.table.c:
            return None
        column = self.table.c[self.key]
        return select(self.table.c.version).where(column == object_id).scalar_subquery()

    def href(self, object_id: str, detail: dict[str, Any] | None) -> str:
        """The resource's URL below the base path; `detail` supplies a parent's id."""
        return self.path.format(id=object_id, **(detail or {}))


RESOURCES: dict[str, Resource] = {}


def resource(name: str, table: Table, *, path: str, readers: Iterable[str], key: str = "id") -> str:
    """Register a kind of resource for the change feed; its name, for the service's events."""
    RESOURCES[name] = Resource(name, table, key, path, frozenset(readers))
    return name


def change_of(action: str, object_type: str | None) -> ChangeKind | None:
    """The kind of change an event is, or None when it is not one the feed carries."""
    if object_type not in RESOURCES:
        return None
    return _ACTIONS.get(action) or _VERBS.get(action.rsplit("-", 1)[-1])


def readable_types(role: str) -> list[str]:
    """The kinds of resource whose changes a role may read."""
    return sorted(name for name, found in RESOURCES.items() if role in found.readers)
