"""The report for a person: a line per phase with counts, then each finding."""

from __future__ import annotations

from collections.abc import Iterator

from .findings import Finding, Report

__all__ = ["render_console"]


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _finding(number: int, finding: Finding) -> Iterator[str]:
    where = f" [{finding.case}]" if finding.case else ""
    check = f"{finding.check} ({finding.subkind})" if finding.subkind else finding.check
    yield f"{number}. {finding.phase} · {check} · {finding.operation}{where} ({finding.severity})"
    yield "    contract: " + finding.expected.splitlines()[0]
    for line in finding.expected.splitlines()[1:]:
        yield "              " + line
    yield "    server:   " + finding.actual
    yield "    reproduce:"
    yield _indent(finding.curl)


def render_console(report: Report) -> str:
    """The whole human report as text (no colour; it goes to logs as often as terminals)."""
    lines = [f"contracts verify {report.api} against {report.base_url} (seed {report.seed})", ""]
    for warning in report.warnings:
        lines.append(f"warning: {warning}")
    if report.warnings:
        lines.append("")
    for phase in report.phases:
        if phase.skipped:
            lines.append(f"  {phase.name:<11} skipped: {phase.skipped}")
            continue
        lines.append(
            f"  {phase.name:<11} {phase.requests:>5} requests {phase.passed:>6} checks passed "
            f"{phase.failed:>4} failed  {len(phase.findings):>3} findings  {phase.seconds:5.1f}s"
        )
    lines.append("")
    findings = report.findings
    if findings:
        lines.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}:")
        lines.append("")
        for number, finding in enumerate(findings, start=1):
            lines.extend(_finding(number, finding))
            lines.append("")
    for why in report.incomplete:
        lines.append(f"incomplete: {why.splitlines()[0]}")
    if report.conforms and not report.incomplete:
        lines.append(f"{report.api} conforms to its contract ({report.seconds:.1f}s)")
    elif findings:
        lines.append(
            f"{report.api} does not conform: {len(findings)} finding"
            f"{'s' if len(findings) != 1 else ''} ({report.seconds:.1f}s; rerun with --seed {report.seed})"
        )
    return "\n".join(lines)
