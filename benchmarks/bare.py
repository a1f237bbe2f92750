"""The yardstick: a bare FastAPI endpoint served by uvicorn exactly as the API is served."""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

PATH = "/bare"

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get(PATH)
async def bare() -> dict[str, object]:
    # A small fixed object: what is left is the cost of uvicorn, Starlette and FastAPI.
    return {"status": "ok", "items": [1, 2, 3], "name": "bare"}


def serve(app: str, port: int, description: str | None, argv: list[str] | None) -> None:
    """Serve `app` ("module:attribute") with the same uvicorn options as
    `leergemeenschap serve --no-access-log` (app/cli.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=20,
        access_log=False,
    )


def main(argv: list[str] | None = None) -> None:
    serve("benchmarks.bare:app", 8001, __doc__, argv)


if __name__ == "__main__":
    main()
