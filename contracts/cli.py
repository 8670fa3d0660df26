"""`contracts`: lint, diff and verify OpenAPI contracts.

Exit codes: 0 conforms / no finding at the failing level, 1 findings, 2 usage or setup
error (reported as one line: file:line: cause, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import lint_command, verify
from .diff import command as diff_command
from .errors import FlowcontractError
from .yamlsource import MAX_DOCUMENT_BYTES, set_max_document_bytes

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contracts", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-spec-bytes",
        type=int,
        default=MAX_DOCUMENT_BYTES,
        metavar="BYTES",
        help=f"the largest spec, scenarios or $ref file read (default {MAX_DOCUMENT_BYTES:,})",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lint_command.add_parser(sub)  # each command registers itself and sets `run`
    diff_command.add_parser(sub)
    verify.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_spec_bytes < 1:
        parser.error(f"--max-spec-bytes {args.max_spec_bytes}: must be a positive number of bytes")
    set_max_document_bytes(args.max_spec_bytes)
    try:
        return int(args.run(args))
    except FlowcontractError as exc:
        print(f"contracts: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
