"""`contracts`: lint, diff and verify OpenAPI contracts.

Exit codes: 0 conforms / no finding at the failing level, 1 findings, 2 usage or setup
error (reported as one line: file:line: cause, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import verify
from .errors import FlowcontractError

__all__ = ["main"]


def _not_yet(name: str) -> int:
    print(f"contracts {name}: not implemented yet", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contracts", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("lint", help="check specs and scenarios for defects a client could trip over")
    sub.add_parser("diff", help="classify the changes between two versions of a contract")
    verify.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            return _not_yet(args.command)
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return int(handler(args))
    except FlowcontractError as exc:
        print(f"contracts: {exc}", file=sys.stderr)
        return 2
