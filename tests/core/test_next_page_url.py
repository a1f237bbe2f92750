"""The `next` link: this request's URL with the new cursor, every other parameter as sent."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from app.core.pagination import next_page_url


def request_for(query: bytes, host: bytes | None = b"api.example:8443") -> Request:
    headers = [(b"host", host)] if host is not None else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "https",
            "path": "/v1/members",
            "raw_path": b"/v1/members",
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "server": ("10.0.0.5", 8000),
        }
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", "cursor=NEW"),
        (b"pageSize=50", "pageSize=50&cursor=NEW"),
        (b"cursor=OLD&pageSize=50", "pageSize=50&cursor=NEW"),
        # Values keep their own spelling; repeated and empty parameters stay.
        (
            b"q=caf%C3%A9+au+lait&status=active&q=x&email=",
            "q=caf%C3%A9+au+lait&status=active&q=x&email=&cursor=NEW",
        ),
        # An escaped "cursor" is still the cursor; a parameter that only starts with it is not.
        (b"curs%6Fr=OLD&cursorish=1", "cursorish=1&cursor=NEW"),
        (b"&&pageSize=5&", "pageSize=5&cursor=NEW"),
    ],
)
def test_next_link_replaces_only_the_cursor(query, expected):
    url = next_page_url(request_for(query), "NEW")
    assert url == "https://api.example:8443/v1/members?" + expected


def test_without_a_host_header_the_server_address_is_used():
    url = next_page_url(request_for(b"pageSize=5", host=None), "NEW")
    assert url == "https://10.0.0.5:8000/v1/members?pageSize=5&cursor=NEW"
