"""The `leergemeenschap` command: migrate, seed-demo, serve, api-keys, openapi, and `client`,
which asks a running API (`app/client/`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from app.core.config import get_settings

OPENAPI_PATH = Path("openapi/openapi.json")
APP = "app.main:create_app"
T = TypeVar("T")


def alembic_config(url: str | None = None) -> object:
    from alembic.config import Config

    import migrations

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if url:
        config.attributes["url"] = url
    return config


def migrate(revision: str = "heads", url: str | None = None) -> list[str]:
    """Upgrade the database to `revision`; the migrations applied, oldest first, each as
    "<id> <message>" (none when it was already there)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(url)
    before = _database_revision(url)
    command.upgrade(config, revision)  # type: ignore[arg-type]
    after = _database_revision(url)
    if after is None or after == before:
        return []
    script = ScriptDirectory.from_config(config)  # type: ignore[arg-type]
    steps = script.iterate_revisions(after, before)  # newest first
    return [f"{step.revision} {step.doc}" for step in reversed(list(steps))]


def _database_revision(url: str | None) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from sqlalchemy import text

    from app.core.db import build_engine

    async def read() -> str | None:
        engine = build_engine(get_settings(), url)
        try:
            async with engine.connect() as conn:
                return (
                    await conn.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
        except Exception:  # no version table yet: nothing was ever migrated
            return None
        finally:
            await engine.dispose()

    return asyncio.run(read())


def openapi_text() -> str:
    from app.main import create_app, openapi_document

    document = openapi_document(create_app())
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cmd_openapi(args: argparse.Namespace) -> int:
    text = openapi_text()
    path = Path(args.output)
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(
                f"{path} differs from the app's document; run `leergemeenschap openapi`.",
                file=sys.stderr,
            )
            return 1
        print(f"{path} matches the app.")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _cmd_migrate(_: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    where = make_url(get_settings().database_url).render_as_string(hide_password=True)
    applied = migrate()
    if not applied:
        print(f"{where}: already up to date, nothing to migrate.")
        return 0
    print(f"{where}: applied {len(applied)} migration(s):")
    for step in applied:
        print(f"  {step}")
    return 0


async def _with_database(coro_factory: Callable[[], Awaitable[T]]) -> T:
    from app.core.db import database

    database.configure(get_settings())
    try:
        return await coro_factory()
    finally:
        await database.dispose()


def _cmd_seed(args: argparse.Namespace) -> int:
    from app.demo.loader import seed_demo

    async def run() -> str:
        return await seed_demo(if_empty=args.if_empty)

    print(asyncio.run(_with_database(run)))
    return 0


# How the API key schema's properties are spelled on the command line, for error messages.
_KEY_OPTIONS = {
    "name": "--name",
    "role": "--role",
    "memberId": "--member-id",
    "expiresAt": "--expires-at",
}


def _cmd_api_key(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from app.auth.schemas import ApiKeyCreate, ApiKeyCreated
    from app.auth.service import issue_key
    from app.core.context import SYSTEM
    from app.core.db import database
    from app.core.errors import DomainError
    from app.core.permissions import Role

    # The same schema as POST /v1/api-keys, so the command accepts exactly what the API does
    # (a zone-less --expires-at or a malformed --member-id is an error here too, not a crash).
    try:
        data = ApiKeyCreate.model_validate(
            {
                "name": args.name,
                "role": args.role,
                "memberId": args.member_id,
                "expiresAt": args.expires_at,
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            option = _KEY_OPTIONS.get(field, field)
            if field == "role":
                reason = f"one of: {', '.join(r.value for r in Role)}"
            else:
                reason = error["msg"]
            print(f"{option}: {reason}", file=sys.stderr)
        return 2

    async def run() -> ApiKeyCreated:
        async with database.engine.begin() as conn:
            return await issue_key(
                conn,
                SYSTEM,
                name=data.name,
                role=data.role,
                member_id=data.member_id,
                expires_at=data.expires_at,
            )

    try:
        item = asyncio.run(_with_database(run))
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for param in exc.extra.get("invalidParams", []):
            name = _KEY_OPTIONS.get(param["name"], param["name"])
            print(f"{name}: {param['reason']}", file=sys.stderr)
        return 2
    print(
        f"Created API key {item['id']} ({item['role']}, {item['name']}). "
        "Keep it safe: it is shown only this once."
    )
    print(item["key"])
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "proxy_headers": True,
        "forwarded_allow_ips": args.forwarded_allow_ips,
        # On SIGTERM each worker stops accepting, lets the requests in flight finish (up to
        # this many seconds), then runs the app's shutdown, which closes its database pool.
        "timeout_graceful_shutdown": args.graceful_timeout,
        "access_log": not args.no_access_log,
    }
    if args.workers <= 1:
        uvicorn.run(APP, **options)
        return 0
    config = uvicorn.Config(APP, **options)
    _draining_supervisor(config)
    return 0


def _draining_supervisor(config: Any) -> None:
    """uvicorn's multi-worker supervisor, but closing its own copy of the listening socket
    when it is told to stop. uvicorn's keeps that copy open until the last worker has
    drained, so connections made meanwhile waited in the backlog of a socket nobody accepted
    from any more, and hung. Closed, they are refused at once (a load balancer retries them
    on another machine) while the workers finish what they had."""
    from uvicorn.supervisors import Multiprocess

    class DrainingMultiprocess(Multiprocess):
        def terminate_all(self) -> None:
            for sock in self.sockets:
                sock.close()
            super().terminate_all()

    sock = config.bind_socket()
    DrainingMultiprocess(config, sockets=[sock]).run()


def _cmd_worker(_: argparse.Namespace) -> int:
    """Deliver webhooks until SIGTERM or SIGINT; then finish the deliveries in flight."""
    import signal

    # The application, for every domain's registration in the change feed (app/audit/feed.py).
    import app.main  # noqa: F401
    from app.core.db import database
    from app.webhooks.delivery import run_worker

    settings = get_settings()

    async def run() -> None:
        database.configure(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        try:
            await run_worker(settings, stop)
        finally:
            await database.dispose()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run())
    return 0


def _cmd_client(args: argparse.Namespace) -> int:
    from app.client.main import run

    return run(args.client_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leergemeenschap", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply the Alembic migrations up to head").set_defaults(
        func=_cmd_migrate
    )

    seed = sub.add_parser("seed-demo", help="load the demo community (idempotent)")
    seed.add_argument("--if-empty", action="store_true", help="only when no members exist yet")
    seed.set_defaults(func=_cmd_seed)

    serve = sub.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (see docs/operations.md)"
    )
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    serve.add_argument(
        "--graceful-timeout",
        type=int,
        default=20,
        help="seconds a worker lets requests in flight finish after SIGTERM (default 20)",
    )
    serve.add_argument("--no-access-log", action="store_true")
    serve.set_defaults(func=_cmd_serve)

    sub.add_parser(
        "worker", help="deliver webhooks (beside or instead of the API processes' own)"
    ).set_defaults(func=_cmd_worker)

    keys = sub.add_parser("api-keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="issue a key; it is printed on the last line")
    create.add_argument("--role", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--member-id")
    create.add_argument("--expires-at", help="ISO 8601 date-time with offset")
    create.set_defaults(func=_cmd_api_key)

    openapi = sub.add_parser("openapi", help="write (or --check) openapi/openapi.json")
    openapi.add_argument("--check", action="store_true")
    openapi.add_argument("--output", default=str(OPENAPI_PATH))
    openapi.set_defaults(func=_cmd_openapi)

    # Everything after `client` is the client's to parse (typer, app/client/main.py): this
    # parser has no options of its own (NUL never occurs in an argument), so --help, --url
    # and the rest are handed on as they are.
    client = sub.add_parser(
        "client",
        help="ask a running API: agenda, members, syncs (`leergemeenschap client --help`)",
        add_help=False,
        prefix_chars="\0",
    )
    client.add_argument("client_args", nargs=argparse.REMAINDER)
    client.set_defaults(func=_cmd_client)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
