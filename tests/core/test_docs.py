"""The interactive docs are served from the package (the intranet has no CDN), and the
committed OpenAPI document is exactly the one the app serves."""

from __future__ import annotations

import re
from pathlib import Path

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


async def test_served_document_is_the_committed_one(client):
    import json

    served = (await client.get("/v1/openapi.json")).json()
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    assert served == committed
