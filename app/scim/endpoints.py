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
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy import false, true
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import ReadDb, WriteDb
from app.core.http import PUBLIC_DOCUMENT, json_response
from app.core.permissions import CanSync
from app.scim import repository, service
from app.scim.errors import ScimProblem
from app.scim.openapi import scim_document
from app.scim.schemas import (
    DEFAULT_COUNT,
    MAX_RESULTS,
    PROVIDER,
    SCIM_JSON,
    Group,
    UserResource,
)


class ScimRoute(APIRoute):
    """Turns the refusals scim2-models raises into errors the SCIM application's handlers
    render (app/scim/errors.py) once the request's transaction has ended."""

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


router = APIRouter(route_class=ScimRoute, tags=["scim"])


def scim_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=SCIM_JSON, headers=headers)


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


@router.get("/openapi.json", operation_id="scim-openapi-get", include_in_schema=False)
async def openapi(request: Request) -> Response:
    # Public, like the /v1 document: readable from any origin.
    return json_response(scim_document(request.app, mount_path(request)), headers=PUBLIC_DOCUMENT)


# --- search across resource types (RFC 7644 §3.4.3, POST at the root) ----------------------


def _condition(sql_filter: Any, params: Any) -> Any:
    """The filter for one resource type; one naming an attribute the type lacks matches none of
    its resources (RFC 7644 §3.4.2.1), and None when it fits no type at all."""
    if params.filter is None:
        return true()
    try:
        return sql_filter.visit(params.filter.ast)
    except sm.InvalidFilterException:
        return None


@router.post("/.search", operation_id="scim-search")
async def search_everything(request: Request, conn: ReadDb, _: CanSync) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest object.")
    values = {k: v for k, v in body.items() if k != "schemas"}
    params = _search(UserResource | Group, values)
    users = _condition(repository.USER_FILTER, params)
    groups = _condition(repository.GROUP_FILTER, params)
    if users is None and groups is None:
        raise sm.InvalidFilterException(detail="No resource type can be filtered this way.")
    start = params.start_index or 1
    count = min(DEFAULT_COUNT if params.count is None else params.count, MAX_RESULTS)
    user_total, user_rows = await repository.page(
        conn,
        repository.user_query().where(users if users is not None else false()),
        repository.m.id,
        repository.m.created_at,
        start,
        count,
    )
    # Users come first, then groups: the group page starts where the users ran out.
    group_start = max(1, start - user_total)
    group_total, group_rows = await repository.page(
        conn,
        repository.group_query().where(groups if groups is not None else false()),
        repository.d.id,
        repository.d.created_at,
        group_start,
        count - len(user_rows),
    )
    base = base_url(request)
    members_of = await repository.group_members(conn, [row.id for row in group_rows])
    resources = [service.user_resource(row, base) for row in user_rows] + [
        service.group_resource(row, members_of.get(row.id), base) for row in group_rows
    ]
    total = user_total + group_total
    return scim_response(_list_body(UserResource | Group, total, start, resources, params))


# --- users ----------------------------------------------------------------------------------


async def _user_listing(conn: AsyncConnection, request: Request, params: Any) -> Response:
    query = repository.user_query()
    if params.filter is not None:
        query = query.where(repository.USER_FILTER.visit(params.filter.ast))
    start = params.start_index or 1
    count = min(DEFAULT_COUNT if params.count is None else params.count, MAX_RESULTS)
    total, rows = await repository.page(
        conn, query, repository.m.id, repository.m.created_at, start, count
    )
    base = base_url(request)
    resources = [service.user_resource(row, base) for row in rows]
    return scim_response(_list_body(UserResource, total, start, resources, params))


@router.get("/Users", operation_id="scim-users-list")
async def list_users(
    request: Request,
    conn: ReadDb,
    _: CanSync,
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
    return await _user_listing(conn, request, params)


@router.post("/Users/.search", operation_id="scim-users-search")
async def search_users(request: Request, conn: ReadDb, _: CanSync) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest object.")
    values = {k: v for k, v in body.items() if k != "schemas"}
    return await _user_listing(conn, request, _search(UserResource, values))


async def _user_answer(
    conn: AsyncConnection, request: Request, member_id: uuid.UUID, status: int = 200
) -> Response:
    row = await service.load_user(conn, member_id)
    resource = service.user_resource(row, base_url(request))
    return scim_response(_dump(resource), status=status, headers=_etag(resource))


@router.post("/Users", operation_id="scim-users-create", status_code=201)
async def create_user(request: Request, conn: WriteDb, principal: CanSync) -> Response:
    member_id = await service.create_user(conn, principal, await json_body(request))
    return await _user_answer(conn, request, member_id, status=201)


@router.get("/Users/{userId}", operation_id="scim-users-get")
async def get_user(
    request: Request,
    conn: ReadDb,
    _: CanSync,
    user_id: Annotated[str, Path(alias="userId")],
    attributes: Attributes = None,
    excluded_attributes: Excluded = None,
) -> Response:
    params = _parameters(UserResource, attributes, excluded_attributes)
    row = await service.load_user(conn, resource_id(user_id, "user"))
    resource = service.user_resource(row, base_url(request))
    return scim_response(_dump(resource, params), headers=_etag(resource))


@router.put("/Users/{userId}", operation_id="scim-users-replace")
async def replace_user(
    request: Request,
    conn: WriteDb,
    principal: CanSync,
    user_id: Annotated[str, Path(alias="userId")],
) -> Response:
    member_id = resource_id(user_id, "user")
    await service.replace_user(conn, principal, member_id, await json_body(request))
    return await _user_answer(conn, request, member_id)


@router.patch("/Users/{userId}", operation_id="scim-users-patch")
async def patch_user(
    request: Request,
    conn: WriteDb,
    principal: CanSync,
    user_id: Annotated[str, Path(alias="userId")],
) -> Response:
    member_id = resource_id(user_id, "user")
    body = await json_body(request)
    await service.patch_user(conn, principal, member_id, body, base_url(request))
    return await _user_answer(conn, request, member_id)


@router.delete("/Users/{userId}", operation_id="scim-users-delete", status_code=204)
async def delete_user(
    conn: WriteDb, principal: CanSync, user_id: Annotated[str, Path(alias="userId")]
) -> Response:
    await service.delete_user(conn, principal, resource_id(user_id, "user"))
    return Response(status_code=204)


# --- groups ---------------------------------------------------------------------------------


def _wants_members(params: Any) -> bool:
    if params.attributes:
        return any(str(a).lower().split(":")[-1].startswith("members") for a in params.attributes)
    if params.excluded_attributes:
        return not any(
            str(a).lower().split(":")[-1] == "members" for a in params.excluded_attributes
        )
    return True


async def _group_listing(conn: AsyncConnection, request: Request, params: Any) -> Response:
    query = repository.group_query()
    if params.filter is not None:
        query = query.where(repository.GROUP_FILTER.visit(params.filter.ast))
    start = params.start_index or 1
    count = min(DEFAULT_COUNT if params.count is None else params.count, MAX_RESULTS)
    total, rows = await repository.page(
        conn, query, repository.d.id, repository.d.created_at, start, count
    )
    members_of = (
        await repository.group_members(conn, [row.id for row in rows])
        if _wants_members(params)
        else {}
    )
    base = base_url(request)
    resources = [service.group_resource(row, members_of.get(row.id), base) for row in rows]
    return scim_response(_list_body(Group, total, start, resources, params))


@router.get("/Groups", operation_id="scim-groups-list")
async def list_groups(
    request: Request,
    conn: ReadDb,
    _: CanSync,
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
    return await _group_listing(conn, request, params)


@router.post("/Groups/.search", operation_id="scim-groups-search")
async def search_groups(request: Request, conn: ReadDb, _: CanSync) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest object.")
    values = {k: v for k, v in body.items() if k != "schemas"}
    return await _group_listing(conn, request, _search(Group, values))


async def _group_answer(
    conn: AsyncConnection,
    request: Request,
    department_id: uuid.UUID,
    status: int = 200,
    params: Any = None,
) -> Response:
    row = await service.load_group(conn, department_id)
    members_of = None
    if params is None or _wants_members(params):
        members_of = (await repository.group_members(conn, [department_id]))[department_id]
    resource = service.group_resource(row, members_of, base_url(request))
    return scim_response(_dump(resource, params), status=status, headers=_etag(resource))


@router.post("/Groups", operation_id="scim-groups-create", status_code=201)
async def create_group(request: Request, conn: WriteDb, principal: CanSync) -> Response:
    department_id = await service.create_group(conn, principal, await json_body(request))
    return await _group_answer(conn, request, department_id, status=201)


@router.get("/Groups/{groupId}", operation_id="scim-groups-get")
async def get_group(
    request: Request,
    conn: ReadDb,
    _: CanSync,
    group_id: Annotated[str, Path(alias="groupId")],
    attributes: Attributes = None,
    excluded_attributes: Excluded = None,
) -> Response:
    params = _parameters(Group, attributes, excluded_attributes)
    return await _group_answer(conn, request, resource_id(group_id, "group"), params=params)


@router.put("/Groups/{groupId}", operation_id="scim-groups-replace")
async def replace_group(
    request: Request,
    conn: WriteDb,
    principal: CanSync,
    group_id: Annotated[str, Path(alias="groupId")],
) -> Response:
    department_id = resource_id(group_id, "group")
    await service.replace_group(conn, principal, department_id, await json_body(request))
    return await _group_answer(conn, request, department_id)


@router.patch("/Groups/{groupId}", operation_id="scim-groups-patch")
async def patch_group(
    request: Request,
    conn: WriteDb,
    principal: CanSync,
    group_id: Annotated[str, Path(alias="groupId")],
) -> Response:
    department_id = resource_id(group_id, "group")
    body = await json_body(request)
    await service.patch_group(conn, principal, department_id, body, base_url(request))
    return await _group_answer(conn, request, department_id)


@router.delete("/Groups/{groupId}", operation_id="scim-groups-delete", status_code=204)
async def delete_group(
    conn: WriteDb, principal: CanSync, group_id: Annotated[str, Path(alias="groupId")]
) -> Response:
    await service.delete_group(conn, principal, resource_id(group_id, "group"))
    return Response(status_code=204)
