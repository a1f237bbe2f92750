"""The interactive docs are served from the package (the intranet has no CDN), and the
committed OpenAPI document is exactly the one the app serves."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin

import pytest
from pydantic import BaseModel, TypeAdapter

from app.cli import openapi_text
from app.demo.examples import demo_ids
from app.demo.loader import plan_story, seed_demo
from tests.core.support import assert_contract_headers
from tests.factories import bearer, make_key

ROOT = Path(__file__).resolve().parents[2]
ASSET_RE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*['"]([^'"]+)['"]""")


def _references(html: str) -> list[str]:
    return [a or b for a, b in ASSET_RE.findall(html)]


@pytest.mark.parametrize("path", ["/v1/docs", "/v1/redoc"])
async def test_docs_are_served_with_local_assets_only(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_contract_headers(response)
    html = response.text
    assert "/v1/openapi.json" in html
    references = _references(html)
    assets = [ref for ref in references if ref.startswith("/v1/docs-static/")]
    assert any(ref.endswith(".js") for ref in assets), references
    external = [ref for ref in references if re.match(r"^(https?:)?//", ref)]
    assert not external, f"{path} loads from elsewhere: {external}"
    for cdn in ("cdn.jsdelivr", "unpkg.com", "fonts.googleapis", "cdnjs"):
        assert cdn not in html
    for asset in assets:
        fetched = await client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 100, asset


async def test_docs_static_does_not_serve_outside_its_folder(client):
    response = await client.get("/v1/docs-static/../../app/core/config.py")
    assert response.status_code == 404


def test_committed_openapi_document_matches_the_app():
    committed = (ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_text(), (
        "openapi/openapi.json is stale: run `leergemeenschap openapi` and commit the result"
    )


def _committed() -> dict[str, Any]:
    return cast(
        dict[str, Any], json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    )


async def test_served_document_is_the_committed_one_with_its_own_server_first(client):
    served = (await client.get("/v1/openapi.json")).json()
    committed = _committed()
    assert served["servers"][1:] == committed["servers"]
    assert {**served, "servers": committed["servers"]} == committed


async def test_try_it_out_calls_the_server_that_served_the_document(client):
    """Swagger UI resolves a relative server against the document's own address: on `make run`
    (http://127.0.0.1:8000/v1/openapi.json) that is http://127.0.0.1:8000/v1, not https."""
    served = (await client.get("/v1/openapi.json")).json()
    first = served["servers"][0]
    assert first["url"] == "/v1"
    assert "variables" not in first
    resolved = urljoin("http://127.0.0.1:8000/v1/openapi.json", first["url"])
    assert resolved == "http://127.0.0.1:8000/v1"
    # ... and every path of the document is served there.
    health = await client.get(first["url"] + "/health")
    assert health.status_code == 200


def test_committed_servers_are_absolute_https_with_the_major_version():
    """What the ADR ruleset asks of `servers` (nlgov:servers-use-https,
    nlgov:include-major-version-in-uri); the served document adds the relative one."""
    for server in _committed()["servers"]:
        assert server["url"].startswith("https://")
        assert re.search(r"/v\d", server["url"])


def _walk(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object of the document, with its JSON pointer."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def test_no_title_is_made_up_from_a_python_name():
    """Pydantic titles every property ("Ownergroupid") and FastAPI every parameter ("Pagesize");
    the document keeps only the schemas' own titles (their names)."""
    document = _committed()
    made_up = [
        f"{path}/{name}"
        for path, node in _walk(document)
        if isinstance(node.get("properties"), dict)
        for name, schema in node["properties"].items()
        if isinstance(schema, dict) and "title" in schema
    ]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if "title" in parameter.get("schema", {}):
                    made_up.append(f"{method} {path} {parameter['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "title" in media.get("schema", {}):
                    made_up.append(f"{method} {path} requestBody")
    assert not made_up, made_up
    for name, schema in document["components"]["schemas"].items():
        assert schema.get("title", name) == name


def _glossary(markdown: str) -> list[str]:
    start = markdown.index("| API | Dutch |")
    rows = []
    for line in markdown[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_the_glossary_is_in_the_document_as_in_the_readme():
    description = _committed()["info"]["description"]
    glossary = _glossary(description)
    assert glossary == _glossary((ROOT / "README.md").read_text(encoding="utf-8"))
    terms = dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", "\n".join(glossary), re.M))
    for english, dutch in {
        "workshop": "werkplaats",
        "learning question": "leervraag",
        "learning agenda": "leeragenda",
        "theme": "thema",
        "learning group": "leergroep",
    }.items():
        assert terms[english] == dutch


def test_every_enum_value_is_described():
    """Each enum keeps its plain `enum` (generated clients make a string union of it) and says
    what every value means, in `x-enumDescriptions` and as a table in its description."""
    enums = [(path, node) for path, node in _walk(_committed()) if "enum" in node]
    assert len(enums) > 20
    for path, schema in enums:
        meanings = schema.get("x-enumDescriptions")
        assert isinstance(meanings, dict), f"{path}: no x-enumDescriptions"
        assert list(meanings) == schema["enum"] or set(meanings) == set(schema["enum"]), path
        for value, meaning in meanings.items():
            assert meaning.strip(), f"{path}: {value}"
            assert f"| `{value}` | {meaning} |" in schema["description"], f"{path}: {value}"
        assert "oneOf" not in schema and "anyOf" not in schema, path


def test_enum_values_name_the_dutch_terms():
    schemas = _committed()["components"]["schemas"]
    assert "Deelnemer" in schemas["Participation"]["x-enumDescriptions"]["participant"]
    assert "Volger" in schemas["Participation"]["x-enumDescriptions"]["follower"]
    assert "Verbinder" in schemas["TransitionRole"]["x-enumDescriptions"]["verbinder"]
    assert "leervraag" in schemas["QuestionStatus"]["description"]
    assert "leeragenda" in schemas["RevisionStatus"]["description"]


def test_a_value_without_a_meaning_is_refused_at_import():
    import enum

    from app.core.enums import described

    with pytest.raises(TypeError, match="no meaning for"):

        @described("Two values, one meaning.", {"a": "A"})
        class Half(enum.StrEnum):
            A = "a"
            B = "b"


# --- examples: from the demo story, on every request body and the main answers ----------------

MAIN_RESPONSES = (
    "MemberRead",
    "MemberPage",
    "DepartmentRead",
    "OrganisationRead",
    "ThemeRead",
    "WorkshopRead",
    "GroupDetail",
    "CaseRead",
    "QuestionRead",
    "RevisionRead",
    "InsightRead",
    "GroupRead",
    "RevisionSummary",
    "MembershipRead",
    "AttendeeRead",
)
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _schema_of(media: dict[str, Any], schemas: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The component a body's schema names (directly, or as the one choice besides null)."""
    schema = media["schema"]
    refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
    name = next(ref for ref in refs if ref).rsplit("/", 1)[-1]
    return name, schemas[name]


def test_every_request_body_has_an_example():
    document = _committed()
    schemas = document["components"]["schemas"]
    missing = []
    bodies = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                bodies += 1
                name, schema = _schema_of(media, schemas)
                if not (schema.get("examples") or "example" in media or "examples" in media):
                    missing.append(f"{method} {path} {media_type} ({name})")
    assert bodies > 25
    assert not missing, missing


def test_the_main_answers_have_examples():
    schemas = _committed()["components"]["schemas"]
    for name in MAIN_RESPONSES:
        assert len(schemas[name].get("examples", [])) == 1, name


def _python_type(name: str) -> Any:
    """The Pydantic model or response shape a component schema was made from."""
    found = []
    for module in (ROOT / "app").glob("*/schemas.py"):
        imported = importlib.import_module(f"app.{module.parent.name}.schemas")
        candidate = imported.__dict__.get(name)
        if candidate is not None and getattr(candidate, "__module__", "") == imported.__name__:
            found.append(candidate)
    assert len(found) == 1, (name, found)
    return found[0]


def test_every_example_is_valid_input_or_a_true_answer():
    """Request examples pass their model's validation as a client's body would; answer
    examples are their shape, key for key."""
    schemas = _committed()["components"]["schemas"]
    examples = {name: s["examples"][0] for name, s in schemas.items() if "examples" in s}
    for name, example in examples.items():
        kind = _python_type(name)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            kind.model_validate_json(json.dumps(example))
        else:
            TypeAdapter(kind).validate_json(json.dumps(example))
            keys = set(example)
            assert kind.__required_keys__ <= keys, (name, kind.__required_keys__ - keys)
            extra = keys - kind.__required_keys__ - kind.__optional_keys__
            assert not extra, (name, extra)


def test_examples_name_only_the_demo_story():
    """Every id in an example is one the demo loader gives a record, every e-mail address a
    demo member's: the examples fit together and name what `make run` has loaded."""
    story = plan_story()
    emails = {m.email for m in story.members}
    ids = {str(i) for i in demo_ids()}
    for path, node in _walk(
        {
            n: s["examples"]
            for n, s in _committed()["components"]["schemas"].items()
            if "examples" in s
        }
    ):
        for key, value in node.items():
            if isinstance(value, str) and UUID_RE.match(value):
                assert value in ids, f"{path}/{key}: {value}"
            if key == "email":
                assert value in emails, f"{path}: {value}"
    member = _committed()["components"]["schemas"]["MemberRead"]["examples"][0]
    assert (member["givenName"], member["familyName"]) in {
        (m.given_name, m.family_name) for m in story.members
    }


def _same(example: Any, answer: Any, path: str) -> None:
    """The example as the API answers it, but for times of writing (the demo writes its records
    when it is loaded; the example shows the story's times) and lists cut short."""
    if isinstance(example, dict):
        assert isinstance(answer, dict), path
        assert set(example) == set(answer), (path, set(example) ^ set(answer))
        for key, value in example.items():
            if key in ("createdAt", "updatedAt", "next"):
                continue
            _same(value, answer[key], f"{path}/{key}")
    elif isinstance(example, list):
        assert isinstance(answer, list) and len(example) <= len(answer), path
        if example and isinstance(example[0], dict) and "id" in example[0]:
            by_id = {item.get("id"): item for item in answer}
            for index, item in enumerate(example):
                _same(item, by_id.get(item["id"]), f"{path}/{index}")
        else:
            for index, item in enumerate(example):
                _same(item, answer[index], f"{path}/{index}")
    else:
        assert example == answer, f"{path}: the example says {example!r}, the API {answer!r}"


async def test_answer_examples_are_what_the_demo_answers(client):
    await seed_demo()
    headers = bearer(await make_key("admin"))
    examples = {
        name: schema["examples"][0]
        for name, schema in _committed()["components"]["schemas"].items()
        if name in MAIN_RESPONSES
    }
    urls = {
        "MemberRead": f"/v1/members/{examples['MemberRead']['id']}",
        "DepartmentRead": f"/v1/departments/{examples['DepartmentRead']['id']}",
        "OrganisationRead": f"/v1/organisations/{examples['OrganisationRead']['id']}",
        "ThemeRead": f"/v1/themes/{examples['ThemeRead']['id']}",
        "WorkshopRead": f"/v1/workshops/{examples['WorkshopRead']['id']}",
        "GroupDetail": f"/v1/learning-groups/{examples['GroupDetail']['id']}",
        "CaseRead": f"/v1/cases/{examples['CaseRead']['id']}",
        "QuestionRead": f"/v1/learning-questions/{examples['QuestionRead']['id']}",
        "RevisionRead": f"/v1/agenda/revisions/{examples['RevisionRead']['number']}",
        "InsightRead": f"/v1/insights/{examples['InsightRead']['id']}",
    }
    for name, url in urls.items():
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 200, (name, answer.text)
        _same(examples[name], answer.json(), name)
    group, membership = examples["GroupRead"], examples["MembershipRead"]
    listed = {
        "GroupRead": f"/v1/learning-groups?pageSize=100&themeId={group['themeId']}",
        "RevisionSummary": "/v1/agenda/revisions?pageSize=100",
    }
    for name, url in listed.items():
        answer = (await client.get(url, headers=headers)).json()
        key = "id" if "id" in examples[name] else "number"
        found = [item for item in answer["items"] if item[key] == examples[name][key]]
        assert len(found) == 1, (name, answer)
        _same(examples[name], found[0], name)
    single = {
        "MembershipRead": f"/v1/learning-groups/{group['id']}/memberships/{membership['id']}",
        "AttendeeRead": "/v1/workshops/{workshopId}/attendees/{memberId}".format(
            **examples["AttendeeRead"]
        ),
    }
    for name, url in single.items():
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 200, (name, answer.text)
        _same(examples[name], answer.json(), name)
    page = examples["MemberPage"]
    for item in page["items"]:
        answer = await client.get(f"/v1/members/{item['id']}", headers=headers)
        _same(item, answer.json(), "MemberPage")
    # Every GET whose path parameters all have examples finds the demo's record.
    document = _committed()
    tried = 0
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        parameters = operation.get("parameters", [])
        in_path = [p for p in parameters if p["in"] == "path"]
        needed = [p for p in parameters if p["in"] == "query" and p.get("required")]
        if not in_path or needed or not all("example" in p for p in in_path):
            continue
        if path.endswith("/me"):
            continue  # the caller's own (a sign-up): what it finds depends on who asks
        url = path
        for parameter in in_path:
            url = url.replace("{" + parameter["name"] + "}", str(parameter["example"]))
        answer = await client.get("/v1" + url, headers=headers)
        assert answer.status_code == 200, (path, url, answer.text[:300])
        tried += 1
    assert tried >= 12
