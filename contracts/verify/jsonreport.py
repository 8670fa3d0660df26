"""The report for machines: one JSON document (`--report FILE.json`)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .findings import Report

__all__ = ["REPORT_VERSION", "render_json", "report_dict"]

REPORT_VERSION = 1


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain data: verdict, seed, phases with counts, findings."""
    return {
        "version": REPORT_VERSION,
        "api": report.api,
        "base_url": report.base_url,
        "seed": report.seed,
        "conforms": report.conforms and not report.incomplete,
        "seconds": round(report.seconds, 3),
        "stopped": report.stopped,
        "warnings": report.warnings,
        "phases": [
            {
                "name": p.name,
                "requests": p.requests,
                "passed": p.passed,
                "failed": p.failed,
                "findings": len(p.findings),
                "seconds": round(p.seconds, 3),
                "skipped": p.skipped,
                "incomplete": p.incomplete,
            }
            for p in report.phases
        ],
        "findings": [dataclasses.asdict(f) for f in report.findings],
    }


def render_json(report: Report) -> str:
    """`report_dict` as indented JSON text."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
