"""The member rules on their own: what the members API, the sync and SCIM all obey."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.core.context import Principal
from app.core.errors import Conflict, Forbidden
from app.members import rules
from app.members.models import MemberSource, MemberStatus, Participation
from app.sync.repository import MemberRow, MemberWrite

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
EARLIER = NOW - timedelta(days=30)
OWN_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")


def test_the_email_key_ignores_case():
    assert rules.email_key("Noor.Bakker@Amsterdam.Example") == "noor.bakker@amsterdam.example"
    assert rules.email_key("a@b.nl") == rules.email_key("A@B.NL")


def test_the_display_name_defaults_to_given_and_family_name():
    assert rules.display_name_of("Noor", "Bakker") == "Noor Bakker"
    assert rules.display_name_of("Noor", "Bakker", None) == "Noor Bakker"
    assert rules.display_name_of("Noor", "Bakker", "Noor (Green Office)") == "Noor (Green Office)"


def test_activity_records_since_when_a_member_is_inactive():
    assert rules.activity(True, NOW) == {"status": MemberStatus.ACTIVE, "deactivated_at": None}
    assert rules.activity(True, NOW, EARLIER)["deactivated_at"] is None
    assert rules.activity(False, NOW) == {
        "status": MemberStatus.INACTIVE,
        "deactivated_at": NOW,
    }
    # Already inactive: the first deactivation is kept.
    assert rules.activity(False, NOW, EARLIER)["deactivated_at"] == EARLIER


def test_a_new_member_is_active_with_a_key_and_a_display_name():
    values = rules.new_member(
        external_id="AMS-1",
        email="Noor.Bakker@amsterdam.example",
        given_name="Noor",
        family_name="Bakker",
        source=MemberSource.MANUAL,
        joined_at=NOW,
    )
    assert values == {
        "external_id": "AMS-1",
        "email": "Noor.Bakker@amsterdam.example",
        "email_key": "noor.bakker@amsterdam.example",
        "given_name": "Noor",
        "family_name": "Bakker",
        "display_name": "Noor Bakker",
        # The keys the lists sort and search by (tests/members/test_name_keys.py).
        "given_name_key": "noor",
        "family_name_key": "bakker",
        "display_name_key": "noor bakker",
        "search_key": "noor bakker\x1fnoor\x1fbakker\x1fnoor.bakker@amsterdam.example",
        "department_id": None,
        "organisation_id": None,
        "participation": Participation.PARTICIPANT,
        "status": MemberStatus.ACTIVE,
        "deactivated_at": None,
        "transition_roles": [],
        "discipline": None,
        "source": MemberSource.MANUAL,
        "joined_at": NOW,
    }


def test_a_new_member_takes_what_the_caller_chose():
    department_id = uuid.uuid4()
    values = rules.new_member(
        external_id=None,
        email="x@amsterdam.example",
        given_name="X",
        family_name="Y",
        display_name="Xandra",
        department_id=department_id,
        participation=Participation.FOLLOWER,
        transition_roles=("verbinder",),
        discipline="participatie",
        source=MemberSource.SCIM,
        joined_at=NOW,
        active=False,
    )
    assert values["display_name"] == "Xandra"
    assert values["department_id"] == department_id
    assert values["participation"] == Participation.FOLLOWER
    assert values["transition_roles"] == ["verbinder"]
    assert values["discipline"] == "participatie"
    assert values["source"] == MemberSource.SCIM
    assert values["status"] == MemberStatus.INACTIVE
    assert values["deactivated_at"] == NOW


def test_joining_is_what_a_new_member_starts_with():
    joining = rules.joining(MemberSource.SYNC, NOW)
    new = rules.new_member(
        external_id="AMS-1",
        email="a@amsterdam.example",
        given_name="A",
        family_name="B",
        source=MemberSource.SYNC,
        joined_at=NOW,
    )
    assert {column: new[column] for column in joining} == joining


def holder(member_id: uuid.UUID, email_key: str, external_id: str | None) -> SimpleNamespace:
    return SimpleNamespace(id=member_id, email_key=email_key, external_id=external_id)


def test_clashes_name_the_fields_another_member_holds():
    holders = [holder(OTHER_ID, "noor@amsterdam.example", "AMS-1")]
    assert rules.clashing_fields(holders, email="Noor@Amsterdam.example", external_id="AMS-1") == [
        "email",
        "externalId",
    ]
    assert rules.clashing_fields(holders, email=None, external_id="AMS-1") == ["externalId"]
    assert rules.clashing_fields(holders, email="noor@amsterdam.example", external_id=None) == [
        "email"
    ]
    assert rules.clashing_fields(holders, email="x@amsterdam.example", external_id="AMS-2") == []


def test_a_member_does_not_clash_with_themself():
    holders = [holder(OWN_ID, "noor@amsterdam.example", "AMS-1")]
    assert (
        rules.clashing_fields(
            holders, email="noor@amsterdam.example", external_id="AMS-1", own_id=OWN_ID
        )
        == []
    )


def test_the_uniqueness_conflict_names_the_fields():
    conflict = rules.uniqueness_conflict(["externalId", "email"])
    assert isinstance(conflict, Conflict)
    assert conflict.status == 409
    assert conflict.detail == "Another member already has this email and externalId."
    assert conflict.extra == {"conflictingFields": ["externalId", "email"]}


def principal(role: str, member_id: uuid.UUID | None = None) -> Principal:
    return Principal(key_id=uuid.uuid4(), role=role, name="test", member_id=member_id)


def test_a_member_changes_only_their_own_community_fields():
    rules.ensure_may_change(principal("admin"), OWN_ID, {"email", "given_name"})
    rules.ensure_may_change(principal("member", OWN_ID), OWN_ID, set(rules.COMMUNITY_FIELDS))
    with pytest.raises(Forbidden, match="only change their own profile"):
        rules.ensure_may_change(principal("member", OWN_ID), OTHER_ID, {"discipline"})
    with pytest.raises(Forbidden, match="Only an admin may change email, givenName;"):
        rules.ensure_may_change(
            principal("member", OWN_ID), OWN_ID, {"given_name", "email", "discipline"}
        )


def member_as_shown(source: MemberSource) -> dict[str, object]:
    return {
        "source": source,
        "externalId": "AMS-1",
        "email": "noor@amsterdam.example",
        "givenName": "Noor",
        "familyName": "Bakker",
        "departmentId": None,
    }


def test_a_managed_member_keeps_its_synced_fields():
    changes = {"email": "other@amsterdam.example", "given_name": "Noor", "discipline": "x"}
    rules.ensure_not_managed(member_as_shown(MemberSource.MANUAL), changes)
    with pytest.raises(Conflict) as refused:
        rules.ensure_not_managed(member_as_shown(MemberSource.SYNC), changes)
    assert refused.value.detail == (
        "email of this member are managed by the intranet sync; change them at the source."
    )
    assert refused.value.extra == {"managedBy": "sync", "managedFields": ["email"]}
    with pytest.raises(Conflict, match="managed by SCIM"):
        rules.ensure_not_managed(member_as_shown(MemberSource.SCIM), changes)
    # Sending a synced field unchanged, or a community field, is no change of what it owns.
    rules.ensure_not_managed(
        member_as_shown(MemberSource.SYNC), {"given_name": "Noor", "discipline": "x"}
    )


def test_the_holder_of_an_address_is_adopted_unless_they_hold_another_external_id():
    assert rules.adoptable(None, "AMS-1")
    assert rules.adoptable(None, None)
    assert rules.adoptable("AMS-1", "AMS-1")
    assert not rules.adoptable("AMS-2", "AMS-1")
    assert not rules.adoptable("AMS-2", None)


def test_the_sync_reads_and_writes_every_synced_field():
    for row_type in (MemberRow, MemberWrite):
        names = {f.name for f in dataclasses.fields(row_type)}
        assert names >= rules.SYNCED_FIELDS, row_type
