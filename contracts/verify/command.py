"""`contracts verify`: the command line over `verify()` and its reporters."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from ..errors import UsageError
from .console import render_console
from .findings import PHASES, PhaseResult, Report
from .jsonreport import render_json
from .junit import render_junit
from .options import DEFAULT_MAX_EXAMPLES, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT, VerifyOptions

__all__ = ["add_parser", "run"]

HELP = "run the conformance suite against a live implementation"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register `verify` on the `contracts` subcommand parser."""
    parser = sub.add_parser(
        "verify",
        help=HELP,
        description=(
            "Check a live implementation against its contract: documented examples, documented "
            "error cases (from the scenarios file), Schemathesis property-based tests, and "
            "repeated requests. Every request is bounded (--request-timeout, "
            "--max-response-bytes) and a request without a complete HTTP answer is a "
            "`transport` finding. Exit 0: conforms; 1: findings; 2: usage or set-up error "
            "(or a run stopped at --deadline before it found anything); 130: Ctrl-C."
        ),
    )
    parser.add_argument("api", metavar="API_ID_OR_SPEC", help="an API id (quiva) or a spec file")
    parser.add_argument(
        "--base-url", required=True, metavar="URL", help="where the implementation is served"
    )
    parser.add_argument(
        "--scenarios", type=Path, metavar="FILE", help="scenarios naming your own data"
    )
    parser.add_argument(
        "--token",
        help="token for every http bearer, oauth2 and openIdConnect scheme "
        "(replaces the scenarios' default credential)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="key for every apiKey scheme, in its declared header, query or cookie",
    )
    parser.add_argument(
        "--basic", metavar="USER:PASS", help="user and password for every http basic scheme"
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="extra header for every request (repeatable)",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        metavar="LIST",
        help=f"comma-separated phases to run (default: {','.join(PHASES)})",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help=f"generated examples per operation in the properties phase (default {DEFAULT_MAX_EXAMPLES})",
    )
    parser.add_argument("--seed", type=int, help="seed for generated data (printed when omitted)")
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N", help="run phases and cases N at a time"
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=REQUEST_TIMEOUT,
        metavar="SECONDS",
        help=f"most one request may take: connect, each read and the whole response "
        f"(default {REQUEST_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-response-bytes",
        type=int,
        default=MAX_RESPONSE_BYTES,
        metavar="N",
        help=f"most of a response body read; more is a finding (default {MAX_RESPONSE_BYTES}); "
        "an event stream is read up to this or 20 events",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="stop the whole run after SECONDS and report what ran (default: no limit)",
    )
    parser.add_argument("--junit-xml", type=Path, metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--report", type=Path, metavar="FILE.json", help="write a JSON report")
    parser.set_defaults(run=run)
    return parser


def _headers(raw: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"-H {item!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def _options(args: argparse.Namespace) -> VerifyOptions:
    phases = tuple(p.strip() for p in str(args.phases).split(",") if p.strip())
    unknown = [p for p in phases if p not in PHASES]
    if unknown or not phases:
        raise UsageError(
            f"--phases: unknown phase {unknown[0] if unknown else ''!r} (phases: {', '.join(PHASES)})"
        )
    if args.max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if not args.request_timeout > 0:
        raise UsageError("--request-timeout must be more than 0 seconds")
    if args.max_response_bytes < 1:
        raise UsageError("--max-response-bytes must be at least 1")
    if args.deadline is not None and not args.deadline > 0:
        raise UsageError("--deadline must be more than 0 seconds")
    if args.basic is not None and ":" not in args.basic:
        raise UsageError("--basic: expected USER:PASS")
    if not str(args.base_url).startswith(("http://", "https://")):
        raise UsageError(f"--base-url {args.base_url!r}: expected http://HOST[:PORT][/PATH]")
    if args.scenarios is not None and not args.scenarios.is_file():
        raise UsageError("scenarios file not found", file=args.scenarios)
    return VerifyOptions(
        base_url=args.base_url,
        scenarios=args.scenarios,
        token=args.token,
        api_key=args.api_key,
        basic=args.basic,
        headers=_headers(args.header),
        phases=phases,
        max_examples=args.max_examples,
        seed=args.seed,
        workers=args.workers,
        request_timeout=args.request_timeout,
        max_response_bytes=args.max_response_bytes,
        deadline=args.deadline,
    )


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write report: {exc.strerror}", file=path) from None


_REPORTING_TIME = 0.5  # seconds --deadline keeps for rendering and writing the reports
INTERRUPTED = 130  # the shell's status for a run ended by Ctrl-C (128 + SIGINT)


def run(args: argparse.Namespace) -> int:
    """Run the suite as the command line asks; 0 conforms, 1 findings (2 is raised as an
    error), 130 interrupted. The reports are written whichever way the run ends."""
    started = time.monotonic() - _process_age()
    options = _options(args)
    from .suite import load_for_verify, verify  # Schemathesis: only when a run needs it

    contract = load_for_verify(args.api, options)
    if options.deadline is not None:
        # --deadline counts from the process's start, with time left to write the reports.
        left = options.deadline - (time.monotonic() - started) - _REPORTING_TIME
        options = dataclasses.replace(options, deadline=max(left, 0.1))

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    try:
        report = verify(contract, options, progress=progress)
    except KeyboardInterrupt:  # before the phases started: an empty report says so
        report = Report(
            api=contract.api_id,
            base_url=options.base_url,
            seed=options.seed or 0,
            phases=[
                PhaseResult(name=p, skipped="not reached: interrupted") for p in options.phases
            ],
            stopped="interrupted (Ctrl-C) before the phases started",
        )
    print(render_console(report), flush=True)
    if args.junit_xml is not None:
        _write(args.junit_xml, render_junit(report))
    if args.report is not None:
        _write(args.report, render_json(report))
    status = _status(report)
    if report.stopped is not None:
        # Requests still in flight end within --request-timeout, but nothing is left to
        # wait for: the reports are written and the output flushed.
        if status is None:
            print(f"contracts: verify could not complete: {report.stopped}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(status if status is not None else 2)
    if status is None:
        raise UsageError(f"verify could not complete: {report.incomplete[0].splitlines()[0]}")
    return status


def _process_age() -> float:
    """Seconds since this process started (Linux: /proc), so that --deadline counts the
    interpreter's start-up too; 0 where that cannot be read."""
    try:
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def _status(report: Report) -> int | None:
    """The exit status; None where the run could not complete (a usage or set-up error)."""
    if report.stopped is not None and report.stopped.startswith("interrupted"):
        return INTERRUPTED
    if report.findings:
        return 1
    if report.incomplete:
        return None
    return 0
