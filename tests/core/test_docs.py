"""The interactive docs are served from the package (the intranet has no CDN), and the
committed OpenAPI document is exactly the one the app serves."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urljoin

import pytest

from app.cli import openapi_text
from tests.core.support import assert_contract_headers

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
