"""Reporters: lint findings and diff changes rendered for people and for machines.

The findings are data (`contracts.lint.Finding`, `contracts.diff.Change`); each output
format is one function here, and nothing else in flowcontract formats them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from .diff.rules import LEVELS, Change
from .lint import Finding

__all__ = [
    "diff_json",
    "diff_markdown",
    "diff_text",
    "lint_json",
    "lint_text",
]


def _lint_summary(findings: Sequence[Finding], files: int) -> dict[str, int]:
    return {
        "files": files,
        "errors": sum(f.severity == "error" for f in findings),
        "warnings": sum(f.severity == "warning" for f in findings),
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def lint_text(findings: Sequence[Finding], files: int) -> str:
    """`path:line:col: severity rule-id: message`, one a line (`[also at file:line:col]`
    where a defect written once shows elsewhere), then a summary line."""
    lines = [
        f"{f.file}:{f.line}:{f.col}: {f.severity} {f.rule}: {f.message}"
        + "".join(f" [also at {where}]" for where in f.also_at)
        for f in findings
    ]
    s = _lint_summary(findings, files)
    lines.append(
        f"{_plural(s['errors'], 'error')}, {_plural(s['warnings'], 'warning')} "
        f"in {_plural(files, 'file')} linted"
    )
    return "\n".join(lines)


def lint_json(findings: Sequence[Finding], files: int) -> str:
    """`{"findings": [...], "summary": {...}}`."""
    return json.dumps(
        {"findings": [asdict(f) for f in findings], "summary": _lint_summary(findings, files)},
        indent=2,
    )


def _diff_summary(changes: Sequence[Change]) -> dict[str, int]:
    return {level: sum(c.level == level for c in changes) for level in LEVELS}


def _summary_line(changes: Sequence[Change]) -> str:
    s = _diff_summary(changes)
    return f"{s['breaking']} breaking, {_plural(s['warning'], 'warning')}, {s['info']} info"


def diff_text(changes: Sequence[Change]) -> str:
    """Each change with its level, rule, location, what changed and why it matters."""
    lines: list[str] = []
    for level in LEVELS:
        for c in (c for c in changes if c.level == level):
            where = f"{c.spec}: " if c.spec else ""
            lines.append(f"{level} {c.rule}: {where}{c.location}")
            lines.append(f"    {c.message}")
            if level != "info":
                lines.append(f"    why: {c.why}")
    lines.append(_summary_line(changes))
    return "\n".join(lines)


def diff_json(changes: Sequence[Change]) -> str:
    """`{"changes": [...], "summary": {"breaking": n, "warning": n, "info": n}}`."""
    return json.dumps(
        {"changes": [asdict(c) for c in changes], "summary": _diff_summary(changes)}, indent=2
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def diff_markdown(changes: Sequence[Change]) -> str:
    """A pull-request comment: a headline, then one table per level that has changes."""
    titles = {"breaking": "Breaking changes", "warning": "Warnings", "info": "Other changes"}
    out = [f"### Contract diff: {_summary_line(changes)}", ""]
    if not changes:
        out.append("No change a client could notice.")
    for level in LEVELS:
        selected = [c for c in changes if c.level == level]
        if not selected:
            continue
        out += [f"#### {titles[level]} ({len(selected)})", ""]
        if level == "info":
            out += ["| rule | where | change |", "|---|---|---|"]
            out += [
                f"| `{c.rule}` | `{_cell((c.spec + ': ' if c.spec else '') + c.location)}` "
                f"| {_cell(c.message)} |"
                for c in selected
            ]
        else:
            out += ["| rule | where | change | why it matters |", "|---|---|---|---|"]
            out += [
                f"| `{c.rule}` | `{_cell((c.spec + ': ' if c.spec else '') + c.location)}` "
                f"| {_cell(c.message)} | {_cell(c.why)} |"
                for c in selected
            ]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
