"""`contracts`: lint, diff and verify OpenAPI contracts.

Exit codes: 0 conforms / no finding at the failing level, 1 findings, 2 usage or setup
error (reported as one line: file:line: cause, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import diff, lint
from .errors import FlowcontractError

__all__ = ["main"]


def _not_yet(name: str) -> int:
    print(f"contracts {name}: not implemented yet", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contracts", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lint.add_parser(sub)
    diff.add_parser(sub)
    sub.add_parser("verify", help="run the conformance suite against a live implementation")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    run = getattr(args, "run", None)
    if run is not None and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        if run is not None:
            return int(run(args))
        return _not_yet(args.command)
    except FlowcontractError as exc:
        print(f"contracts: {exc}", file=sys.stderr)
        return 2
