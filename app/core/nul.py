"""U+0000 in request input: Postgres text cannot hold it (SQLite can), so it is refused up
front as invalid input, the same on both databases, naming each parameter that carries it."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from app.core.errors import InvalidParam

# `\u0000` preceded by an even number of backslashes: an escaped backslash followed by the
# text "u0000" is ordinary content.
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def query_params_with_nul(query_string: bytes) -> list[str]:
    if b"%00" not in query_string:
        return []
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="replace")
    return sorted({name for name, value in pairs if "\x00" in name or "\x00" in value})


def body_properties_with_nul(body: bytes) -> list[str]:
    """JSON paths (`a.b[0]`) of the strings holding U+0000; a body that is not JSON is left to
    the route, which reports it."""
    if b"\\u0000" not in body or not _ESCAPED_NUL.search(body):
        return []
    try:
        data = json.loads(body)
    except ValueError:
        return []
    found: list[str] = []
    _walk(data, "", found)
    return found or ["body"]


def _walk(value: Any, path: str, found: list[str]) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            found.append(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", found)


def invalid_params(names: list[str], where: str) -> list[InvalidParam]:
    reason = "Text may not contain the NUL character (U+0000)."
    return [InvalidParam(name, reason, code="nul_character", where=where) for name in names]
