"""Base classes for request and response schemas: camelCase JSON, strict input, merge patch."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class InputModel(ApiModel):
    """A request body: unknown properties (including id, version, source, timestamps) are 400."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )


def _reject_null(value: T | None) -> T:
    if value is None:
        raise ValueError("may not be null; leave the property out to keep its value")
    return value


def _non_null_schema(schema: dict[str, Any]) -> None:
    """Merge patch: a null here would erase a required value, so the document forbids it."""
    variants = schema.get("anyOf")
    if isinstance(variants, list):
        kept = [v for v in variants if v.get("type") != "null"]
        if len(kept) == 1:
            schema.pop("anyOf")
            schema.update(kept[0])
    schema.pop("default", None)


# A merge-patch property that may be left out but not set to null.
NotNull = Annotated[
    T | None, AfterValidator(_reject_null), Field(json_schema_extra=_non_null_schema)
]


class PatchModel(InputModel):
    """JSON Merge Patch (RFC 7396): absent means keep, null means clear (where allowed)."""

    writable: ClassVar[frozenset[str]] = frozenset()

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class Embedded(ApiModel):
    """A short reference to another resource, embedded so clients need no second request."""


class ListPage(ApiModel):
    next: str | None = Field(description="URL of the next page, or null on the last page.")
