"""Schemathesis hooks for the contract fuzzing (loaded through schemathesis.toml)."""

from __future__ import annotations

import itertools
import os
import re
from typing import Any

import schemathesis

from app.core.http import IDEMPOTENCY_KEY_PATTERN

_VALID_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_serial = itertools.count(1)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Give every generated POST a key of its own, as a real client does for a new request.

    Generated keys repeat ("0", "00" …), and a repeated key with another body is answered 422
    before the route runs, so most POSTs would never reach the code that creates anything.
    Replays and reuse are tested on purpose in tests/core/test_idempotency.py. Keys that the
    document calls invalid, and negative cases, are left alone, so that their 400 is still
    checked."""
    headers = case.headers
    meta = case.meta
    # A negative case is refused anyway; changing it would also make schemathesis re-judge it
    # (a case missing its Authorization header would then be sent with one).
    if not headers or (meta is not None and meta.generation.mode.is_negative):
        return
    for name in list(headers):
        if name.lower() == "idempotency-key" and _VALID_KEY.match(str(headers[name])):
            headers[name] = f"fuzz-{os.getpid()}-{next(_serial)}"
