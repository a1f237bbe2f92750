"""The OpenAPI document of /scim/v2, published apart from the /v1 document: SCIM's paths,
media type and error format follow RFC 7644, not the NL API Design Rules the /v1 document is
linted against."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app import __version__
from app.scim.schemas import SCIM_JSON, Group, UserResource

_BODIES = {
    "scim-users-create": "User",
    "scim-users-replace": "User",
    "scim-users-patch": "PatchOp",
    "scim-users-search": "SearchRequest",
    "scim-groups-create": "Group",
    "scim-groups-replace": "Group",
    "scim-groups-patch": "PatchOp",
    "scim-groups-search": "SearchRequest",
    "scim-search": "SearchRequest",
}

_ANSWERS = {
    "scim-users-create": (201, "User"),
    "scim-users-get": (200, "User"),
    "scim-users-replace": (200, "User"),
    "scim-users-patch": (200, "User"),
    "scim-users-list": (200, "ListResponse"),
    "scim-users-search": (200, "ListResponse"),
    "scim-groups-create": (201, "Group"),
    "scim-groups-get": (200, "Group"),
    "scim-groups-replace": (200, "Group"),
    "scim-groups-patch": (200, "Group"),
    "scim-groups-list": (200, "ListResponse"),
    "scim-groups-search": (200, "ListResponse"),
    "scim-search": (200, "ListResponse"),
    "scim-service-provider-config-get": (200, "Object"),
    "scim-schemas-list": (200, "ListResponse"),
    "scim-schemas-get": (200, "Object"),
    "scim-resource-types-list": (200, "ListResponse"),
    "scim-resource-types-get": (200, "Object"),
}

_ERRORS = {
    "400": (
        "Invalid request (scimType invalidValue, invalidFilter, invalidSyntax, mutability for "
        "removing a required attribute, ...)."
    ),
    "401": "No valid sync or admin API key.",
    "403": "The key's role may not provision.",
    "404": "No such resource (also after DELETE).",
    "406": (
        "The `Accept` header admits neither `application/scim+json` nor `application/json` "
        "(the document itself: `application/json`)."
    ),
    "409": "A unique attribute is taken (scimType uniqueness).",
    "500": "Unexpected server error.",
    "503": "The database is busy; retry.",
}


def _content(name: str) -> dict[str, Any]:
    return {SCIM_JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _message_schemas() -> dict[str, Any]:
    urn = "urn:ietf:params:scim:api:messages:2.0:"
    schemas_property = {"type": "array", "items": {"type": "string"}}
    return {
        "Error": {
            "type": "object",
            "description": "RFC 7644 §3.12 error; `status` is a string.",
            "required": ["schemas", "status"],
            "properties": {
                "schemas": {**schemas_property, "example": [urn + "Error"]},
                "status": {"type": "string", "example": "400"},
                "scimType": {"type": "string", "example": "invalidValue"},
                "detail": {"type": "string"},
            },
        },
        "PatchOp": {
            "type": "object",
            "description": "RFC 7644 §3.5.2; `op` in any case (Entra sends Add/Replace/Remove).",
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": {**schemas_property, "example": [urn + "PatchOp"]},
                "Operations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["op"],
                        "properties": {
                            "op": {"type": "string", "example": "replace"},
                            "path": {"type": "string", "example": "active"},
                            "value": {},
                        },
                    },
                },
            },
        },
        "SearchRequest": {
            "type": "object",
            "description": "RFC 7644 §3.4.3.",
            "properties": {
                "schemas": {**schemas_property, "example": [urn + "SearchRequest"]},
                "filter": {"type": "string", "example": 'userName eq "a.jansen@amsterdam.nl"'},
                "startIndex": {"type": "integer", "minimum": 1},
                "count": {"type": "integer", "minimum": 0},
                "attributes": {"type": "array", "items": {"type": "string"}},
                "excludedAttributes": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ListResponse": {
            "type": "object",
            "description": "RFC 7644 §3.4.2.",
            "properties": {
                "schemas": {**schemas_property, "example": [urn + "ListResponse"]},
                "totalResults": {"type": "integer"},
                "startIndex": {"type": "integer"},
                "itemsPerPage": {"type": "integer"},
                "Resources": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Object": {"type": "object", "description": "A SCIM discovery resource (RFC 7643)."},
    }


def _resource_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name, model in (("User", UserResource), ("Group", Group)):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for definition_name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(definition_name, definition)
        schema["title"] = name
        schemas[name] = schema
    return schemas


def scim_document(app: FastAPI, base: str) -> dict[str, Any]:
    """The document of the SCIM application `app`, mounted at `base`."""
    cached = getattr(app.state, "scim_openapi", None)
    if isinstance(cached, dict):
        return cached
    document = get_openapi(
        title="Leergemeenschap SCIM 2.0",
        version=__version__,
        openapi_version="3.1.0",
        description=(
            "SCIM 2.0 provisioning (RFC 7643/7644) for identity providers such as Microsoft "
            "Entra ID and Okta: Users are the community's members, Groups its departments. "
            "Paths, the `application/scim+json` media type and the error format follow RFC "
            "7644 rather than the NL API Design Rules of the /v1 API. Authenticate with a "
            "Bearer API key of role `sync` or `admin`."
        ),
        routes=app.routes,
    )
    # The application's own routes do not know where it is mounted.
    document["paths"] = {base + path: item for path, item in document.get("paths", {}).items()}
    for item in document["paths"].values():
        for operation in item.values():
            operation_id = operation.get("operationId", "")
            operation.pop("tags", None)
            responses: dict[str, Any] = {}
            status, schema = _ANSWERS.get(operation_id, (204, ""))
            responses[str(status)] = {"description": "Success."}
            if schema:
                responses[str(status)]["content"] = _content(schema)
            for code, text in _ERRORS.items():
                responses[code] = {"description": text, "content": _content("Error")}
            operation["responses"] = responses
            if operation_id in _BODIES:
                operation["requestBody"] = {
                    "required": True,
                    "content": _content(_BODIES[operation_id]),
                }
    components = document.setdefault("components", {})
    schemas: dict[str, Any] = {}
    components["schemas"] = schemas
    schemas.update(_resource_schemas())
    schemas.update(_message_schemas())
    components["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A sync or admin key."}
    }
    document["security"] = [{"bearerAuth": []}]
    document["servers"] = [{"url": "/", "description": "This deployment."}]
    app.state.scim_openapi = document
    return document
