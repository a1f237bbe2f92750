"""The client's one HTTP session with a running API: the key, the exit codes, the problems.

Every request goes through `Api.send`, which turns whatever went wrong into a `ClientError`
that knows its exit code and the lines to show: a 4xx problem (`application/problem+json`,
RFC 9457) is the API's refusal, a 5xx or a connection that fails is the API being unavailable.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app import __version__

JSON = "application/json"
CSV = "text/csv"
DEFAULT_TIMEOUT = 60.0
# The API's own paths start here; a URL given with it (…/v1) means the same server.
BASE_PATH = "/v1"

Params = Mapping[str, str | int]


class ExitCode(enum.IntEnum):
    OK = 0
    REFUSED = 1  # the API answered 4xx: not found, not allowed, invalid input, a conflict
    USAGE = 2  # bad options or arguments, an unreadable FILE, no API key in the environment
    UNAVAILABLE = 3  # no connection, a timeout, or the API answered 5xx


@dataclass(frozen=True, slots=True)
class Problem:
    """What an error response says, from its problem details when it has them."""

    status: int
    title: str
    detail: str | None = None
    invalid_params: list[tuple[str, str]] = field(default_factory=list)
    retry_after: str | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> Problem:
        retry_after = response.headers.get("Retry-After")
        body: Any = None
        if "json" in response.headers.get("Content-Type", ""):
            try:
                body = response.json()
            except ValueError:
                body = None
        if not isinstance(body, dict):
            # Not a problem of the API's: a proxy's error page, say. Its first line will do.
            text = response.text.strip().splitlines()
            detail = text[0][:200] if text else None
            return cls(response.status_code, response.reason_phrase, detail, [], retry_after)
        invalid = [
            (str(param.get("name", "")), str(param.get("reason", "")))
            for param in body.get("invalidParams") or []
            if isinstance(param, dict)
        ]
        title = body.get("title") or response.reason_phrase
        detail = body.get("detail")
        return cls(
            response.status_code,
            str(title),
            str(detail) if detail is not None else None,
            invalid,
            retry_after,
        )


class ClientError(Exception):
    """A request that did not get the answer it asked for; `lines` is what the user sees."""

    exit_code = ExitCode.UNAVAILABLE

    def lines(self) -> list[str]:
        return [f"error: {self}"]


class Answered(ClientError):
    """The API answered with an error; what it said is shown: title, detail, the invalid
    parameters and when to retry."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.title)
        self.problem = problem

    def lines(self) -> list[str]:
        problem = self.problem
        shown = [f"error: {problem.title} ({problem.status})"]
        if problem.detail:
            shown.append(problem.detail)
        shown.extend(f"  {name}: {reason}" for name, reason in problem.invalid_params)
        if problem.retry_after:
            shown.append(f"Retry after {problem.retry_after} s.")
        return shown


class Refused(Answered):
    """The API refused the request (4xx)."""

    exit_code = ExitCode.REFUSED


class Failed(Answered):
    """The API failed (5xx); for a script that is the same as not reaching it."""

    exit_code = ExitCode.UNAVAILABLE


class Unreachable(ClientError):
    """No answer at all: refused or lost connection, a timeout, a name that does not resolve."""

    exit_code = ExitCode.UNAVAILABLE


def api_root(url: str) -> httpx.URL:
    """The server's /v1 root, from its address with or without /v1 (and a trailing slash)."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise ValueError(f"{url!r} is not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{url!r} is not an http(s) URL such as http://127.0.0.1:8000")
    path = parsed.path.rstrip("/")
    if path.endswith(BASE_PATH):
        path = path[: -len(BASE_PATH)]
    return parsed.copy_with(path=path + BASE_PATH, query=None, fragment=None)


class Api:
    """A session with one API, authenticated by one key (sent only to that API's address)."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.root = api_root(url)
        self._http = httpx.Client(
            base_url=self.root,
            headers={
                "Authorization": f"Bearer {key}",
                "Accept": JSON,
                "User-Agent": f"leergemeenschap-client/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as exc:
            raise Unreachable(
                f"{request.url} did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise Unreachable(f"cannot reach {self.root}: {reason}") from None
        if response.status_code >= 500:
            raise Failed(Problem.of(response))
        if response.status_code >= 400:
            raise Refused(Problem.of(response))
        return response

    def get(self, path: str, params: Params | None = None, accept: str = JSON) -> httpx.Response:
        request = self._http.build_request(
            "GET", self._on_this_api(path), params=params, headers={"Accept": accept}
        )
        return self.send(request)

    def get_json(self, path: str, params: Params | None = None) -> Any:
        return _json(self.get(path, params))

    def items(self, path: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list, page after page, following each page's `next` link."""
        page: Any = self.get_json(path, params)
        while True:
            yield from page["items"]
            if not page.get("next"):
                return
            page = self.get_json(page["next"])

    def post(
        self,
        path: str,
        content: bytes | Iterable[bytes],
        *,
        length: int,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        request = self._http.build_request(
            "POST",
            self._on_this_api(path),
            content=content,
            headers={"Content-Type": JSON, "Content-Length": str(length), **(headers or {})},
        )
        return _json(self.send(request))

    def _on_this_api(self, path: str) -> httpx.URL | str:
        """A path under /v1, or a link the API gave (a page's `next`). A link to another
        address is followed on this one, with its path and query: the key goes only where
        the user sent it."""
        url = httpx.URL(path)
        if not url.is_absolute_url:
            return path.removeprefix(BASE_PATH) if path.startswith(BASE_PATH + "/") else path
        return self.root.copy_with(raw_path=url.raw_path)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        # Something between us and the API answered in its place (a login page, say).
        kind = response.headers.get("Content-Type", "no content type")
        raise ClientError(
            f"{response.request.url} answered {response.status_code} with {kind}, not JSON"
        ) from None
