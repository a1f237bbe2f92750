"""HTTP routes of the SCIM application, mounted at /scim/v2 (RFC 7644). Answers are
`application/scim+json`; every error, the authentication ones included, is a SCIM Error
(`schemas`, `status` as a string, `scimType`) rendered by app/scim/errors.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
import scim2_models as sm
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from app.core.db import ReadDb, WriteDb
from app.core.http import PUBLIC_DOCUMENT, json_response
from app.core.permissions import CanSync
from app.core.routes import ContractRoute
from app.scim import service
from app.scim.errors import ScimProblem
from app.scim.openapi import scim_document
from app.scim.schemas import MAX_RESULTS, PROVIDER, SCIM_JSON, Group, UserResource


class ScimRoute(ContractRoute):
    """Turns the refusals scim2-models raises into errors the SCIM application's handlers
    render (app/scim/errors.py) once the request's transaction has ended."""

    # Identity providers send parameters of their own; RFC 7644 has them ignored.
    strict_query = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def scim(request: Request) -> Response:
            try:
                return await handler(request)
            except sm.SCIMException as exc:
                error = exc.to_error()
                detail = error.detail or str(exc)
                raise ScimProblem(error.status or exc.status, detail, error.scim_type) from None

        return scim


class ScimResponse(Response):
    """What a SCIM operation answers (and what content negotiation offers for it)."""

    media_type = SCIM_JSON


router = APIRouter(route_class=ScimRoute, tags=["scim"], default_response_class=ScimResponse)


def scim_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return ScimResponse(orjson.dumps(data), status_code=status, headers=headers)


def mount_path(request: Request) -> str:
    """Where the SCIM application is mounted in the service (/scim/v2)."""
    mount: str = request.scope["root_path"][len(request.scope.get("app_root_path", "")) :]
    return mount


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + mount_path(request)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        raise sm.InvalidSyntaxException(detail="The request has no body.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise sm.InvalidSyntaxException(detail="The body is not valid JSON.") from None


def resource_id(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise sm.NotFoundException(detail=f"No {what} has id {raw}.") from None


Filter = Annotated[str | None, Query(max_length=2000, description="RFC 7644 §3.4.2.2.")]
StartIndex = Annotated[str | None, Query(alias="startIndex", description="1-based.")]
Count = Annotated[str | None, Query(description=f"At most {MAX_RESULTS}.")]
Attributes = Annotated[str | None, Query(max_length=2000)]
Excluded = Annotated[str | None, Query(alias="excludedAttributes", max_length=2000)]


def _search(model: Any, values: dict[str, Any], context: sm.Context | None = None) -> Any:
    data = {key: value for key, value in values.items() if value is not None}
    for key in ("startIndex", "count"):
        if isinstance(data.get(key), str):
            try:
                data[key] = int(data[key])
            except ValueError:
                raise sm.InvalidValueException(detail=f"{key} must be an integer.") from None
    try:
        return sm.SearchRequest[model].model_validate(data, scim_ctx=context)
    except ValidationError as exc:
        errors = sm.Error.from_validation_errors(exc)
        first = errors[0]
        raise sm.SCIMException.from_error(
            sm.Error(status=400, scim_type=first.scim_type or "invalidValue", detail=first.detail)
        ) from None


def _parameters(model: Any, attributes: str | None, excluded: str | None) -> Any:
    return _search(model, {"attributes": attributes, "excludedAttributes": excluded})


def _dump(resource: Any, parameters: Any = None) -> dict[str, Any]:
    dumped: dict[str, Any] = resource.model_dump(
        scim_ctx=sm.Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
    )
    return dumped


def _list_body(model: Any, total: int, start: int, resources: list[Any], params: Any) -> Any:
    listing = sm.ListResponse[model](
        total_results=total,
        start_index=start,
        items_per_page=len(resources),
        resources=resources or None,
    )
    return listing.model_dump(
        scim_ctx=sm.Context.RESOURCE_QUERY_RESPONSE, response_parameters=params
    )


def _etag(resource: Any) -> dict[str, str]:
    return {"ETag": resource.meta.version, "Location": resource.meta.location}


def _answer(resource: Any, status: int = 200, params: Any = None) -> Response:
    return scim_response(_dump(resource, params), status=status, headers=_etag(resource))


def _listing(model: Any, listing: service.Listing, params: Any) -> Response:
    return scim_response(_list_body(model, listing.total, listing.start, listing.resources, params))


# --- discovery ----------------------------------------------------------------------------


def _discovery_meta(kind: str, location: str) -> sm.Meta:
    return sm.Meta(resource_type=kind, location=location)


def _schemas(request: Request) -> list[sm.Schema]:
    schemas = []
    for schema in PROVIDER.schemas:
        copy = schema.model_copy()
        copy.meta = _discovery_meta("Schema", f"{base_url(request)}/Schemas/{schema.id}")
        schemas.append(copy)
    return schemas


def _resource_types(request: Request) -> list[sm.ResourceType]:
    types = []
    for resource_type in PROVIDER.resource_types:
        copy = resource_type.model_copy()
        copy.meta = _discovery_meta(
            "ResourceType", f"{base_url(request)}/ResourceTypes/{resource_type.id}"
        )
        types.append(copy)
    return types


@router.get("/ServiceProviderConfig", operation_id="scim-service-provider-config-get")
async def service_provider_config(request: Request, _: CanSync) -> Response:
    config = PROVIDER.config
    assert config is not None
    copy = config.model_copy()
    copy.meta = _discovery_meta(
        "ServiceProviderConfig", f"{base_url(request)}/ServiceProviderConfig"
    )
    return scim_response(_dump(copy))


@router.get("/Schemas", operation_id="scim-schemas-list")
async def list_schemas(request: Request, _: CanSync) -> Response:
    schemas = _schemas(request)
    return scim_response(_list_body(sm.Schema, len(schemas), 1, schemas, None))


@router.get("/Schemas/{schemaId}", operation_id="scim-schemas-get")
async def get_schema(
    request: Request, _: CanSync, schema_id: Annotated[str, Path(alias="schemaId")]
) -> Response:
    for schema in _schemas(request):
        if str(schema.id).lower() == schema_id.lower():
            return scim_response(_dump(schema))
    raise sm.NotFoundException(detail=f"No schema {schema_id}.")


@router.get("/ResourceTypes", operation_id="scim-resource-types-list")
async def list_resource_types(request: Request, _: CanSync) -> Response:
    types = _resource_types(request)
    return scim_response(_list_body(sm.ResourceType, len(types), 1, types, None))


@router.get("/ResourceTypes/{typeId}", operation_id="scim-resource-types-get")
async def get_resource_type(
    request: Request, _: CanSync, type_id: Annotated[str, Path(alias="typeId")]
) -> Response:
    for resource_type in _resource_types(request):
        if str(resource_type.id).lower() == type_id.lower():
            return scim_response(_dump(resource_type))
    raise sm.NotFoundException(detail=f"No resource type {type_id}.")


@router.get(
    "/openapi.json",
    operation_id="scim-openapi-get",
    include_in_schema=False,
    response_class=JSONResponse,
)
async def openapi(request: Request) -> Response:
    # Public, like the /v1 document: readable from any origin.
    return json_response(scim_document(request.app, mount_path(request)), headers=PUBLIC_DOCUMENT)


# --- search across resource types (RFC 7644 §3.4.3, POST at the root) ----------------------


@router.post("/.search", operation_id="scim-search")
async def search_everything(request: Request, _: CanSync, conn: ReadDb) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest object.")
    values = {k: v for k, v in body.items() if k != "schemas"}
    params = _search(UserResource | Group, values)
    listing = await service.search_resources(conn, params, base_url(request))
    return _listing(UserResource | Group, listing, params)


# --- users ----------------------------------------------------------------------------------


@router.get("/Users", operation_id="scim-users-list")
async def list_users(
    request: Request,
    _: CanSync,
    conn: ReadDb,
    filter: Filter = None,
    start_index: StartIndex = None,
    count: Count = None,
    attributes: Attributes = None,
    excluded_attributes: Excluded = None,
) -> Response:
    params = _search(
        UserResource,
        {
            "filter": filter,
            "startIndex": start_index,
            "count": count,
            "attributes": attributes,
            "excludedAttributes": excluded_attributes,
        },
    )
    listing = await service.list_users(conn, params, base_url(request))
    return _listing(UserResource, listing, params)


@router.post("/Users/.search", operation_id="scim-users-search")
async def search_users(request: Request, _: CanSync, conn: ReadDb) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest object.")
    values = {k: v for k, v in body.items() if k != "schemas"}
    params = _search(UserResource, values)
    listing = await service.list_users(conn, params, base_url(request))
    return _listing(UserResource, listing, params)


@router.post("/Users", operation_id="scim-users-create", status_code=201)
async def create_user(request: Request, principal: CanSync, conn: WriteDb) -> Response:
    body = await json_body(request)
    user = await service.create_user(conn, principal, body, base_url(request))
    return _answer(user, status=201)


@router.get("/Users/{userId}", operation_id="scim-users-get")
async def get_user(
    request: Request,
    _: CanSync,
    conn: ReadDb,
    user_id: Annotated[str, Path(alias="userId")],
    attributes: Attributes = None,
    excluded_attributes: Excluded = None,
) -> Response:
    params = _parameters(UserResource, attributes, excluded_attributes)
    user = await service.get_user(conn, resource_id(user_id, "user"), base_url(request))
    return _answer(user, params=params)


@router.put("/Users/{userId}", operation_id="scim-users-replace")
async def replace_user(
    request: Request,
    principal: CanSync,
    conn: WriteDb,
    user_id: Annotated[str, Path(alias="userId")],
) -> Response:
    member_id = resource_id(user_id, "user")
    body = await json_body(request)
    return _answer(await service.replace_user(conn, principal, member_id, body, base_url(request)))


@router.patch("/Users/{userId}", operation_id="scim-users-patch")
async def patch_user(
    request: Request,
    principal: CanSync,
    conn: WriteDb,
    user_id: Annotated[str, Path(alias="userId")],
) -> Response:
    member_id = resource_id(user_id, "user")
    body = await json_body(request)
    return _answer(await service.patch_user(conn, principal, member_id, body, base_url(request)))


@router.delete("/Users/{userId}", operation_id="scim-users-delete", status_code=204)
async def delete_user(
    principal: CanSync, conn: WriteDb, user_id: Annotated[str, Path(alias="userId")]
) -> Response:
    await service.delete_user(conn, principal, resource_id(user_id, "user"))
    return Response(status_code=204)


# --- groups ---------------------------------------------------------------------------------


@router.get("/Groups", operation_id="scim-groups-list")
async def list_groups(
    request: Request,
    _: CanSync,
    conn: ReadDb,
    filter: Filter = None,
    start_index: StartIndex = None,
    count: Count = None,
    attributes: Attributes = None,
    excluded_attributes: Excluded = None,
) -> Response:
    params = _search(
        Group,
        {
            "filter": filter,
            "startIndex": start_index,
            "count": count,
            "attributes": attributes,
            "excludedAttributes": excluded_attributes,
        },
    )
    listing = await service.list_groups(conn, params, base_url(request))
    return _listing(Group, listing, params)


@router.post("/Groups/.search", operation_id="scim-groups-search")
async def search_groups(request: Request, _: CanSync, conn: ReadDb) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest object.")
    values = {k: v for k, v in body.items() if k != "schemas"}
    params = _search(Group, values)
    listing = await service.list_groups(conn, params, base_url(request))
    return _listing(Group, listing, params)


@router.post("/Groups", operation_id="scim-groups-create", status_code=201)
async def create_group(request: Request, principal: CanSync, conn: WriteDb) -> Response:
    body = await json_body(request)
    group = await service.create_group(conn, principal, body, base_url(request))
    return _answer(group, status=201)


@router.get("/Groups/{groupId}", operation_id="scim-groups-get")
async def get_group(
    request: Request,
    _: CanSync,
    conn: ReadDb,
    group_id: Annotated[str, Path(alias="groupId")],
    attributes: Attributes = None,
    excluded_attributes: Excluded = None,
) -> Response:
    params = _parameters(Group, attributes, excluded_attributes)
    department_id = resource_id(group_id, "group")
    group = await service.get_group(conn, department_id, base_url(request), params)
    return _answer(group, params=params)


@router.put("/Groups/{groupId}", operation_id="scim-groups-replace")
async def replace_group(
    request: Request,
    principal: CanSync,
    conn: WriteDb,
    group_id: Annotated[str, Path(alias="groupId")],
) -> Response:
    department_id = resource_id(group_id, "group")
    body = await json_body(request)
    group = await service.replace_group(conn, principal, department_id, body, base_url(request))
    return _answer(group)


@router.patch("/Groups/{groupId}", operation_id="scim-groups-patch")
async def patch_group(
    request: Request,
    principal: CanSync,
    conn: WriteDb,
    group_id: Annotated[str, Path(alias="groupId")],
) -> Response:
    department_id = resource_id(group_id, "group")
    body = await json_body(request)
    group = await service.patch_group(conn, principal, department_id, body, base_url(request))
    return _answer(group)


@router.delete("/Groups/{groupId}", operation_id="scim-groups-delete", status_code=204)
async def delete_group(
    principal: CanSync, conn: WriteDb, group_id: Annotated[str, Path(alias="groupId")]
) -> Response:
    await service.delete_group(conn, principal, resource_id(group_id, "group"))
    return Response(status_code=204)
