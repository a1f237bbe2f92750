"""Query parameters read as one model: for hot list endpoints.

FastAPI validates each declared query parameter on its own and inspects its annotation again
on every request; for a list with a dozen filters that costs more than its database query. A
`QueryModel` is validated in one pass by pydantic-core instead. The route declares the model's
parameters in its OpenAPI operation (`openapi_extra=query_openapi(Model)`), and failures are
reported exactly as FastAPI reports them: a 400 problem that lists every invalid parameter.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import Request, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from app.core.errors import InvalidParam

M = TypeVar("M", bound="QueryModel")


class QueryModel(BaseModel):
    """Query parameters by their public (camelCase) names; unknown keys are ignored, as they
    are for parameters FastAPI declares."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=False)


def read_query(model: type[M], request: Request) -> M:
    """The request's query string read into `model`, or the 400 FastAPI would give.

    Called in the route's body rather than declared as a dependency: on a hot list, FastAPI's
    solving of one more dependency costs more than the validation itself."""
    try:
        # A repeated key counts with its last value, as for declared parameters.
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every local `$ref` replaced by what it names (parameters then stand on
    their own in the OpenAPI document)."""
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _inline(copy.deepcopy(definitions[ref.rsplit("/", 1)[-1]]), definitions)
    return {key: _inline(value, definitions) for key, value in schema.items()}


def query_parameters(model: type[QueryModel]) -> list[dict[str, Any]]:
    """The OpenAPI parameter objects of `model`, in the order its fields are declared."""
    document = model.model_json_schema(by_alias=True, mode="validation")
    definitions = document.get("$defs", {})
    properties = document.get("properties", {})
    parameters = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        schema = _inline(properties[alias], definitions)
        if schema.get("default", ...) is None:
            del schema["default"]  # "no value" is not a default a client can send
        parameter: dict[str, Any] = {
            "name": alias,
            "in": "query",
            "required": field.is_required(),
            "schema": schema,
        }
        if field.description:
            parameter["description"] = field.description
        parameters.append(parameter)
    return parameters


def query_openapi(model: type[QueryModel]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its query with `read_query(model, request)`."""
    return {"parameters": query_parameters(model)}


# --- strict query strings ---------------------------------------------------------------------
#
# A query parameter the operation does not declare, or a single-valued one given twice, is a
# 400 that names it, as an unknown body property is: a typo ("pagesize", "transitionRole" on a
# list that has no such filter) must not get a confident answer to another question.


def _is_sequence(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_sequence(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    return origin in (list, tuple, set, frozenset, Sequence, AbstractSet)


def declared_query(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameters `route` declares (its own, its dependencies', a `QueryModel`'s in
    its OpenAPI operation), and those of them that may be given more than once."""
    names: set[str] = set()
    repeatable: set[str] = set()
    for field in get_flat_params(route.dependant):
        if isinstance(field.field_info, params.Query):
            names.add(field.alias)
            if _is_sequence(field.field_info.annotation):
                repeatable.add(field.alias)
    for parameter in (route.openapi_extra or {}).get("parameters", []):
        if parameter.get("in") == "query":
            names.add(parameter["name"])
            if parameter.get("schema", {}).get("type") == "array":
                repeatable.add(parameter["name"])
    return frozenset(names), frozenset(repeatable)


def undeclared(
    query_string: bytes, names: frozenset[str], repeatable: frozenset[str]
) -> list[InvalidParam]:
    keys = [key for key, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)]
    unknown = sorted({key for key in keys if key not in names})
    counts = Counter(keys)
    repeated = sorted(
        key for key, count in counts.items() if count > 1 and key in names and key not in repeatable
    )
    problems = [
        InvalidParam(
            key,
            "This operation has no such query parameter"
            + (f"; it has {', '.join(sorted(names))}." if names else "; it takes none."),
            code="unknown_parameter",
            where="query",
        )
        for key in unknown
    ]
    problems.extend(
        InvalidParam(key, "Give this parameter once.", code="repeated_parameter", where="query")
        for key in repeated
    )
    return problems


# --- filters that take several values -------------------------------------------------------


def _each_value(value: Any) -> Any:
    """`status=open,exploring` and `status=open&status=exploring` alike: every value of every
    occurrence, split at its commas."""
    if isinstance(value, list):
        values = [
            part.strip()
            for item in value
            for part in (item.split(",") if isinstance(item, str) else [item])
            if not isinstance(part, str) or part.strip()
        ]
        if not values:
            raise ValueError("Give at least one value (comma-separated for several).")
        return values
    return value


# A filter of one or more values (`Annotated[list[Status] | None, ONE_OR_MORE, Query(...)]`).
ONE_OR_MORE = BeforeValidator(_each_value)
ONE_OR_MORE_HELP = "One or more: comma-separated (`a,b`) or the parameter repeated."
