"""SCIM filters (RFC 7644 §3.4.2.2), parsed by scim2-models, turned into SQL conditions.

Each resource type names the attributes it can filter on and the column (or condition) behind
each. Strings that are not caseExact compare lower-cased on both sides, as the RFC asks. The
value path Entra ID sends, `emails[type eq "work"].value eq "x"`, arrives from the parser as
`emails[type eq "work" and value eq "x"]` and is read as such."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

from app.core.text import escape_like

Condition = ColumnElement[bool]


@dataclass(frozen=True)
class Attribute:
    """How one SCIM attribute is filtered: a column (read as `kind`) or a custom comparison."""

    column: Any = None
    kind: str = "string"  # string (case-insensitive), exact, uuid, bool, datetime
    # For attributes that are not a plain column: (operator, value) -> condition, where the
    # operator None asks whether the attribute is present (`pr`).
    compare: Callable[[CompareOperator | None, Any], Condition] | None = None


def _key(path: AttrPath, default_urn: str) -> str:
    urn = (path.uri or default_urn).lower()
    name = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
    return f"{urn}:{name}"


def _like(column: Any, op: CompareOperator, text: str) -> Condition:
    pattern = escape_like(text)
    if op == CompareOperator.co:
        pattern = f"%{pattern}%"
    elif op == CompareOperator.sw:
        pattern = f"{pattern}%"
    else:
        pattern = f"%{pattern}"
    condition: Condition = column.like(pattern, escape="\\")
    return condition


def compare_column(attribute: Attribute, op: CompareOperator | None, value: Any) -> Condition:
    """A comparison on a column; `op` None is the presence test."""
    column = attribute.column
    kind = attribute.kind
    if op is None:
        return column.is_not(None)  # type: ignore[no-any-return]
    if kind == "bool":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="Booleans compare with eq or ne to true/false.")
        condition: Condition = column == value if op == CompareOperator.eq else column != value
        return condition
    if kind == "uuid":
        if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, str):
            raise InvalidFilterException(detail="Ids compare with eq or ne to a string.")
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            return false() if op == CompareOperator.eq else true()
        return column == parsed if op == CompareOperator.eq else column != parsed  # type: ignore[no-any-return]
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidFilterException(detail=f"'{value}' is not a date-time.") from None
        if moment.tzinfo is None:
            raise InvalidFilterException(detail="A date-time needs its offset (Z or ±hh:mm).")
        return _ordered(column, op, moment)
    if value is None or isinstance(value, bool | dict | list):
        raise InvalidFilterException(detail="This attribute compares with a string.")
    text = str(value)
    if kind == "string":
        column = func.lower(column)
        text = text.lower()
    if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        return _like(column, op, text)
    return _ordered(column, op, text)


def _ordered(column: Any, op: CompareOperator, value: Any) -> Condition:
    operations: dict[CompareOperator, Callable[[Any, Any], Condition]] = {
        CompareOperator.eq: lambda c, v: c == v,
        CompareOperator.ne: lambda c, v: c != v,
        CompareOperator.gt: lambda c, v: c > v,
        CompareOperator.ge: lambda c, v: c >= v,
        CompareOperator.lt: lambda c, v: c < v,
        CompareOperator.le: lambda c, v: c <= v,
    }
    if op not in operations:
        raise InvalidFilterException(detail=f"'{op.value}' does not apply to this attribute.")
    return operations[op](column, value)


class SqlFilter(FilterVisitor[Condition]):
    """Translates a filter tree for one resource type; `attributes` maps `urn:name[.sub]`
    (lower-case) to how it is filtered, `value_paths` maps a multi-valued attribute to a
    translator of its bracketed filter."""

    def __init__(
        self,
        default_urn: str,
        attributes: dict[str, Attribute],
        value_paths: dict[str, Callable[[FilterNode], Condition]],
    ) -> None:
        self.default_urn = default_urn
        self.attributes = attributes
        self.value_paths = value_paths

    def _attribute(self, path: AttrPath) -> Attribute:
        key = _key(path, self.default_urn)
        attribute = self.attributes.get(key)
        if attribute is None and path.sub_attr is None:
            # A multi-valued attribute compared by itself compares its `value` (RFC 7644).
            attribute = self.attributes.get(key + ".value")
        if attribute is None:
            raise InvalidFilterException(detail=f"Filtering on '{path}' is not supported.")
        return attribute

    def visit_comparison(self, node: Comparison) -> Condition:
        attribute = self._attribute(node.attr_path)
        if attribute.compare is not None:
            return attribute.compare(node.op, node.value)
        return compare_column(attribute, node.op, node.value)

    def visit_present(self, node: Present) -> Condition:
        attribute = self._attribute(node.attr_path)
        if attribute.compare is not None:
            return attribute.compare(None, None)
        return compare_column(attribute, None, None)

    def visit_not(self, node: Not) -> Condition:
        return not_(self.visit(node.expr))

    def visit_logical_expr(self, node: LogicalExpr) -> Condition:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_value_path(self, node: ValuePath) -> Condition:
        key = _key(node.attr_path, self.default_urn)
        translate = self.value_paths.get(key)
        if translate is None:
            raise InvalidFilterException(
                detail=f"Filtering inside '{node.attr_path}' is not supported."
            )
        return translate(node.val_filter)
