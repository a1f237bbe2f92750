"""Query parameters read as one model: for hot list endpoints.

FastAPI validates each declared query parameter on its own and inspects its annotation again
on every request; for a list with a dozen filters that costs more than its database query. A
`QueryModel` is validated in one pass by pydantic-core instead. The route declares the model's
parameters in its OpenAPI operation (`openapi_extra=query_openapi(Model)`), and failures are
reported exactly as FastAPI reports them: a 400 problem that lists every invalid parameter.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

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
