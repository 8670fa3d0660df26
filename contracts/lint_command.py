"""`contracts lint`: the command line over `contracts.lint` and `contracts.reporters`."""

from __future__ import annotations

from typing import Any

from .catalog import default_specs_dir, find_specs, resolve_spec_argument
from .lint import Finding, lint_spec
from .reporters import lint_json, lint_text

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register `contracts lint` on the CLI's subparsers."""
    parser = sub.add_parser(
        "lint",
        help="check specs and scenarios for defects a client could trip over",
        description="Lint OpenAPI contracts and their scenarios files. Exit 1 on any error.",
    )
    parser.add_argument(
        "specs",
        nargs="*",
        metavar="SPEC",
        help="API ids or spec files (default: every spec in specs/ with its scenarios)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: Any) -> int:
    """`contracts lint`: print the findings; 1 if any is an error, else 0."""
    paths = (
        [resolve_spec_argument(s) for s in args.specs]
        if args.specs
        else find_specs(default_specs_dir())
    )
    findings: list[Finding] = []
    for path in paths:
        findings.extend(lint_spec(path))
    print(
        lint_json(findings, len(paths))
        if args.format == "json"
        else lint_text(findings, len(paths))
    )
    return 1 if any(f.severity == "error" for f in findings) else 0
