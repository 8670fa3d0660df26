"""`mockserver serve`: serve the contracts as mock APIs on one port.

Exit codes: 0 after a clean shutdown (Ctrl-C / SIGTERM), 2 for a bad spec, scenarios
file or option (one line naming the file, line and cause).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from contracts.errors import FlowcontractError, UsageError
from contracts.yamlsource import MAX_DOCUMENT_BYTES, set_max_document_bytes

from .access import is_loopback
from .config import MockConfig

__all__ = ["main"]


def _seconds(text: str) -> float:
    """An argparse type: a positive number of seconds (at most a day)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86_400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 86400 seconds")
    return value


_seconds.__name__ = "seconds"


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number (ASCII digits) no smaller than `minimum`."""

    def parse(text: str) -> int:
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit()):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum of {minimum}")
        return value

    parse.__name__ = "count"  # argparse names the type in its message
    return parse


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line (`--help` still shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="mockserver", description="Mock servers from OpenAPI contracts.")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_OneLineParser
    )
    serve = sub.add_parser("serve", help="serve mock APIs (all of specs/ by default)")
    serve.add_argument("apis", nargs="*", metavar="API_ID_OR_SPEC_PATH")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_count(0), default=4010)
    serve.add_argument(
        "--scenarios",
        action="append",
        default=[],
        metavar="FILE",
        help="a scenarios file (its `api:` names the API it replaces); repeatable",
    )
    serve.add_argument("--seed", type=int, help="make generated data reproducible")
    serve.add_argument("--reload", action="store_true", help="restart when specs change")
    serve.add_argument("--cors", choices=["on", "off"], default="on")
    serve.add_argument("--no-admin", action="store_true", help="disable /__mock/")
    serve.add_argument("--journal-size", type=_count(1), default=10_000)
    serve.add_argument(
        "--journal-bytes",
        type=_count(65_536),
        default=64 * 1024 * 1024,
        metavar="BYTES",
        help="the journal's bound in bytes; the oldest entries go first (default 64 MiB)",
    )
    serve.add_argument("--max-body-size", type=_count(1), default=1_048_576, metavar="BYTES")
    serve.add_argument(
        "--max-spec-bytes",
        type=_count(1),
        default=MAX_DOCUMENT_BYTES,
        metavar="BYTES",
        help=f"the largest spec, scenarios or $ref file read (default {MAX_DOCUMENT_BYTES:,})",
    )
    serve.add_argument(
        "--admin-token",
        default=os.environ.get("MOCKSERVER_ADMIN_TOKEN"),
        metavar="TOKEN",
        help="the admin API (/__mock/*) then needs 'Authorization: Bearer TOKEN'; off loopback "
        "one is generated and printed when none is given (also $MOCKSERVER_ADMIN_TOKEN)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name to answer besides the bound address, localhost and IP addresses "
        "(others get 421: DNS rebinding); repeatable; '*' accepts any",
    )
    serve.add_argument(
        "--header-timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="time a client has to send a request's headers (default 5), then 408",
    )
    serve.add_argument(
        "--body-timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="time a client has to send a request's body (default 10), then 408",
    )
    serve.add_argument(
        "--keepalive-timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="an idle kept-alive connection is closed after this (default 5)",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="at shutdown, in-flight requests get this long (default 5), then 503",
    )
    serve.add_argument(
        "--no-express",
        action="store_true",
        help="send every request through Connexion's guard and validation middleware "
        "(slower; answers are the same)",
    )
    serve.add_argument(
        "--state",
        default="memory",
        metavar="memory|redis://HOST:PORT/DB",
        help="where the journal, sessions and default preferences live (default memory); "
        "workers and instances sharing one Redis are one mock (also rediss:// for TLS, "
        "unix:///PATH?db=N for a socket; docs/scale-out.md)",
    )
    serve.add_argument(
        "--workers",
        type=_count(1),
        default=1,
        metavar="N",
        help="server processes on the one port (default 1; more need --state redis://...)",
    )
    serve.add_argument(
        "--session-ttl",
        type=_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="a session (X-Mock-Session) idle this long is forgotten (default 3600)",
    )
    serve.add_argument(
        "--state-buffer",
        type=_count(1),
        default=10_000,
        metavar="ENTRIES",
        help="journal entries kept locally while Redis is unreachable (default 10000)",
    )
    serve.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )
    from .proxy_command import add_parser as add_proxy_parser

    add_proxy_parser(sub)
    return parser


def config_from_args(args: argparse.Namespace) -> MockConfig:
    from contracts.scenarios import load_scenarios

    set_max_document_bytes(args.max_spec_bytes)  # before the first file is read
    scenarios: dict[str, Path] = {}
    for file in args.scenarios:
        loaded = load_scenarios(file)
        scenarios[loaded.api] = Path(file)
    if args.port < 0 or args.port > 65535:
        raise UsageError(f"--port {args.port} is not a TCP port")
    shared = args.state.startswith(("redis://", "rediss://", "unix://"))
    if args.state != "memory" and not shared:
        raise UsageError(
            f"--state {args.state!r}: use memory, redis://HOST:PORT/DB, rediss://... or unix://..."
        )
    if args.workers > 1 and args.reload:
        raise UsageError("--reload and --workers cannot be combined")
    if args.workers > 1 and not shared:
        raise UsageError(
            f"--workers {args.workers} needs a shared state: add --state redis://HOST:PORT/DB"
        )
    return MockConfig(
        apis=tuple(args.apis),
        scenarios=scenarios,
        host=args.host,
        port=args.port,
        seed=args.seed,
        cors=args.cors == "on",
        admin=not args.no_admin,
        journal_size=args.journal_size,
        journal_bytes=args.journal_bytes,
        max_body_size=args.max_body_size,
        admin_token=args.admin_token or None,
        allowed_hosts=tuple(args.allowed_host),
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        keepalive_timeout=args.keepalive_timeout,
        shutdown_timeout=args.shutdown_timeout,
        express=not args.no_express,
        state=args.state,
        state_buffer=args.state_buffer,
        session_ttl=args.session_ttl,
        workers=args.workers,
        on_start=_announce,
    )


def _announce(server: Any) -> None:
    for contract in server.contracts:
        for warning in contract.warnings:  # what the validation found, served anyway
            print(f"mockserver: {warning}", file=sys.stderr, flush=True)
    for api in server.describe():
        ops = api["operations"]
        print(
            f"{api['id']:<10} {api['base_url']:<34} {ops} operation{'s' if ops != 1 else ''}"
            f"  ({api['title']})",
            flush=True,
        )
    if len(server.contracts) == 1:
        print(f"{'':<10} also at {server.config.base_url}/ (the vendor's own paths)", flush=True)
    if server.config.admin:
        print(f"{'admin':<10} {server.config.base_url}/__mock/health", flush=True)
        token = " (open it once with ?token=<admin token>)" if server.config.admin_token else ""
        print(f"{'dashboard':<10} {server.config.base_url}/__mock/ui{token}", flush=True)
    print("Ready. Press Ctrl-C to stop.", flush=True)


def _announce_when_answering(server: Any) -> None:
    """`--workers`: announce once, when a worker answers (from a thread)."""
    import threading
    import time
    import urllib.error
    import urllib.request

    host = "127.0.0.1" if server.config.host in {"0.0.0.0", "::", ""} else server.config.host
    url = server.config.base_url.replace(server.config.host, host, 1) + "/__mock/health"
    workers = server.config.workers

    def wait() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except urllib.error.HTTPError:  # answering: health may need the admin token
                break
            except OSError:
                time.sleep(0.1)
        from .redis_state import redis_location

        shared = redis_location(server.config.state)
        print(f"{'workers':<10} {workers} processes sharing {shared}", flush=True)
        _announce(server)

    threading.Thread(target=wait, name="announce", daemon=True).start()


def create_app_from_env() -> Any:
    """Factory for `--reload`: the configuration travels in the environment."""
    import json

    from .build import build_app

    raw = json.loads(os.environ["FLOWCONTRACT_MOCK_CONFIG"])
    args = build_parser().parse_args(["serve", *raw])
    return build_app(config_from_args(args))


def serve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    import uvicorn

    from .build import build_app
    from .connections import uvicorn_settings

    config = config_from_args(args)
    if config.state != "memory":
        from .redis_state import check_reachable

        check_reachable(config.state)
    if not is_loopback(config.host):
        if config.admin and config.admin_token is None:
            token = secrets.token_urlsafe(24)
            config = dataclasses.replace(config, admin_token=token)
            os.environ["MOCKSERVER_ADMIN_TOKEN"] = token  # the same one after a --reload
            told = f"admin token (generated): {token}"
        else:
            told = "admin token: the one given"
        admin = (
            f"; the admin API (/__mock/) needs 'Authorization: Bearer <token>', {told}"
            if config.admin
            else ""
        )
        print(
            f"mockserver: warning: binding {config.host}: the mocks are reachable from other "
            f"machines{admin}",
            file=sys.stderr,
            flush=True,
        )
    common: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "log_level": args.log_level,
        "access_log": args.log_level in {"debug", "info"},
        **uvicorn_settings(config),
    }
    common.pop("lifespan")  # uvicorn's default ("auto") runs ours
    if args.reload:
        import json

        os.environ["FLOWCONTRACT_MOCK_CONFIG"] = json.dumps(list(argv[1:]))
        build_app(config)  # fail fast, with a one-line error, before the reloader starts
        uvicorn.run(
            "mockserver.cli:create_app_from_env",
            factory=True,
            reload=True,
            reload_dirs=[str(Path.cwd() / "specs")] if (Path.cwd() / "specs").is_dir() else None,
            reload_includes=["*.yaml", "*.yml", "*.json"],
            **common,
        )
        return 0
    if config.workers > 1:
        from .workers import serve_workers

        # the parent announces once, when the port answers; the workers say nothing
        app = build_app(dataclasses.replace(config, on_start=None))
        _settle_heap()
        return serve_workers(app, common, config.workers, lambda: _announce_when_answering(app))
    # Announced once the socket listens: uvicorn runs the lifespan (where the app starts)
    # before it binds, so "Ready." from there could come before a client can connect.
    app = build_app(dataclasses.replace(config, on_start=None))
    _settle_heap()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it to the handler it found:
    # make that handler a clean exit, so a stopped mock exits 0 as after Ctrl-C.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    _run_then_announce(app, common)
    return 0


def _settle_heap() -> None:
    """Move what start-up built (the documents, their validators: most of the heap, and
    millions of objects for a large document) out of the garbage collector's sight: a full
    collection while serving then scans only what requests made (a pause of ~35 ms every
    ~12,000 requests on the five APIs, longer on larger documents), and forked workers
    share those pages instead of copying them when a collection touches them."""
    import gc

    gc.collect()
    gc.freeze()


def _run_then_announce(app: Any, settings: dict[str, Any]) -> None:
    """`uvicorn.run(app, **settings)`, announcing the mock once its socket accepts
    connections."""
    import uvicorn

    class ListeningServer(uvicorn.Server):
        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                _announce(app)

    ListeningServer(uvicorn.Config(app, **settings)).run()


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "proxy":
            from .proxy_command import run as run_proxy

            return run_proxy(args)
        return serve(args, argv)
    except FlowcontractError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
