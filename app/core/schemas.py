"""Base classes of the request and response schemas.

Requests are Pydantic models (camelCase JSON, strict input, merge patch). A response shape is
a `TypedDict` with the JSON's own (camelCase) keys: the one definition of that resource, which
its repository builds, its service reads (checked by mypy) and the OpenAPI document shows (its
schema comes from Pydantic, as for any `response_model`). Response items are written by orjson
as they are, without validating them again."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import model_validator as _model_validator
from pydantic.alias_generators import to_camel

# Pydantic reads TypedDicts only from typing_extensions on Python < 3.12.
from typing_extensions import TypedDict

T = TypeVar("T")

# What a JSON value must look like for the formats pydantic would otherwise read loosely:
# it takes a number (or a numeric string) as a Unix time, and a UUID without its hyphens.
_FORMATS = {
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "uuid": re.compile(
        r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    ),
}
_FORMAT_REASONS = {
    "date-time": "Input should be an ISO 8601 date-time, such as 2026-03-01T09:30:00+01:00",
    "date": "Input should be an ISO 8601 date, such as 2026-03-01",
    "uuid": "Input should be a UUID in its canonical form (8-4-4-4-12 hexadecimal digits)",
}


def _iso_instant(value: Any) -> Any:
    if isinstance(value, str) and not _FORMATS["date-time"].match(value):
        raise ValueError(_FORMAT_REASONS["date-time"])
    return value


# A moment in a query parameter: ISO 8601 with its UTC offset, never a bare number.
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_instant)]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


_JSON_VALUES = (str, int, float, list, dict)


class WrongJsonType:
    """Stands in for a refused value, so that validation reports it (with this reason)."""

    def __init__(self, reason: str | None = None, code: str | None = None) -> None:
        self.reason = reason
        self.code = code

    def __repr__(self) -> str:
        return "<a refused value>"


_ACCEPTED = WrongJsonType()  # marker: the variant takes the value


# A property's check: the value itself when it passes, else a WrongJsonType explaining why.
Check = Callable[[Any], Any]
Verdict = Callable[[Any], WrongJsonType | None]


def _variant_verdict(variant: dict[str, Any]) -> Verdict | None:
    """The check of one `anyOf` variant, built once; None when the variant is not a simple
    typed one (it then has no say about any value)."""
    kind = variant.get("type")
    if not isinstance(kind, str) or kind not in _JSON_TYPES:
        return None
    types = _JSON_TYPES[kind]
    form = variant.get("format", "")
    form_re = _FORMATS.get(form)
    form_refusal = (_FORMAT_REASONS[form], f"{form}_format") if form_re is not None else None
    limit = variant.get("maxLength")
    limit = limit if isinstance(limit, int) else None
    pattern = variant.get("pattern")
    pattern_re = re.compile(pattern) if isinstance(pattern, str) else None

    def verdict(value: Any) -> WrongJsonType | None:
        """`_ACCEPTED`, a refusal, or None when the value is a Python object (such as a UUID
        that the code itself put there) rather than JSON."""
        if not isinstance(value, _JSON_VALUES):
            return None
        if (isinstance(value, bool) and kind != "boolean") or not isinstance(value, types):
            return WrongJsonType()
        if not isinstance(value, str):
            return _ACCEPTED
        if form_re is not None and form_refusal is not None and not form_re.match(value):
            return WrongJsonType(*form_refusal)
        # Length and pattern hold for the text as sent: whitespace is trimmed only afterwards,
        # so a value the document calls too long does not pass because its excess is spaces.
        if limit is not None and len(value) > limit:
            return WrongJsonType(
                f"String should have at most {limit} characters", "string_too_long"
            )
        if pattern_re is not None and not pattern_re.search(value):
            return WrongJsonType(
                f"String should match pattern '{pattern}'", "string_pattern_mismatch"
            )
        return _ACCEPTED

    return verdict


def _unchecked(value: Any) -> Any:
    return value


def _property_check(schema: dict[str, Any]) -> Check:
    """The check of one declared property (built once per model, see `_input_checks`)."""
    variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    verdicts = [_variant_verdict(v) for v in variants]
    if not verdicts or None in verdicts:
        return _unchecked
    checks = [verdict for verdict in verdicts if verdict is not None]
    item_checks = [
        _property_check(v["items"]) if isinstance(v.get("items"), dict) else None for v in variants
    ]

    if len(checks) == 1 and item_checks[0] is None:
        # The common case (one typed variant, not an array): no lists to build per value.
        only = checks[0]

        def check_one(value: Any) -> Any:
            result = only(value)
            return value if result is None or result is _ACCEPTED else result

        return check_one

    def check(value: Any) -> Any:
        results = [verdict(value) for verdict in checks]
        if None in results:
            return value
        if _ACCEPTED in results:
            item_check = item_checks[results.index(_ACCEPTED)]
            if isinstance(value, list) and item_check is not None:
                return [item if item is None else item_check(item) for item in value]
            return value
        explained = [r for r in results if r is not None and r.reason]
        return explained[0] if explained else results[0]

    return check


class InputModel(ApiModel):
    """A request body: unknown properties (including id, version, source, timestamps) are 400.

    Values must have the JSON type (and date, date-time or UUID form) the published document
    declares: pydantic alone would take "true" or 1 for a boolean, "5" for an integer and a
    number for a date-time, so a client could rely on input the contract calls invalid."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )

    @_model_validator(mode="before")
    @classmethod
    def _declared_json_types(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        checks = _input_checks(cls)
        checked = dict(data)
        for name, value in data.items():
            check = checks.get(name)
            # Null is left to the field (it may be allowed, or refused with its own reason).
            if check is not None and value is not None:
                checked[name] = check(value)
        return checked


_CHECKS: dict[type[InputModel], dict[str, Check]] = {}


def _input_checks(model: type[InputModel]) -> dict[str, Check]:
    """A check per property as the document declares it, per alias (built once per model:
    a bulk sync validates ten thousand members against the same few properties)."""
    known = _CHECKS.get(model)
    if known is None:
        schema = model.model_json_schema(by_alias=True, mode="validation")
        properties = schema.get("properties", {})
        known = _CHECKS[model] = {name: _property_check(p) for name, p in properties.items()}
    return known


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


class Embedded(TypedDict):
    """A short reference to another resource, embedded so clients need no second request."""


class ListPage(TypedDict):
    """One page of a list; each list's page adds its `items`."""

    next: Annotated[
        str | None, Field(description="URL of the next page, or null on the last page.")
    ]
