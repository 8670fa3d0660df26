"""`contracts verify`: the command line over `verify()` and its reporters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from .console import render_console
from .findings import PHASES
from .jsonreport import render_json
from .junit import render_junit
from .options import DEFAULT_MAX_EXAMPLES, VerifyOptions

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
            "repeated requests. Exit 0: conforms; 1: findings; 2: usage or set-up error."
        ),
    )
    parser.add_argument("api", metavar="API_ID_OR_SPEC", help="an API id (quiva) or a spec file")
    parser.add_argument(
        "--base-url", required=True, metavar="URL", help="where the implementation is served"
    )
    parser.add_argument(
        "--scenarios", type=Path, metavar="FILE", help="scenarios naming your own data"
    )
    parser.add_argument("--token", help="bearer token (replaces the scenarios' default credential)")
    parser.add_argument("--api-key", help="API key (replaces the scenarios' default credential)")
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
    if not str(args.base_url).startswith(("http://", "https://")):
        raise UsageError(f"--base-url {args.base_url!r}: expected http://HOST[:PORT][/PATH]")
    if args.scenarios is not None and not args.scenarios.is_file():
        raise UsageError("scenarios file not found", file=args.scenarios)
    return VerifyOptions(
        base_url=args.base_url,
        scenarios=args.scenarios,
        token=args.token,
        api_key=args.api_key,
        headers=_headers(args.header),
        phases=phases,
        max_examples=args.max_examples,
        seed=args.seed,
        workers=args.workers,
    )


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write report: {exc.strerror}", file=path) from None


def run(args: argparse.Namespace) -> int:
    """Run the suite as the command line asks; 0 conforms, 1 findings (2 is raised as an error)."""
    options = _options(args)
    from .suite import load_for_verify, verify  # Schemathesis: only when a run needs it

    contract = load_for_verify(args.api, options)

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    report = verify(contract, options, progress=progress)
    print(render_console(report), flush=True)
    if args.junit_xml is not None:
        _write(args.junit_xml, render_junit(report))
    if args.report is not None:
        _write(args.report, render_json(report))
    if report.findings:
        return 1
    if report.incomplete:
        raise UsageError(f"verify could not complete: {report.incomplete[0].splitlines()[0]}")
    return 0
