"""The README's role matrix is the contract: every route is in it, and every allowed and
forbidden cell holds for a key of that role (conditional cells are tested in the domains' own tests;
the "me" cells, which hold for any credential bound to a member, here too)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from app.core.config import Settings
from app.main import create_app
from tests.core.support import full_paths
from tests.factories import bearer, make_key, make_member

ALLOWED, FORBIDDEN = "\u2713", "\u2013"  # the README's check mark and en dash
BOUND = "own\u2078"  # footnote 8: only with a credential bound to a member, else 404
ROLES = ("admin", "facilitator", "member", "reader", "sync")
README = Path(__file__).resolve().parents[1] / "README.md"


def _matrix() -> dict[str, dict[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Role matrix") :]
    cells: dict[str, dict[str, str]] = {}
    for line in section.splitlines():
        match = re.match(r"^\| [^|]+ \| `([a-z0-9-]+)` \|(.+)\|\s*$", line)
        if match:
            values = [v.strip() for v in match.group(2).split("|")]
            assert len(values) == len(ROLES), line
            cells[match.group(1)] = dict(zip(ROLES, values, strict=True))
    return cells


def _operations() -> dict[str, tuple[str, str]]:
    app = create_app(Settings())
    found: dict[str, tuple[str, str]] = {}
    for route, path in full_paths(app.routes):
        if isinstance(route, APIRoute) and route.operation_id:
            found[route.operation_id] = (sorted(route.methods)[0], path)
    return found


MATRIX = _matrix()
OPERATIONS = _operations()


def test_every_route_is_in_the_matrix_and_nothing_else():
    assert MATRIX, "the README has no role matrix"
    missing = sorted(set(OPERATIONS) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(OPERATIONS))
    assert not missing, f"routes the README's role matrix does not mention: {missing}"
    assert not stale, f"matrix rows without a route: {stale}"


def _concrete(path: str) -> str:
    path = path.replace("{number}", "1")
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


CELLS = [
    (op, role, MATRIX[op][role])
    for op in sorted(OPERATIONS)
    if op in MATRIX
    for role in ROLES
    if MATRIX[op][role] in (ALLOWED, FORBIDDEN)
]


@pytest.mark.parametrize(("operation", "role", "cell"), CELLS)
async def test_cell(client, operation, role, cell):
    method, path = OPERATIONS[operation]
    headers = bearer(await make_key(role))
    kwargs: dict[str, object] = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
        content_type = "application/merge-patch+json" if method == "PATCH" else "application/json"
        if path.startswith("/scim/"):
            content_type = "application/scim+json"
        headers["Content-Type"] = content_type
    response = await client.request(method, _concrete(path), **kwargs)
    if cell == FORBIDDEN:
        assert response.status_code == 403, (operation, role, response.text)
    else:
        # Allowed: the role gate lets it through, whatever the (empty) request then gets.
        assert response.status_code not in (401, 403), (operation, role, response.text)
        assert response.status_code < 500, (operation, role, response.text)


BOUND_CELLS = [
    (op, role)
    for op in sorted(OPERATIONS)
    if op in MATRIX
    for role in ROLES
    if MATRIX[op][role] == BOUND
]


@pytest.mark.parametrize(("operation", "role"), BOUND_CELLS)
async def test_bound_cell(client, operation, role):
    """A key of the role bound to a member passes; one bound to none is a 404 (member and
    facilitator keys are always bound)."""
    method, path = OPERATIONS[operation]
    member = await make_member()
    keys = {"bound": await make_key(role, member["id"])}
    if role not in ("member", "facilitator"):
        keys["unbound"] = await make_key(role)
    for kind, key in keys.items():
        headers = bearer(key)
        kwargs: dict[str, object] = {"headers": headers}
        if method == "PATCH":
            kwargs["json"] = {}
            headers["Content-Type"] = "application/merge-patch+json"
        response = await client.request(method, _concrete(path), **kwargs)
        if kind == "bound":
            assert response.status_code not in (401, 403, 404), (operation, role, response.text)
            assert response.status_code < 500, (operation, role, response.text)
        else:
            assert response.status_code == 404, (operation, role, response.text)
