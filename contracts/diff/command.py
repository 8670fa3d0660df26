"""`contracts diff`: the command line over `contracts.diff` and `contracts.reporters`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..reporters import diff_json, diff_markdown, diff_text
from .documents import diff_files
from .gitref import diff_against_ref
from .rules import LEVELS

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    """Register `contracts diff` on the CLI's subparsers."""
    parser = sub.add_parser(
        "diff",
        help="classify the changes between two versions of a contract",
        description=(
            "contracts diff OLD NEW, or contracts diff --base GIT_REF [SPEC ...] to compare "
            "specs/ at a git ref with the working tree. Exit 1 on a breaking change "
            "(or on a warning with --fail-on warning)."
        ),
    )
    parser.add_argument("specs", nargs="*", metavar="SPEC")
    parser.add_argument(
        "--base", metavar="GIT_REF", help="compare specs/ at this ref with the working tree"
    )
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument(
        "--fail-on", choices=("breaking", "warning", "info", "never"), default="breaking"
    )
    parser.set_defaults(run=run)


def run(args: Any) -> int:
    """`contracts diff`: print the classified changes; 1 at or above `--fail-on`."""
    if args.base:
        changes = diff_against_ref(args.base, args.specs)
    elif len(args.specs) == 2:
        old, new = (Path(s) for s in args.specs)
        for p in (old, new):
            if not p.is_file():
                raise UsageError("file not found", file=p)
        changes = diff_files(old, new)
    else:
        raise UsageError("give OLD and NEW spec files, or --base GIT_REF [SPEC ...]")
    render = {"json": diff_json, "markdown": diff_markdown}.get(args.format, diff_text)
    print(render(changes))
    if args.fail_on == "never":
        return 0
    failing = LEVELS[: LEVELS.index(args.fail_on) + 1]
    return 1 if any(c.level in failing for c in changes) else 0
