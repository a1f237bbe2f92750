"""Content negotiation: every operation of both applications serves the media types it declares
and no other; an Accept header that admits none of them is a 406 naming them."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import APIRoute

from app.core.config import Settings
from app.core.negotiation import choose, parse_accept
from app.core.routes import ContractRoute
from app.main import create_app
from tests.core.support import assert_problem, full_paths
from tests.factories import bearer, make_key

SCIM_JSON = "application/scim+json"


def _routes() -> list[tuple[ContractRoute, str, str]]:
    found = []
    for route, path in full_paths(create_app(Settings()).routes):
        if isinstance(route, APIRoute):
            assert isinstance(route, ContractRoute), path
            for method in sorted(route.methods - {"HEAD"}):
                found.append((route, method, path))
    return found


ROUTES = _routes()
IDS = [f"{method} {path}" for _, method, path in ROUTES]


def _concrete(path: str) -> str:
    path = path.replace("{number}", "1")
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_operation_is_covered():
    assert len(ROUTES) > 90
    served = {media for route, _, _ in ROUTES for media in route.media_types}
    assert served == {
        "application/json",
        "text/calendar",
        "text/csv",
        "text/event-stream",
        "text/html",
        SCIM_JSON,
    }


@pytest.mark.parametrize(("route", "method", "path"), ROUTES, ids=IDS)
async def test_an_unsupported_accept_is_406_and_a_supported_one_is_served(
    client, route, method, path
):
    headers = bearer(await make_key("admin"))
    url = _concrete(path)
    if method in ("POST", "PUT", "PATCH"):
        headers["Content-Type"] = SCIM_JSON if path.startswith("/scim/") else "application/json"

    refused = await client.request(method, url, headers={**headers, "Accept": "application/xml"})
    if path.startswith("/scim/"):
        # The SCIM application's errors are SCIM errors (RFC 7644 §3.12).
        assert refused.status_code == 406, refused.text
        assert refused.headers["content-type"] == SCIM_JSON
        assert refused.json()["status"] == "406"
        assert route.media_types[0] in refused.json()["detail"]
    else:
        problem = assert_problem(refused, 406)
        assert problem["supportedMediaTypes"] == list(route.media_types)

    # Each type the operation serves, as the only type accepted; and the usual wildcards.
    # (An event stream never ends: tests/changes/test_stream.py reads it as it comes.)
    streams = {"text/event-stream"}
    accepted = [
        *(m for m in route.media_types if m not in streams),
        "*/*",
        f"{route.media_types[0].split('/')[0]}/*",
    ]
    if route.media_types == (SCIM_JSON,):
        accepted.append("application/json")
    for accept in accepted:
        answer = await client.request(method, url, headers={**headers, "Accept": accept})
        assert answer.status_code != 406, (accept, answer.text)
        assert answer.status_code < 500, (accept, answer.text)
        if 200 <= answer.status_code < 300 and answer.status_code != 204:
            wanted = accept if "*" not in accept else route.media_types[0]
            assert answer.headers["content-type"].split(";")[0] == wanted, accept


async def test_scim_answers_application_json_to_a_client_that_asks_for_it(client):
    headers = bearer(await make_key("sync"))
    plain = await client.get("/scim/v2/Users", headers={**headers, "Accept": "application/json"})
    assert plain.status_code == 200, plain.text
    assert plain.headers["content-type"] == "application/json"
    scim = await client.get(
        "/scim/v2/Users", headers={**headers, "Accept": "application/json, application/scim+json"}
    )
    assert scim.headers["content-type"] == SCIM_JSON
    assert scim.json() == plain.json()


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 200),
        ("", 200),
        ("*/*", 200),
        ("application/*", 200),
        ("application/json", 200),
        ("APPLICATION/JSON; charset=utf-8", 200),
        ("application/problem+json", 200),
        ("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", 200),
        ("application/json;q=0, */*", 406),
        ("application/xml, text/csv", 406),
        ("text/csv", 406),
        ("application/json;q=0", 406),
    ],
)
async def test_accept_headers_on_a_json_list(client, accept, status):
    headers = bearer(await make_key("reader"))
    if accept is not None:
        headers["Accept"] = accept
    response = await client.get("/v1/members", headers=headers)
    if status == 406:
        assert assert_problem(response, 406)["supportedMediaTypes"] == ["application/json"]
    else:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"


async def test_a_problem_is_problem_json_whatever_was_accepted(client):
    headers = {**bearer(await make_key("reader")), "Accept": "text/csv"}
    missing = await client.get("/v1/agenda/revisions/7/export.csv", headers=headers)
    assert_problem(missing, 404)


async def test_a_wrong_method_is_405_before_406(client):
    headers = {**bearer(await make_key("reader")), "Accept": "application/xml"}
    assert (await client.put("/v1/members", headers=headers)).status_code == 405


def test_parsing_and_choosing():
    assert parse_accept("text/csv;q=0.5 , application/json") == (
        ("text", "csv", 0.5),
        ("application", "json", 1.0),
    )
    assert parse_accept("nonsense, text/;q=1, application/json;q=x") == (
        ("application", "json", 0.0),
    )
    offered = ("application/scim+json", "application/json")
    assert choose("application/json", offered) == "application/json"
    assert choose("application/*", offered) == "application/scim+json"
    assert choose("application/json, application/scim+json;q=0.9", offered) == "application/json"
    assert choose("application/*;q=0.1, application/json;q=0", offered) == ("application/scim+json")
    assert choose("text/*", offered) is None
    assert choose("garbage", offered) == "application/scim+json"


async def test_a_refused_post_changes_nothing_and_leaves_its_idempotency_key_usable(client):
    headers = {**bearer(await make_key("admin")), "Idempotency-Key": "dept-406"}
    body = {"code": "RenD", "name": "Ruimte en Duurzaamheid", "kind": "directie"}
    refused = await client.post(
        "/v1/departments", json=body, headers={**headers, "Accept": "text/csv"}
    )
    assert_problem(refused, 406)
    listed = await client.get("/v1/departments", headers=bearer(await make_key("reader")))
    assert listed.json()["items"] == []
    created = await client.post("/v1/departments", json=body, headers=headers)
    assert created.status_code == 201, created.text
