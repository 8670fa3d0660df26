"""`mockserver proxy --upstream URL API`: the validation proxy, from the command line.

It serves until Ctrl-C (SIGINT) or SIGTERM, then prints what it saw, writes the report
files asked for (`--report FILE.json`, `--junit-xml FILE`) and exits 1 if any exchange
broke the contract, 0 if none did (an upstream that did not answer is counted, not a
violation); 2 for a bad spec, option or report path, in one line.
"""

from __future__ import annotations

import argparse
import signal
import time
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contracts.errors import UsageError

from .cli import _count, _seconds
from .config import MockConfig, ProxyConfig

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    proxy = sub.add_parser(
        "proxy",
        help="forward to a real backend, validating every exchange against the contract",
    )
    proxy.add_argument("api", metavar="API_ID_OR_SPEC_PATH")
    proxy.add_argument(
        "--upstream", required=True, metavar="URL", help="the real backend's base URL"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    proxy.add_argument("--port", type=_count(0), default=4010)
    proxy.add_argument("--report", metavar="FILE.json", help="write the JSON report at shutdown")
    proxy.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report at shutdown")
    proxy.add_argument(
        "--upstream-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="to connect, and between two reads of an answer (default 30), then 504",
    )
    proxy.add_argument(
        "--max-response-bytes",
        type=_count(1),
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help="the most of an answer validated (default 10 MiB); a longer one is forwarded "
        "whole, its body unchecked",
    )
    proxy.add_argument(
        "--shutdown-timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="at shutdown, exchanges in flight get this long (default 5)",
    )
    proxy.add_argument(
        "--fail-on",
        choices=["any", "response"],
        default="any",
        help="which violations fail the run (exit 1, JUnit failures): any (default), or "
        "only the backend's answers (a test suite that sends invalid requests on purpose)",
    )
    proxy.add_argument("--max-body-size", type=_count(1), default=1_048_576, metavar="BYTES")
    proxy.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="the admin API (/__mock/*) then needs 'Authorization: Bearer TOKEN'",
    )
    proxy.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name to answer besides the bound address, localhost and IP addresses "
        "(others get 421); repeatable; '*' accepts any",
    )
    proxy.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )


def configs(args: argparse.Namespace) -> tuple[MockConfig, ProxyConfig]:
    upstream = urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.netloc:
        raise UsageError(f"--upstream {args.upstream!r} is not an http:// or https:// URL")
    if upstream.query or upstream.fragment:
        raise UsageError(f"--upstream {args.upstream!r}: a base URL has no query or fragment")
    for option, path in (("--report", args.report), ("--junit-xml", args.junit_xml)):
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise UsageError(f"{option} {path}: no directory {Path(path).parent} to write it in")
    if args.port > 65535:
        raise UsageError(f"--port {args.port} is not a TCP port")
    config = MockConfig(
        apis=(args.api,),
        host=args.host,
        port=args.port,
        cors=False,
        max_body_size=args.max_body_size,
        admin_token=args.admin_token or None,
        allowed_hosts=tuple(args.allowed_host),
        shutdown_timeout=args.shutdown_timeout,
        on_start=_announce,
    )
    proxy = ProxyConfig(
        upstream=args.upstream,
        upstream_timeout=args.upstream_timeout,
        max_response_bytes=args.max_response_bytes,
        fail_on=frozenset({"response"} if args.fail_on == "response" else {"request", "response"}),
    )
    return config, proxy


def _announce(server: Any) -> None:
    contract = server.contract
    ops = len(contract.operations)
    print(
        f"{'proxy':<10} {server.config.base_url} → {server.upstream}  {contract.api_id} "
        f"({ops} operation{'s' if ops != 1 else ''}, {contract.title})",
        flush=True,
    )
    if server.config.admin:
        print(f"{'admin':<10} {server.config.base_url}/__mock/violations", flush=True)
    print("Ready. Press Ctrl-C to stop and write the report.", flush=True)


def _write(path: str | None, text: str, what: str) -> None:
    if path is None:
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    print(f"{what}: {path}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; the exit status says whether the contract held."""
    import uvicorn

    from .build import load_contracts
    from .connections import uvicorn_settings
    from .proxy import ProxyServer
    from .proxy_report import render_json, render_junit_xml

    config, proxy = configs(args)
    app = ProxyServer(config, proxy, load_contracts(config)())
    settings: dict[str, Any] = {
        **uvicorn_settings(config),
        "host": config.host,
        "port": config.port,
        "log_level": args.log_level,
        "access_log": args.log_level in {"debug", "info"},
        "date_header": False,  # the upstream's own Date goes through
    }
    settings.pop("lifespan")  # uvicorn's default ("auto") runs ours
    started = time.monotonic()
    # uvicorn shuts down gracefully on SIGTERM as on SIGINT, then re-raises the signal to
    # the handler it found: both end here as a KeyboardInterrupt, and the report is written.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with suppress(KeyboardInterrupt):
        uvicorn.run(app, **settings)
    seconds = time.monotonic() - started
    tally = app.tally
    print(
        "\n".join(
            f"mockserver proxy: {line}" if i == 0 else line for i, line in enumerate(tally.lines())
        ),
        flush=True,
    )
    _write(args.report, render_json(tally, spec=str(app.contract.path), seconds=seconds), "report")
    _write(args.junit_xml, render_junit_xml(tally, seconds=seconds), "JUnit XML")
    return 0 if tally.conforms else 1
