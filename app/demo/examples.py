"""The OpenAPI document's examples, taken from the demo story: the names, titles and times of
the YAML files beside this module, and the ids the demo loader gives those records
(`demo_id`), so that an example names what `make run` has loaded and its ids fit together.

`examples()` maps a component schema's name to its one example: every request body, and the
main response shapes. `app/main.py` hands them to the document builder, which puts each on its
schema (`examples`), once; Swagger UI and ReDoc show it wherever the schema is used. The tests
validate every example against its Pydantic model or response shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from app.agenda.models import RevisionStatus
from app.cases.lifecycle import TRANSITIONS as CASE_TRANSITIONS
from app.cases.models import CaseStatus
from app.core.lifecycle import allowed_next
from app.core.pagination import encode_cursor
from app.demo.loader import (
    CaseRecord,
    DepartmentRecord,
    GroupRecord,
    InsightRecord,
    MemberRecord,
    OrganisationRecord,
    QuestionRecord,
    Story,
    ThemeRecord,
    WorkshopRecord,
    demo_id,
    load_story,
)
from app.insights.lifecycle import TRANSITIONS as INSIGHT_TRANSITIONS
from app.learning_groups.lifecycle import TRANSITIONS as GROUP_TRANSITIONS
from app.learning_groups.models import GroupStatus
from app.learning_questions.lifecycle import TRANSITIONS as QUESTION_TRANSITIONS
from app.learning_questions.models import QuestionStatus

# Where an example's `next` link points: the deployment the document names.
BASE_URL = "https://localhost:8000/v1"

# The records the examples show.
MEMBER = "jesse.vandijk@amsterdam.example"
FACILITATOR = "noor.verbeek@drift.example"
DEPARTMENT = "RD-CE"
ORGANISATION = "DRIFT"
THEME = "organisatie"
WORKSHOP = "werkplaats-1"
GROUP = "project-naar-praktijk"
CASE = "stadsdeelkantoor"
QUESTION = "norm"
SYNC_DEPARTMENT = "SI"


def _id(kind: str, key: str) -> str:
    return str(demo_id(kind, key))


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _one(records: tuple[Any, ...], **match: str) -> Any:
    return next(r for r in records if all(getattr(r, k) == v for k, v in match.items()))


class _Examples:
    """The story's records and the ids and embedded references built from them."""

    def __init__(self, story: Story) -> None:
        self.story = story

    # --- references -----------------------------------------------------------------------

    def department(self, code: str) -> DepartmentRecord:
        return _one(self.story.departments, code=code)  # type: ignore[no-any-return]

    def department_ref(self, code: str | None) -> dict[str, Any] | None:
        if code is None:
            return None
        record = self.department(code)
        return {"id": _id("department", code), "code": code, "name": record.name}

    def organisation(self, name: str) -> OrganisationRecord:
        return _one(self.story.organisations, name=name)  # type: ignore[no-any-return]

    def organisation_ref(self, name: str | None) -> dict[str, Any] | None:
        return None if name is None else {"id": _id("organisation", name), "name": name}

    def member(self, email: str) -> MemberRecord:
        return _one(self.story.members, email=email)  # type: ignore[no-any-return]

    def theme(self, key: str) -> ThemeRecord:
        return _one(self.story.themes, key=key)  # type: ignore[no-any-return]

    def theme_ref(self, key: str | None) -> dict[str, Any] | None:
        if key is None:
            return None
        theme = self.theme(key)
        return {
            "id": _id("theme", key),
            "name": theme.name,
            "transitionRole": theme.transition_role.value,
        }

    def workshop(self, key: str) -> WorkshopRecord:
        return _one(self.story.workshops, key=key)  # type: ignore[no-any-return]

    def workshop_ref(self, key: str | None) -> dict[str, Any] | None:
        if key is None:
            return None
        workshop = self.workshop(key)
        return {
            "id": _id("workshop", key),
            "title": workshop.title,
            "startsAt": _at(workshop.starts_at),
        }

    def group(self, key: str) -> GroupRecord:
        return _one(self.story.groups, key=key)  # type: ignore[no-any-return]

    def group_ref(self, key: str | None) -> dict[str, Any] | None:
        return (
            None
            if key is None
            else {"id": _id("learning-group", key), "name": self.group(key).name}
        )

    def case(self, key: str) -> CaseRecord:
        return _one(self.story.cases, key=key)  # type: ignore[no-any-return]

    def question(self, key: str) -> QuestionRecord:
        return _one(self.story.questions, key=key)  # type: ignore[no-any-return]

    def insight(self) -> InsightRecord:
        return self.story.insights[0]

    def case_ref(self, key: str | None) -> dict[str, Any] | None:
        return None if key is None else {"id": _id("case", key), "title": self.case(key).title}

    def member_ref(self, email: str | None) -> dict[str, Any] | None:
        if email is None:
            return None
        return {"id": _id("member", email), "displayName": self.member_read(email)["displayName"]}

    def question_ref(self, key: str | None) -> dict[str, Any] | None:
        if key is None:
            return None
        question = self.question(key)
        # The title now: the last rewording, if it was reworded.
        title = next((c.title for c in reversed(question.changes) if c.title), question.title)
        return {"id": _id("learning-question", key), "title": title}

    # --- request bodies -------------------------------------------------------------------

    def requests(self) -> dict[str, Any]:
        member = self.member(MEMBER)
        department = self.department(DEPARTMENT)
        organisation = self.organisation(ORGANISATION)
        theme = self.theme(THEME)
        workshop = self.workshop(WORKSHOP)
        group = self.group(GROUP)
        case = self.case(CASE)
        question = self.question(QUESTION)
        insight = self.insight()
        revision = self.story.revisions[0]
        later = self.story.revisions[1]
        membership = group.memberships[0]
        attendee = workshop.attendees[0]
        in_scope = [m for m in self.story.members if m.department == SYNC_DEPARTMENT][:2]
        sync_department = self.department(SYNC_DEPARTMENT)
        merged = next(q for q in self.story.questions if q.merged is not None)
        assert merged.merged is not None
        return {
            "DepartmentCreate": {
                "code": DEPARTMENT,
                "name": department.name,
                "kind": department.kind.value,
                "parentId": None
                if department.parent is None
                else _id("department", department.parent),
            },
            "DepartmentUpdate": {"name": department.name},
            "OrganisationCreate": {
                "name": organisation.name,
                "kind": organisation.kind.value,
                "website": organisation.website,
            },
            "OrganisationUpdate": {"website": organisation.website},
            "MemberCreate": {
                "externalId": member.external_id,
                "email": member.email,
                "givenName": member.given_name,
                "familyName": member.family_name,
                "departmentId": _id("department", member.department or ""),
                "participation": member.participation.value,
                "transitionRoles": [role.value for role in member.transition_roles],
                "discipline": member.discipline,
                "joinedAt": _at(member.joined_at),
            },
            "MemberUpdate": {
                "displayName": f"{member.given_name} {member.family_name}",
                "transitionRoles": [theme.transition_role.value],
            },
            "ThemeCreate": {
                "name": theme.name,
                "description": theme.description,
                "transitionRole": theme.transition_role.value,
            },
            "ThemeUpdate": {"description": theme.description},
            "WorkshopCreate": {
                "title": workshop.title,
                "startsAt": _at(workshop.starts_at),
                "endsAt": _at(workshop.ends_at),
                "location": workshop.location,
                "summary": workshop.summary,
            },
            "WorkshopUpdate": {"location": workshop.location},
            "AttendeeCreate": {
                "memberId": _id("member", attendee.member),
                "registeredAt": _at(attendee.registered_at),
            },
            "GroupCreate": {
                "name": group.name,
                "description": group.description,
                "themeId": _id("theme", group.theme),
                "mode": group.mode.value,
                "facilitatorOrganisationId": None
                if group.facilitator_organisation is None
                else _id("organisation", group.facilitator_organisation),
                "formedAtWorkshopId": _id("workshop", group.formed_at_workshop),
            },
            "GroupUpdate": {"status": GroupStatus.ACTIVE.value},
            "MembershipCreate": {
                "memberId": _id("member", membership.member),
                "role": membership.role.value,
                "joinedAt": _at(membership.joined_at),
            },
            "MembershipUpdate": {"leftAt": _at(workshop.ends_at + timedelta(days=90))},
            "CaseCreate": {
                "title": case.title,
                "description": case.description,
                "learningGroupId": _id("learning-group", case.group),
                "departmentId": _id("department", case.department),
                "partnerOrganisationIds": [_id("organisation", p) for p in case.partners],
            },
            "CaseUpdate": {"status": CaseStatus.IN_PROGRESS.value},
            "QuestionCreate": {
                "title": question.title,
                "description": question.description,
                "themeId": None if question.theme is None else _id("theme", question.theme),
                "kind": question.kind.value,
                "originWorkshopId": None
                if question.origin_workshop is None
                else _id("workshop", question.origin_workshop),
                "raisedByMemberId": _id("member", question.raised_by),
                "ownerGroupId": None
                if question.owner is None
                else _id("learning-group", question.owner),
            },
            "QuestionUpdate": {"status": QuestionStatus.OPEN.value},
            "QuestionMerge": {"intoId": _id("learning-question", merged.merged.into)},
            "InsightCreate": {
                "title": insight.title,
                "body": insight.body,
                "sourceCaseId": None
                if insight.source_case is None
                else _id("case", insight.source_case),
                "sourceGroupId": None
                if insight.source_group is None
                else _id("learning-group", insight.source_group),
                "sourceQuestionId": None
                if insight.source_question is None
                else _id("learning-question", insight.source_question),
            },
            "InsightUpdate": {"adoption": "shared"},
            "RevisionCreate": {
                "title": later.title,
                "rationale": later.rationale,
                "workshopId": None if later.workshop is None else _id("workshop", later.workshop),
            },
            "RevisionUpdate": {"title": later.title},
            "AgendaItemsReplace": {
                "items": [
                    {
                        "questionId": _id("learning-question", item.question),
                        "priority": item.priority.value,
                        "ownerGroupId": None
                        if item.owner is None
                        else _id("learning-group", item.owner),
                        "note": item.note,
                    }
                    for item in revision.items[:3]
                ]
            },
            "CommentCreate": {
                "body": "Bij Stadsdeel Oost nemen we **circulaire eisen** nu standaard op in "
                "elke uitvraag. Wie wil de uitvraagteksten zien?",
                "format": "markdown",
            },
            "CommentUpdate": {
                "body": "Bij Stadsdeel Oost nemen we **circulaire eisen** sinds dit voorjaar "
                "standaard op in elke uitvraag. Wie wil de uitvraagteksten zien?"
            },
            "CommentHide": {
                "reason": "Bevat persoonsgegevens van een collega; verborgen tot die eruit zijn."
            },
            "ReadMark": {"upTo": 42},
            "NotificationSettingsInput": {
                "kinds": [{"kind": "workshop-changed", "enabled": False}]
            },
            "ApiKeyCreate": {"name": "Intranet-koppeling", "role": "sync"},
            "StreamTicketCreate": {"types": ["member", "learning-question"]},
            "SubscriptionCreate": {
                "url": "https://intranet.amsterdam.example/hooks/leergemeenschap",
                "types": ["member", "department"],
                "description": "Intranet: profielen bijwerken",
            },
            "SubscriptionUpdate": {"active": False},
            "MemberSyncCreate": {
                "scope": {"departmentCodes": [SYNC_DEPARTMENT]},
                "mode": "additive",
                "dryRun": True,
                "departments": [
                    {
                        "code": SYNC_DEPARTMENT,
                        "name": sync_department.name,
                        "kind": sync_department.kind.value,
                    }
                ],
                "members": [
                    {
                        "externalId": m.external_id,
                        "email": m.email,
                        "givenName": m.given_name,
                        "familyName": m.family_name,
                        "departmentCode": SYNC_DEPARTMENT,
                    }
                    for m in in_scope
                ],
            },
        }

    # --- responses ------------------------------------------------------------------------

    def member_read(self, email: str) -> dict[str, Any]:
        member = self.member(email)
        return {
            "id": _id("member", email),
            "externalId": member.external_id,
            "email": member.email,
            "givenName": member.given_name,
            "familyName": member.family_name,
            "displayName": f"{member.given_name} {member.family_name}",
            "departmentId": None
            if member.department is None
            else _id("department", member.department),
            "department": self.department_ref(member.department),
            "organisationId": None
            if member.organisation is None
            else _id("organisation", member.organisation),
            "organisation": self.organisation_ref(member.organisation),
            "participation": member.participation.value,
            "status": "active",
            "transitionRoles": [role.value for role in member.transition_roles],
            "discipline": member.discipline,
            "source": "manual",
            "joinedAt": _at(member.joined_at),
            "deactivatedAt": None,
            "erasedAt": None,
            "version": 1,
            "createdAt": _at(member.joined_at),
            "updatedAt": _at(member.joined_at),
        }

    def responses(self) -> dict[str, Any]:
        department = self.department(DEPARTMENT)
        organisation = self.organisation(ORGANISATION)
        theme = self.theme(THEME)
        workshop = self.workshop(WORKSHOP)
        group = self.group(GROUP)
        case = self.case(CASE)
        question = self.question(QUESTION)
        insight = self.insight()
        revision = self.story.revisions[0]
        # Each as the demo leaves it: every status it went through, one version per write.
        group_status = group.statuses[-1].status if group.statuses else GroupStatus.FORMING
        current = [m for m in group.memberships if m.left_at is None]
        case_status = case.statuses[-1] if case.statuses else CaseStatus.PROPOSED
        partners = sorted(case.partners, key=lambda name: demo_id("organisation", name))
        question_status = _status_now(question)
        question_changed = question.changes[-1].at if question.changes else question.raised_at
        assert revision.created_at is not None and revision.published_at is not None
        member = self.member_read(MEMBER)
        facilitator = self.member_read(FACILITATOR)
        return {
            "DepartmentRead": {
                "id": _id("department", DEPARTMENT),
                "code": DEPARTMENT,
                "name": department.name,
                "kind": department.kind.value,
                "parentId": None
                if department.parent is None
                else _id("department", department.parent),
                "parent": self.department_ref(department.parent),
                "active": True,
                "version": 1,
                "createdAt": _at(workshop.starts_at - timedelta(days=60)),
                "updatedAt": _at(workshop.starts_at - timedelta(days=60)),
            },
            "OrganisationRead": {
                "id": _id("organisation", ORGANISATION),
                "name": organisation.name,
                "kind": organisation.kind.value,
                "website": organisation.website,
                "version": 1,
                "createdAt": _at(workshop.starts_at - timedelta(days=60)),
                "updatedAt": _at(workshop.starts_at - timedelta(days=60)),
            },
            "MemberRead": member,
            "MemberPage": {
                "items": [member, facilitator],
                "next": f"{BASE_URL}/members?pageSize=2&cursor="
                + encode_cursor("familyName", facilitator["familyName"], facilitator["id"]),
            },
            "ThemeRead": {
                "id": _id("theme", THEME),
                "name": theme.name,
                "description": theme.description,
                "transitionRole": theme.transition_role.value,
                "version": 1,
                "createdAt": _at(workshop.starts_at - timedelta(days=60)),
                "updatedAt": _at(workshop.starts_at - timedelta(days=60)),
            },
            "WorkshopRead": {
                "id": _id("workshop", WORKSHOP),
                "title": workshop.title,
                "startsAt": _at(workshop.starts_at),
                "endsAt": _at(workshop.ends_at),
                "location": workshop.location,
                "summary": workshop.summary,
                "status": "planned",
                "capacity": None,
                "attendeeCount": len(workshop.attendees),
                "placesLeft": None,
                "version": 1,
                "createdAt": _at(workshop.starts_at - timedelta(days=30)),
                "updatedAt": _at(workshop.starts_at - timedelta(days=30)),
            },
            "MembershipRead": self._membership(group.memberships[0]),
            "AttendeeRead": self._attendee(workshop, MEMBER),
            "GroupDetail": {
                "id": _id("learning-group", GROUP),
                "name": group.name,
                "description": group.description,
                "themeId": _id("theme", group.theme),
                "theme": self.theme_ref(group.theme),
                "mode": group.mode.value,
                "facilitatorOrganisationId": None
                if group.facilitator_organisation is None
                else _id("organisation", group.facilitator_organisation),
                "facilitatorOrganisation": self.organisation_ref(group.facilitator_organisation),
                "formedAtWorkshopId": _id("workshop", group.formed_at_workshop),
                "formedAtWorkshop": self.workshop_ref(group.formed_at_workshop),
                "status": group_status.value,
                "mergedIntoId": None,
                "mergedInto": None,
                "allowedTransitions": [
                    s.value for s in allowed_next(GROUP_TRANSITIONS, group_status)
                ],
                "memberCount": len(current),
                "version": 1 + len(group.statuses),
                "createdAt": _at(group.formed_at),
                "updatedAt": _at(group.formed_at),
                "members": [
                    {
                        "membershipId": _id("membership", f"{GROUP}:{m.member}"),
                        "memberId": _id("member", m.member),
                        "displayName": self.member_read(m.member)["displayName"],
                        "department": self.member_read(m.member)["department"],
                        "status": "active",
                        "role": m.role.value,
                        "joinedAt": _at(m.joined_at),
                    }
                    for m in current[:3]
                ],
            },
            "CaseRead": {
                "id": _id("case", CASE),
                "title": case.title,
                "description": case.description,
                "learningGroupId": _id("learning-group", case.group),
                "learningGroup": self.group_ref(case.group),
                "departmentId": _id("department", case.department),
                "department": self.department_ref(case.department),
                # As the API answers them: by id.
                "partnerOrganisationIds": [_id("organisation", p) for p in partners],
                "partnerOrganisations": [self.organisation_ref(p) for p in partners],
                "status": case_status.value,
                "allowedTransitions": [
                    s.value for s in allowed_next(CASE_TRANSITIONS, case_status)
                ],
                "presentedAtWorkshopId": None
                if case.presented_at_workshop is None
                else _id("workshop", case.presented_at_workshop),
                "presentedAtWorkshop": self.workshop_ref(case.presented_at_workshop),
                "outcome": case.outcome,
                "version": 1 + len(case.statuses),
                "createdAt": _at(case.created_at),
                "updatedAt": _at(case.created_at),
            },
            "QuestionRead": {
                "id": _id("learning-question", QUESTION),
                "title": question.title,
                "description": question.description,
                "themeId": None if question.theme is None else _id("theme", question.theme),
                "theme": self.theme_ref(question.theme),
                "kind": question.kind.value,
                "originWorkshopId": None
                if question.origin_workshop is None
                else _id("workshop", question.origin_workshop),
                "originWorkshop": self.workshop_ref(question.origin_workshop),
                "originGroupId": None,
                "originGroup": None,
                "originCaseId": None,
                "originCase": None,
                "raisedByMemberId": _id("member", question.raised_by),
                "raisedBy": self.member_ref(question.raised_by),
                "ownerGroupId": None
                if question.owner is None
                else _id("learning-group", question.owner),
                "ownerGroup": self.group_ref(question.owner),
                "status": question_status.value,
                "allowedTransitions": [
                    s.value for s in allowed_next(QUESTION_TRANSITIONS, question_status)
                ],
                "mergedIntoId": None,
                "mergedInto": None,
                "mergedQuestionIds": [],
                "mergedQuestions": [],
                "answer": next((c.answer for c in reversed(question.changes) if c.answer), None),
                "supportCount": _supports_at(question, None),
                "version": 1 + len(question.changes),
                "createdAt": _at(question.raised_at),
                "updatedAt": _at(question_changed),
            },
            "RevisionRead": {
                "number": revision.number,
                "status": RevisionStatus.PUBLISHED.value,
                "title": revision.title,
                "rationale": revision.rationale,
                "workshopId": None
                if revision.workshop is None
                else _id("workshop", revision.workshop),
                "workshop": self.workshop_ref(revision.workshop),
                "createdAt": _at(revision.created_at),
                "updatedAt": _at(revision.published_at),
                "publishedAt": _at(revision.published_at),
                "publishedBy": "system",
                "version": 3,
                "itemCount": len(revision.items),
                "moment": _at(revision.published_at),
                "items": [
                    self._agenda_item(rank, item) for rank, item in enumerate(revision.items[:3], 1)
                ],
            },
            "InsightRead": {
                "id": _id("insight", insight.key),
                "title": insight.title,
                "body": insight.body,
                "sourceCaseId": None
                if insight.source_case is None
                else _id("case", insight.source_case),
                "sourceCase": self.case_ref(insight.source_case),
                "sourceGroupId": None
                if insight.source_group is None
                else _id("learning-group", insight.source_group),
                "sourceGroup": self.group_ref(insight.source_group),
                "sourceQuestionId": None
                if insight.source_question is None
                else _id("learning-question", insight.source_question),
                "sourceQuestion": self.question_ref(insight.source_question),
                "createdByMemberId": None,
                "createdBy": None,
                "adoption": insight.adoption.value,
                "allowedTransitions": [
                    s.value for s in allowed_next(INSIGHT_TRANSITIONS, insight.adoption)
                ],
                "adoptedByDepartmentIds": [_id("department", c) for c in insight.adopted_by],
                "adoptedByDepartments": [
                    {
                        **(self.department_ref(c) or {}),
                        "adoptedAt": _at(insight.adopted_at or insight.captured_at),
                    }
                    for c in insight.adopted_by
                ],
                "version": 1 if insight.adopted_at is None else 2,
                "createdAt": _at(insight.captured_at),
                "updatedAt": _at(insight.adopted_at or insight.captured_at),
            },
        }

    def _membership(self, membership: Any) -> dict[str, Any]:
        return {
            "id": _id("membership", f"{GROUP}:{membership.member}"),
            "groupId": _id("learning-group", GROUP),
            "group": self.group_ref(GROUP),
            "memberId": _id("member", membership.member),
            "member": self.member_ref(membership.member),
            "displayName": self.member_read(membership.member)["displayName"],
            "role": membership.role.value,
            "joinedAt": _at(membership.joined_at),
            "leftAt": None if membership.left_at is None else _at(membership.left_at),
            "current": membership.left_at is None,
        }

    def _attendee(self, workshop: WorkshopRecord, email: str) -> dict[str, Any]:
        attendance = next(a for a in workshop.attendees if a.member == email)
        member = self.member_read(email)
        return {
            "workshopId": _id("workshop", workshop.key),
            "workshop": self.workshop_ref(workshop.key),
            "memberId": member["id"],
            "member": self.member_ref(email),
            "displayName": member["displayName"],
            "department": member["department"],
            "registeredAt": _at(attendance.registered_at),
        }

    def _agenda_item(self, rank: int, item: Any) -> dict[str, Any]:
        question = self.question(item.question)
        published_at = self.story.revisions[0].published_at
        status = _status_at(question, published_at)
        return {
            "questionId": _id("learning-question", item.question),
            "rank": rank,
            "priority": item.priority.value,
            "ownerGroupId": None if item.owner is None else _id("learning-group", item.owner),
            "note": item.note,
            "question": {
                "id": _id("learning-question", item.question),
                "title": question.title,
                "status": status.value,
                "supportCount": _supports_at(question, published_at),
                "theme": self.theme_ref(question.theme),
            },
            "ownerGroup": self.group_ref(item.owner),
        }


def _supports_at(question: QuestionRecord, moment: datetime | None) -> int:
    """How many members supported the question at `moment` (None: now), by the story."""
    return sum(
        1
        for support in question.supports
        if (moment is None or support.at <= moment)
        and (support.withdrawn_at is None or (moment is not None and support.withdrawn_at > moment))
    )


def _status_at(question: QuestionRecord, moment: datetime | None) -> QuestionStatus:
    """The question's status at `moment` (None: now), by the story's dated changes."""
    status = question.status
    for change in question.changes:
        if change.status is not None and (moment is None or change.at <= moment):
            status = change.status
    return status


def _status_now(question: QuestionRecord) -> QuestionStatus:
    return _status_at(question, None)


@cache
def examples() -> dict[str, Any]:
    """Each example by the name of the component schema it belongs to."""
    built = _Examples(load_story())
    answers = built.responses()
    # The shapes a list shows are the detailed ones without their details.
    answers["GroupRead"] = {k: v for k, v in answers["GroupDetail"].items() if k != "members"}
    answers["RevisionSummary"] = {
        k: v for k, v in answers["RevisionRead"].items() if k not in ("items", "moment")
    }
    return {**built.requests(), **answers}


@cache
def path_parameters() -> dict[str, Any]:
    """An example for each path parameter that names a demo record: the ones the examples show
    (the member attended the werkplaats and is in the group), so that "Try it out" on `make run`
    finds them."""
    group = load_story().groups
    membership = next(g for g in group if g.key == GROUP).memberships[0]
    return {
        "caseId": _id("case", CASE),
        "departmentId": _id("department", DEPARTMENT),
        "groupId": _id("learning-group", GROUP),
        "insightId": _id("insight", load_story().insights[0].key),
        "memberId": _id("member", MEMBER),
        "membershipId": _id("membership", f"{GROUP}:{membership.member}"),
        "number": load_story().revisions[0].number,
        "organisationId": _id("organisation", ORGANISATION),
        "questionId": _id("learning-question", QUESTION),
        "themeId": _id("theme", THEME),
        "workshopId": _id("workshop", WORKSHOP),
    }


def demo_ids() -> set[uuid.UUID]:
    """Every id the demo loader gives a record (for the tests: an example names only these)."""
    story = load_story()
    ids = {demo_id("department", d.code) for d in story.departments}
    ids |= {demo_id("organisation", o.name) for o in story.organisations}
    ids |= {demo_id("member", m.email) for m in story.members}
    ids |= {demo_id("theme", t.key) for t in story.themes}
    ids |= {demo_id("workshop", w.key) for w in story.workshops}
    ids |= {demo_id("learning-group", g.key) for g in story.groups}
    ids |= {demo_id("case", c.key) for c in story.cases}
    ids |= {demo_id("learning-question", q.key) for q in story.questions}
    ids |= {demo_id("insight", i.key) for i in story.insights}
    ids |= {m.id for memberships in story.memberships.values() for m in memberships}
    return ids
