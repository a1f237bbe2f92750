"""What each value of an enum means, written once beside the enum and published in the OpenAPI
document.

OpenAPI 3.1 has no keyword for the meaning of one value of an `enum`. A described enum keeps its
plain `enum` (so generated clients, openapi-typescript or openapi-python-client, still make a
string-literal union or a plain enum of it) and gains:

- a Markdown table, value and meaning, in its `description` (Swagger UI and ReDoc render it);
- `x-enumDescriptions`, an object from value to meaning (for tools that read it, such as
  Redocly, and for tests).

An enum class takes its meanings with `@described(summary, {value: meaning})`; a `Literal` takes
them as `Annotated[Literal[...], DescribedValues(summary, {value: meaning})]`. Either refuses, at
import, a value without a meaning or a meaning without a value.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import GetJsonSchemaHandler
from pydantic_core import CoreSchema

E = TypeVar("E", bound=enum.Enum)

EXTENSION = "x-enumDescriptions"
_MEANINGS = "__value_meanings__"
_SUMMARY = "__value_summary__"


def values_schema(summary: str, meanings: Mapping[str, str]) -> dict[str, Any]:
    """The keywords that describe the values of an enum schema."""
    rows = "\n".join(f"| `{value}` | {meaning} |" for value, meaning in meanings.items())
    return {
        "description": f"{summary}\n\n| value | meaning |\n|---|---|\n{rows}",
        EXTENSION: dict(meanings),
    }


def _check(owner: str, values: Iterable[Any], meanings: Mapping[str, str]) -> dict[str, str]:
    ordered = [str(value) for value in values]
    missing = [value for value in ordered if value not in meanings]
    unknown = [value for value in meanings if value not in ordered]
    if missing or unknown:
        raise TypeError(f"{owner}: no meaning for {missing}; meanings of no value {unknown}")
    return {value: meanings[value] for value in ordered}


def _describe(schema: dict[str, Any], summary: str, meanings: Mapping[str, str]) -> dict[str, Any]:
    schema.update(values_schema(summary, meanings))
    return schema


def described(summary: str, meanings: Mapping[str, str]) -> Callable[[type[E]], type[E]]:
    """Class decorator: the enum's summary and the meaning of each of its values."""

    def decorate(cls: type[E]) -> type[E]:
        ordered = _check(cls.__name__, (member.value for member in cls), meanings)

        def hook(
            _cls: type[E], core_schema: CoreSchema, handler: GetJsonSchemaHandler
        ) -> dict[str, Any]:
            schema = handler.resolve_ref_schema(handler(core_schema))
            return _describe(schema, summary, ordered)

        target: Any = cls
        setattr(target, _MEANINGS, ordered)
        setattr(target, _SUMMARY, summary)
        # Pydantic calls this hook when it writes the enum's JSON schema.
        target.__get_pydantic_json_schema__ = classmethod(hook)
        return cls

    return decorate


def meanings_of(cls: type[enum.Enum], values: Iterable[Any] | None = None) -> dict[str, str]:
    """A described enum's meanings, of all its values or of the ones given (in their order)."""
    meanings: dict[str, str] = getattr(cls, _MEANINGS)
    if values is None:
        return dict(meanings)
    return {str(value): meanings[str(value)] for value in values}


def subset_schema(cls: type[enum.Enum], values: Iterable[Any]) -> dict[str, Any]:
    """An inline enum of some of a described enum's values, with their meanings."""
    chosen = [str(value) for value in values]
    return {
        "type": "string",
        "enum": chosen,
        **values_schema(getattr(cls, _SUMMARY), meanings_of(cls, chosen)),
    }


class DescribedValues:
    """For a `Literal`: `Annotated[Literal["a", "b"], DescribedValues(summary, {...})]`."""

    def __init__(self, summary: str, meanings: Mapping[str, str]) -> None:
        self.summary = summary
        self.meanings = dict(meanings)

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema = handler.resolve_ref_schema(handler(core_schema))
        values = schema.get("enum", [schema["const"]] if "const" in schema else [])
        return _describe(schema, self.summary, _check(self.summary, values, self.meanings))
