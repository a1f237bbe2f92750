"""The published contract: response declarations for routes, and the document's final shape
(base path in `servers`, problem details, API-Version headers, security)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from app import __version__
from app.core.problems import PROBLEM_JSON

BASE_PATH = "/v1"
# The security scheme of an operation that a browser's EventSource opens with a stream ticket.
STREAM_TICKET = "streamTicket"
# The security scheme of the one operation a calendar program opens with a calendar ticket.
CALENDAR_TICKET = "calendarTicket"


class InvalidParamModel(BaseModel):
    name: str = Field(description="The property or parameter, as a JSON path for bodies.")
    in_: str = Field(alias="in", description="Where: body, query, path or header.")
    code: str = Field(description="A machine-readable reason.")
    reason: str = Field(description="A human-readable reason.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI of the problem type; `about:blank` for plain HTTP errors.")
    title: str
    status: int = Field(ge=100, le=599)
    detail: str
    instance: str = Field(description="The path of the request this problem is about.")
    invalidParams: list[InvalidParamModel] | None = Field(
        default=None, description="Every invalid input at once (400 only)."
    )
    supportedMediaTypes: list[str] | None = Field(
        default=None,
        description="The media types the operation answers, for a request to send in `Accept` "
        "(406 only).",
    )


_DESCRIPTIONS = {
    400: "Invalid input: every invalid property or parameter is listed in `invalidParams`.",
    401: "No valid credentials (see `WWW-Authenticate`).",
    403: "The caller's role may not do this.",
    404: "No such resource.",
    406: "The `Accept` header admits none of the media types this operation answers; "
    "`supportedMediaTypes` lists them.",
    409: "The request conflicts with the resource's current state.",
    410: "What the request points at is no longer kept.",
    412: "`If-Match` does not name the current version.",
    413: "The request body is too large.",
    415: "The body's media type is not supported.",
    422: "The Idempotency-Key was already used with another request.",
    429: "Too many requests; see `Retry-After`.",
    500: "Unexpected server error (no details are disclosed).",
    503: "The database is busy or unreachable; see `Retry-After`.",
}

_HEADER_DOCS = {
    "ETag": "The resource's version, for `If-Match`.",
    "Location": "URL of the created resource.",
    "Link": 'The next page, as `<url>; rel="next"` (absent on the last page).',
    "Retry-After": "Seconds to wait before retrying.",
    "WWW-Authenticate": "The authentication scheme (`Bearer`).",
}

ALWAYS = (401, 500, 503)
# 429: failing credentials from an address that failed too often are refused for a while,
# whatever they ask (app/auth/ratelimit.py), so every route that takes credentials can answer it.
READ = (400, 401, 403, 406, 429, 500, 503)
WRITE = (400, 401, 403, 409, 413, 415, 422, 429, 500, 503)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Declare error responses; the document's post-processing fills in the problem schema."""
    return {code: {"description": _DESCRIPTIONS[code]} for code in sorted(set(codes))}


def responses(
    status: int, description: str, *codes: int, headers: tuple[str, ...] = ()
) -> dict[int | str, dict[str, Any]]:
    declared = problems(*codes)
    declared[status] = {
        "description": description,
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in headers},
    }
    return declared


def _api_version_header() -> dict[str, Any]:
    return {
        "description": "The full semantic version of the API that answered.",
        "schema": {"type": "string", "example": __version__},
    }


def _component_headers() -> dict[str, Any]:
    headers = {"API-Version": _api_version_header()}
    for name, text in _HEADER_DOCS.items():
        schema: dict[str, Any] = (
            {"type": "integer"} if name == "Retry-After" else {"type": "string"}
        )
        headers[name] = {"description": text, "schema": schema}
    return headers


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _fix_operation(operation: dict[str, Any], public: bool) -> None:
    responses_ = operation.setdefault("responses", {})
    if "422" in responses_ and _is_fastapi_validation(responses_["422"]):
        del responses_["422"]
    # Every operation serves only the media types it declares (app/core/negotiation.py).
    responses_.setdefault("406", {"description": _DESCRIPTIONS[406]})
    operation["responses"] = responses_ = dict(sorted(responses_.items()))
    for code, response in list(responses_.items()):
        status = int(code)
        if status >= 400:
            response["content"] = _problem_content()
            response.setdefault("description", _DESCRIPTIONS.get(status, "Error"))
            headers = response.setdefault("headers", {})
            if status in (429, 503):
                headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
            if status == 401:
                headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
        headers = response.setdefault("headers", {})
        headers["API-Version"] = {"$ref": "#/components/headers/API-Version"}
    if public:
        operation["security"] = []


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


PUBLIC_OPERATIONS = frozenset({"health-get", "readiness-get", "openapi-get"})

_METHODS = ("get", "post", "put", "patch", "delete")
_PARAM_RE = re.compile(r"\{([^}]+)\}")


def _response_properties(response: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
    return set(schema.get("properties", {}))


def _has_if_match(operation: dict[str, Any]) -> bool:
    return any(
        p.get("in") == "header" and p.get("name") == "If-Match"
        for p in operation.get("parameters", [])
    )


def _link(
    target_id: str,
    target: dict[str, Any],
    target_path: str,
    known: dict[str, str],
    etag: bool,
) -> dict[str, Any] | None:
    """A link to `target`, or None when one of its path parameters has no known value."""
    parameters: dict[str, str] = {}
    for name in _PARAM_RE.findall(target_path):
        if name not in known:
            return None
        parameters[name] = known[name]
    if etag and _has_if_match(target):
        # The version just read or written, so that the chain's next write is not refused.
        parameters["header.If-Match"] = "$response.header.ETag"
    return {"operationId": target_id, "parameters": parameters}


# Text the API refuses for carrying U+0000 (see app/core/nul.py), declared so that clients and
# generated tests know it: Postgres text cannot hold the character.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# Strings whose format or pattern already leaves U+0000 out.
_FORMATS_WITHOUT_NUL = frozenset({"uuid", "date-time", "date"})


def _forbid_nul(schema: Any, schemas: dict[str, Any], seen: set[str]) -> None:
    if isinstance(schema, list):
        for item in schema:
            _forbid_nul(item, schemas, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _forbid_nul(schemas.get(name), schemas, seen)
    if (
        schema.get("type") == "string"
        and not {"pattern", "enum", "const"} & schema.keys()
        and schema.get("format") not in _FORMATS_WITHOUT_NUL
    ):
        schema["pattern"] = NO_NUL_PATTERN
    for key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties"):
        if key in schema:
            _forbid_nul(schema[key], schemas, seen)
    for value in schema.get("properties", {}).values():
        _forbid_nul(value, schemas, seen)


def forbid_nul_in_input(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Every text a client sends in a query or a body says it may not hold U+0000."""
    seen: set[str] = set()
    for item in paths.values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _forbid_nul(parameter.get("schema"), schemas, seen)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _forbid_nul(media.get("schema"), schemas, seen)


def _refs(schema: Any, schemas: dict[str, Any], found: set[str]) -> set[str]:
    """The component schemas `schema` names, directly or through others."""
    if isinstance(schema, list):
        for item in schema:
            _refs(item, schemas, found)
    elif isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in found:
                found.add(name)
                _refs(schemas.get(name), schemas, found)
        for value in schema.values():
            if isinstance(value, dict | list):
                _refs(value, schemas, found)
    return found


def defaults_in_words(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A request property that has a default says so in words, not as `default`: the server
    fills it in, so a client may leave it out, yet openapi-typescript (by default) types every
    property with a `default` as required. Schemas that answers use too keep theirs."""
    sent: set[str] = set()
    answered: set[str] = set()
    for item in paths.values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _refs(media.get("schema"), schemas, sent)
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    _refs(media.get("schema"), schemas, answered)
    for name in sorted(sent - answered):
        for prop in schemas.get(name, {}).get("properties", {}).values():
            if "default" in prop and prop["default"] is not None:
                default = prop.pop("default")
                said = f"Default: `{json.dumps(default, ensure_ascii=False)}`."
                text = prop.get("description", "").rstrip()
                # After a table (an enum's meanings), a paragraph of its own.
                prop["description"] = (
                    f"{text}{chr(10) * 2 if chr(10) in text else ' '}{said}".strip()
                )
            else:
                prop.pop("default", None)


def _drop_titles_below(schema: Any) -> None:
    """Drop the titles Pydantic derives from property names ("Ownergroupid") from every
    property of `schema`, however deep; a schema's own title (its class name) stays."""
    if isinstance(schema, list):
        for item in schema:
            _drop_titles_below(item)
        return
    if not isinstance(schema, dict):
        return
    for value in schema.get("properties", {}).values():
        if isinstance(value, dict):
            value.pop("title", None)
        _drop_titles_below(value)
    for key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties", "prefixItems"):
        if key in schema:
            _drop_titles_below(schema[key])


def drop_derived_titles(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """No title made up from a Python name: none on properties, parameters ("Pagesize") or an
    inline request body ("Data"). Generated clients and the docs name them by their keys."""
    for schema in schemas.values():
        _drop_titles_below(schema)
    for item in paths.values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                parameter.get("schema", {}).pop("title", None)
                _drop_titles_below(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                media.get("schema", {}).pop("title", None)
                _drop_titles_below(media.get("schema"))


def add_links(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """OpenAPI links for the create → get → update → delete chains, derived from the operation
    ids and paths: `<resource>-create` (POST on a collection) answers with the new resource,
    whose id fills the item path's parameter of every operation on that item and below it; the
    item's `-get` and `-update` answers link on to the item's other operations. A link passes
    the answer's ETag on as If-Match, so a generated chain of writes is not refused as stale."""
    operations = [
        (path, method, operation)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in _METHODS and operation.get("operationId")
    ]
    for path, method, operation in operations:
        op_id = operation["operationId"]
        resource, _, action = op_id.rpartition("-")
        if action == "create" and method == "post":
            status = "201"
            answer = operation["responses"].get(status, {})
            item_paths = {
                p for p, _, _ in operations if re.fullmatch(re.escape(path) + r"/\{[^}/]+\}", p)
            }
            if len(item_paths) != 1:
                continue
            item_path = item_paths.pop()
            item_param = _PARAM_RE.findall(item_path)[-1]
            properties = _response_properties(answer, schemas)
            field = item_param if item_param in properties else "id" if "id" in properties else None
            if field is None:
                continue
            known = {name: f"$request.path.{name}" for name in _PARAM_RE.findall(path)}
            known[item_param] = f"$response.body#/{field}"
        elif action in ("get", "update") and _PARAM_RE.search(path):
            status = "200"
            answer = operation["responses"].get(status, {})
            item_path = path
            known = {name: f"$request.path.{name}" for name in _PARAM_RE.findall(path)}
        else:
            continue
        if not resource or not answer:
            continue
        etag = "ETag" in answer.get("headers", {})
        links: dict[str, Any] = {}
        for target_path, _, target in operations:
            target_id = target["operationId"]
            below = target_path == item_path or target_path.startswith(item_path + "/")
            if not below or target_id == op_id:
                continue
            link = _link(target_id, target, target_path, known, etag)
            if link is not None:
                links[target_id] = link
        if links:
            answer["links"] = dict(sorted(links.items()))


# The server the served document names first: its own address, relative to the document
# (`/v1/openapi.json`), so that Swagger UI's "Try it out" calls the server that served it,
# whatever its scheme, host and port (`make run`: http://127.0.0.1:8000). The committed
# document leaves it out: the ADR ruleset wants every server absolute and https
# (`nlgov:servers-use-https`), which is the deployment's `https://{host}/v1`.
THIS_SERVER = {
    "url": BASE_PATH,
    "description": "The server that served this document (its own scheme, host and port), "
    "e.g. `make run`'s http://127.0.0.1:8000/v1.",
}


def served(document: dict[str, Any]) -> dict[str, Any]:
    """The document as `/v1/openapi.json` serves it: the committed one, with the server that
    served it named first."""
    return {**document, "servers": [THIS_SERVER, *document.get("servers", [])]}


def add_examples(schemas: dict[str, Any], examples: Mapping[str, Any]) -> None:
    """Each example on its component schema, once (`examples`, JSON Schema's keyword, which
    OpenAPI 3.1 keeps): Swagger UI and ReDoc show it in every body and answer of that shape,
    and a list's page shows its items' example unless it has one of its own."""
    for name, example in examples.items():
        if name not in schemas:
            raise KeyError(f"an example for {name}, which the document does not have")
        schemas[name]["examples"] = [example]


def add_path_examples(paths: dict[str, Any], examples: Mapping[str, Any]) -> None:
    """An example for each path parameter that has one, by the parameter's name."""
    for item in paths.values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in examples:
                    parameter["example"] = examples[parameter["name"]]


def build_document(
    app: FastAPI,
    *,
    title: str,
    description: str,
    examples: Mapping[str, Any] | None = None,
    path_examples: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    # Every route goes in: FastAPI ≥ 0.165 keeps included routers as lazy `_IncludedRouter`
    # entries without a `path`, which only get_openapi knows how to expand. Paths outside the
    # base path are dropped from the result below instead.
    document = get_openapi(
        title=title,
        version=__version__,
        openapi_version="3.1.0",
        description=description,
        routes=app.routes,
        tags=getattr(app, "openapi_tags", None),
    )
    document["info"]["contact"] = {
        "name": "Leergemeenschap Amsterdam Circulair, team circulaire economie",
        "url": "https://leergemeenschap.amsterdam.example/contact",
        "email": "leergemeenschap@amsterdam.example",
    }
    document["info"]["license"] = {
        "name": "EUPL-1.2",
        "url": "https://eupl.eu/1.2/nl/",
    }
    document["servers"] = [
        {
            "url": "https://{host}" + BASE_PATH,
            "description": "This API; `host` is where it is deployed.",
            "variables": {"host": {"default": "localhost:8000"}},
        }
    ]
    paths: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        if not path.startswith(BASE_PATH + "/"):
            continue
        stripped = path[len(BASE_PATH) :] or "/"
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                _fix_operation(operation, operation.get("operationId") in PUBLIC_OPERATIONS)
        paths[stripped] = item
    document["paths"] = paths
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas["Problem"] = problem_schema
    forbid_nul_in_input(paths, schemas)
    defaults_in_words(paths, schemas)
    drop_derived_titles(paths, schemas)
    add_examples(schemas, examples or {})
    add_path_examples(paths, path_examples or {})
    add_links(paths, schemas)
    components["headers"] = _component_headers()
    components["securitySchemes"] = {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`lgk_…`) or an OIDC access token.",
        },
        STREAM_TICKET: {
            "type": "apiKey",
            "in": "query",
            "name": "ticket",
            "description": "A stream ticket (`lgs_…`, `POST /changes/stream-tickets`): for a "
            "browser's EventSource on the change feed's event stream only, which cannot send "
            "an Authorization header.",
        },
        CALENDAR_TICKET: {
            "type": "apiKey",
            "in": "query",
            "name": "ticket",
            "description": "A calendar ticket (`lgc_…`, `POST /me/calendar-subscription/"
            "_renew`): for a calendar program subscribed to a member's own werkplaatsen feed "
            "only, which cannot send an Authorization header.",
        },
    }
    document["security"] = [{"bearerAuth": []}]
    return document
