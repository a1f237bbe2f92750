"""Names searched and sorted the Dutch way, the same on SQLite and Postgres: case and
diacritics folded, a family name sorted after its tussenvoegsels, by keys that every door
writing a member keeps (the members API, the intranet sync, SCIM, erasure), and an index
under every name sort."""

from __future__ import annotations

import base64
import json
import random
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core import fastread
from app.core.db import database
from app.core.pagination import PageRequest, paginate_named
from app.members import repository, rules
from tests.factories import bearer, make_department, make_key, make_member, make_workshop
from tests.members.test_member_lists import walk
from tests.workshops.test_workshops import attend

# The example of issue 13, and the order a Dutch directory gives it: tussenvoegsels (van den,
# de, 't, ter) are not sorted on, Ö is O, and the Arabic article of El Amrani is part of the
# name (registers write it so), not a tussenvoegsel.
DUTCH = ["Timmermans", "van den Berg", "de Graaf", "Öztürk", "Bakker", "ter Horst", "El Amrani"]
DUTCH += ["'t Hart"]
DUTCH_ORDER = [
    "Bakker",
    "van den Berg",
    "El Amrani",
    "de Graaf",
    "'t Hart",
    "ter Horst",
    "Öztürk",
    "Timmermans",
]


# --- the rule on its own --------------------------------------------------------------------


def test_the_dutch_order_of_family_names():
    assert sorted(DUTCH, key=rules.family_name_key) == DUTCH_ORDER


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Öztürk", "ozturk"),
        ("ÖZTÜRK", "ozturk"),
        ("öztürk", "ozturk"),
        ("Straße", "strasse"),
        ("STRASSE", "strasse"),
        ("Søren Østergaard", "soren ostergaard"),
        ("Łukasz Wałęsa", "lukasz walesa"),
        ("Ærø", "aero"),
        ("I\u015f\u0131k", "isik"),
        ("İnce", "ince"),
        ("Ĳsselstein", "ijsselstein"),
        ("Zoë Ångström", "zoe angstrom"),
        ("\u2019t Hart", "'t hart"),
        ("  van\tden   Berg ", "van den berg"),
        ("Ελένη", "ελενη"),
    ],
)
def test_folding_ignores_case_diacritics_and_spacing(text, folded):
    assert rules.fold(text) == folded
    assert rules.fold(folded) == folded


def test_a_family_name_is_sorted_after_its_tussenvoegsels():
    names = ["Bergen", "van der Berg", "Berg-Jansen", "Berg", "van den Berg", "in 't Berg"]
    assert sorted(names, key=rules.family_name_key) == [
        "Berg",
        "in 't Berg",
        "van den Berg",
        "van der Berg",
        "Berg-Jansen",
        "Bergen",
    ]
    # Written with a capital when it stands alone, the tussenvoegsel is the same one.
    assert rules.family_name_key("Van den Berg") == rules.family_name_key("van den Berg")
    # A name that is all tussenvoegsel keeps it.
    assert rules.family_name_key("Van") == "van"


def test_keys_are_made_again_only_when_a_name_or_the_address_changes():
    current = {
        "given_name": "Zeynep",
        "family_name": "Öztürk",
        "display_name": "Zeynep Öztürk",
        "email": "z.ozturk@amsterdam.example",
    }
    assert rules.with_keys({"discipline": "inkoop"}, **current) == {"discipline": "inkoop"}
    changed = rules.with_keys({"family_name": "de Wit"}, **current)
    assert changed == {
        "family_name": "de Wit",
        **rules.keys(**{**current, "family_name": "de Wit"}),
    }
    assert "ozturk" not in changed["search_key"].split("\x1f")[2]
    assert changed["family_name_key"] == "wit\x01de"


def test_a_search_term_is_folded_and_escaped():
    assert rules.search_pattern("ÖZTÜRK") == "%ozturk%"
    assert rules.search_pattern("50%_\\") == "%50\\%\\_\\\\%"


# --- through the API, on both databases -----------------------------------------------------


async def make_named(family_names: list[str], **overrides: Any) -> dict[str, dict[str, Any]]:
    """A member for each family name, made in a shuffled order (so ids do not follow names)."""
    shuffled = list(family_names)
    random.Random(13).shuffle(shuffled)
    return {name: await make_member(familyName=name, **overrides) for name in shuffled}


async def found(client: httpx.AsyncClient, key: str, q: str) -> list[str]:
    response = await client.get("/v1/members", params={"q": q}, headers=bearer(key))
    assert response.status_code == 200, response.text
    return sorted(m["familyName"] for m in response.json()["items"])


async def stored_keys(member_id: Any) -> dict[str, Any]:
    """The member's names and keys as stored (read for assertions only)."""
    c = repository.c
    columns = (c.given_name, c.family_name, c.display_name, c.email, *map(c.get, rules.KEY_FIELDS))
    async with database.engine.connect() as conn:
        row = (await conn.execute(select(*columns).where(c.id == uuid.UUID(str(member_id))))).one()
    return dict(row._mapping)


async def assert_keys_fit(member_id: Any) -> dict[str, Any]:
    """The stored keys are the ones the rule makes of the stored names."""
    stored = await stored_keys(member_id)
    made = rules.keys(
        given_name=stored["given_name"],
        family_name=stored["family_name"],
        display_name=stored["display_name"],
        email=stored["email"],
    )
    assert {name: stored[name] for name in rules.KEY_FIELDS} == made
    return stored


async def test_search_ignores_case_and_diacritics(client):
    key = await make_key("reader")
    await make_named(DUTCH)
    for q in ("ozturk", "Öztürk", "ÖZTÜRK", "öztürk", "türk", "TURK", "Ozturk"):
        assert await found(client, key, q) == ["Öztürk"], q
    assert await found(client, key, "van den berg") == ["van den Berg"]
    assert await found(client, key, "VAN DEN") == ["van den Berg"]
    assert await found(client, key, "\u2019t hart") == ["'t Hart"]
    assert await found(client, key, "el amr") == ["El Amrani"]
    assert await found(client, key, "%") == []
    assert await found(client, key, "_") == []
    # A term never matches across two names (given "Voornaam…", family "Bakker").
    assert await found(client, key, "bakker voornaam") == []


async def test_family_names_sort_the_dutch_way_on_every_page(client):
    key = await make_key("reader")
    await make_named(DUTCH)
    for size in (1, 3, 100):
        walked = await walk(client, f"/v1/members?pageSize={size}", key)
        assert [m["familyName"] for m in walked] == DUTCH_ORDER, size
        backwards = await walk(client, f"/v1/members?pageSize={size}&sort=-familyName", key)
        assert [m["familyName"] for m in backwards] == DUTCH_ORDER[::-1], size


async def test_within_a_department_too(client):
    key = await make_key("reader")
    department = await make_department()
    await make_named(DUTCH, departmentId=str(department["id"]))
    await make_named(["Aalders", "Zijlstra"])  # elsewhere
    walked = await walk(client, f"/v1/members?pageSize=3&departmentId={department['id']}", key)
    assert [m["familyName"] for m in walked] == DUTCH_ORDER


async def test_equal_keys_are_ordered_by_id_without_gaps_or_repeats(client):
    key = await make_key("reader")
    made = await make_named(["Jansen", "jansen", "JANSEN", "Jänsen", "de Jansen", "Janssen"])
    walked = await walk(client, "/v1/members?pageSize=1", key)
    equal = sorted(str(made[name]["id"]) for name in ("Jansen", "jansen", "JANSEN", "Jänsen"))
    assert [m["id"] for m in walked] == [
        *equal,
        str(made["de Jansen"]["id"]),
        str(made["Janssen"]["id"]),
    ]


@pytest.mark.parametrize("sort", ["givenName", "displayName"])
async def test_given_and_display_names_sort_without_case_or_diacritics(client, sort):
    key = await make_key("reader")
    names = ["Émile", "emma", "Eva", "Zoë", "zara", "Ádám", "Øyvind", "oscar"]
    random.Random(5).shuffle(names)
    for n, name in enumerate(names):
        await make_member(givenName=name, displayName=name, familyName=f"Achternaam{n}")
    walked = await walk(client, f"/v1/members?pageSize=3&sort={sort}", key)
    assert [m[sort] for m in walked] == [
        "Ádám",
        "Émile",
        "emma",
        "Eva",
        "oscar",
        "Øyvind",
        "zara",
        "Zoë",
    ]


def forged(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).rstrip(b"=").decode()


async def test_a_cursor_holds_the_name_shown_so_an_earlier_cursor_still_continues(client):
    key = await make_key("reader")
    made = await make_named(DUTCH)
    first = await client.get("/v1/members?pageSize=3", headers=bearer(key))
    cursor = first.json()["next"].split("cursor=")[1]
    padded = cursor + "=" * (-len(cursor) % 4)
    assert json.loads(base64.urlsafe_b64decode(padded))[:2] == ["familyName", "El Amrani"]

    # A cursor handed out before the keys existed held the family name just the same.
    earlier = forged("familyName", "de Graaf", str(made["de Graaf"]["id"]))
    rest = await walk(client, f"/v1/members?pageSize=2&cursor={earlier}", key)
    assert [m["familyName"] for m in rest] == DUTCH_ORDER[4:]
    # One whose value is no name is refused, as any cursor this list did not hand out.
    response = await client.get(
        "/v1/members",
        params={"cursor": forged("familyName", None, str(uuid.uuid4()))},
        headers=bearer(key),
    )
    assert response.status_code == 400, response.text
    assert [p["name"] for p in response.json()["invalidParams"]] == ["cursor"]


async def test_patching_a_name_makes_its_keys_again(client):
    admin = await make_key("admin")
    # A display name of its own: the default one holds the family name, and stays as it was.
    member = await make_member(givenName="Zeynep", familyName="Öztürk", displayName="Zeynep")
    await make_named(["Bakker"])
    changed = await client.patch(
        f"/v1/members/{member['id']}",
        content=json.dumps({"familyName": "van Aalst"}),
        headers={**bearer(admin), "Content-Type": "application/merge-patch+json"},
    )
    assert changed.status_code == 200, changed.text
    stored = await assert_keys_fit(member["id"])
    assert stored["family_name_key"] == "aalst\x01van"
    assert await found(client, admin, "ozturk") == []
    assert await found(client, admin, "AALST") == ["van Aalst"]
    listed = await client.get("/v1/members", headers=bearer(admin))
    assert [m["familyName"] for m in listed.json()["items"]] == ["van Aalst", "Bakker"]

    # A change of another field leaves the keys as they are.
    await client.patch(
        f"/v1/members/{member['id']}",
        content=json.dumps({"discipline": "inkoop"}),
        headers={**bearer(admin), "Content-Type": "application/merge-patch+json"},
    )
    assert await assert_keys_fit(member["id"]) == {**stored}


def sync_payload(members: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "scope": {"departmentCodes": ["AGR"]},
        "mode": "strict",
        "departments": [{"code": "AGR", "name": "Afval & Grondstoffen", "kind": "afdeling"}],
        "members": members,
        **extra,
    }


def synced_person(n: int, **names: str) -> dict[str, Any]:
    return {
        "externalId": f"HR-{n:06d}",
        "email": f"persoon{n}@amsterdam.example",
        "departmentCode": "AGR",
        **names,
    }


async def test_the_sync_writes_the_keys_of_the_members_it_creates_and_changes(client):
    key = await make_key("sync")
    reader = await make_key("reader")
    first = sync_payload(
        [
            synced_person(1, givenName="Çağla", familyName="Öztürk", displayName="Çağla"),
            synced_person(2, givenName="Jan", familyName="van den Berg"),
            synced_person(3, givenName="Anna", familyName="Bakker"),
        ]
    )
    response = await client.post("/v1/member-syncs", json=first, headers=bearer(key))
    assert response.status_code == 201, response.text
    ids = {c["externalId"]: c["memberId"] for c in response.json()["changes"]}
    for member_id in ids.values():
        await assert_keys_fit(member_id)
    assert await found(client, reader, "CAGLA") == ["Öztürk"]
    walked = await walk(client, "/v1/members?pageSize=2", reader)
    assert [m["familyName"] for m in walked] == ["Bakker", "van den Berg", "Öztürk"]

    # A changed name gets its keys again; the member left out (strict) keeps them.
    second = sync_payload(
        [
            synced_person(1, givenName="Çağla", familyName="de Wit", displayName="Çağla"),
            synced_person(2, givenName="Jan", familyName="van den Berg"),
        ],
        allowMassDeactivation=True,
    )
    response = await client.post("/v1/member-syncs", json=second, headers=bearer(key))
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["updated"] == 1
    assert response.json()["counts"]["deactivated"] == 1
    for member_id in ids.values():
        await assert_keys_fit(member_id)
    assert await found(client, reader, "ozturk") == []
    assert await found(client, reader, "wit") == ["de Wit"]


async def test_scim_writes_the_keys_of_the_users_it_provisions_and_changes(client):
    key = await make_key("sync")
    reader = await make_key("reader")
    user = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "o.unal@amsterdam.example",
        "name": {"givenName": "Øystein", "familyName": "Ünal"},
        "emails": [{"primary": True, "type": "work", "value": "o.unal@amsterdam.example"}],
    }
    headers = {**bearer(key), "Content-Type": "application/scim+json"}
    created = await client.post("/scim/v2/Users", content=json.dumps(user), headers=headers)
    assert created.status_code == 201, created.text
    member_id = created.json()["id"]
    await assert_keys_fit(member_id)
    assert await found(client, reader, "oystein unal") == ["Ünal"]

    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.familyName", "value": "ter Horst"}],
    }
    patched = await client.patch(
        f"/scim/v2/Users/{member_id}", content=json.dumps(patch), headers=headers
    )
    assert patched.status_code == 200, patched.text
    stored = await assert_keys_fit(member_id)
    assert stored["family_name_key"] == "horst\x01ter"
    # The display name SCIM made of the names follows them (the address keeps "unal").
    assert await found(client, reader, "oystein unal") == []
    assert await found(client, reader, "oystein ter horst") == ["ter Horst"]


async def test_erasure_leaves_no_key_made_of_the_former_name(client):
    admin = await make_key("admin")
    member = await make_member(givenName="Zeynep", familyName="Öztürk", email="z@example.nl")
    erased = await client.post(f"/v1/members/{member['id']}/_erase", headers=bearer(admin))
    assert erased.status_code == 200, erased.text
    stored = await assert_keys_fit(member["id"])
    assert not any("zeynep" in stored[k] or "ozturk" in stored[k] for k in rules.KEY_FIELDS)
    assert await found(client, admin, "ozturk") == []
    assert await found(client, admin, "zeynep") == []


async def test_workshop_attendees_sort_their_display_names_the_same_way(client):
    admin = await make_key("admin")
    workshop = await make_workshop()
    names = ["Émile", "emma", "Ádám", "Zoë", "zara", "Øyvind"]
    for name in names:
        member = await make_member(displayName=name)
        assert (await attend(client, workshop["id"], member["id"], admin)).status_code == 201
    url = f"/v1/workshops/{workshop['id']}/attendees?pageSize=2"
    walked = await walk(client, url, admin)
    assert [m["displayName"] for m in walked] == ["Ádám", "Émile", "emma", "Øyvind", "zara", "Zoë"]


# --- the indexes under the sorts (Postgres's planner) -----------------------------------------


@pytest.mark.parametrize(
    ("filters", "sort", "index"),
    [
        ({}, None, "ix_members_family_name_key_id"),
        ({}, "-familyName", "ix_members_family_name_key_id"),
        ({"department_id": "department"}, "familyName", "ix_members_department_id_family_name_key"),
        ({}, "givenName", "ix_members_given_name_key_id"),
        ({}, "-displayName", "ix_members_display_name_key_id"),
    ],
)
async def test_postgres_reads_each_name_sort_from_its_index(
    client, backend_name, filters, sort, index
):
    if backend_name != "postgres":
        pytest.skip("the planner's choice is Postgres's")
    department = await make_department()
    await make_named(DUTCH, departmentId=str(department["id"]))
    values = {name: department["id"] if v == "department" else v for name, v in filters.items()}
    statement, params = repository.list_query(**values)
    for cursor in (None, forged(sort or "familyName", "de Graaf", str(uuid.uuid4()))):
        page = PageRequest(cursor=cursor, size=20, sort=sort)
        # The statement the list runs, as the fast reader sends it.
        paged, bound, _ = paginate_named(statement, page, repository.SORTING, params)
        compiled = fastread._compile(paged)
        args = [bound[slot.name] if slot.named else slot.value for slot in compiled.slots]
        async with database.engine.begin() as conn:
            # On a table this small the planner would scan and sort; with scans, bitmaps and
            # sorts priced out, a plan gives the rows in the sort's order only through an
            # index that serves it, and shows a Sort when there is none.
            for setting in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
                await conn.exec_driver_sql(f"SET LOCAL enable_{setting} = off")
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            plan = "\n".join(r[0] for r in await driver.fetch("EXPLAIN " + compiled.sql, *args))
        assert "Sort Key" not in plan, plan
        assert f"using {index} on members" in plan, plan
        if cursor is not None:
            # The scan starts at the position (an index condition), rather than reading
            # every row before it and filtering them out: a deep page costs a first page's.
            condition = next(line for line in plan.splitlines() if "Index Cond" in line)
            assert "ROW(" in condition, plan
            assert not any(line.strip().startswith("Filter:") for line in plan.splitlines()), plan
