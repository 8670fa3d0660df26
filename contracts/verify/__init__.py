"""`contracts verify`: the conformance suite a backend team runs against its implementation.

    load_for_verify(spec, options) ─► verify(contract, options) ─► Report
                                          │ phases: examples, errors, properties
                                          │ (Schemathesis engine), stateful
                                          ▼
                       render_console / render_junit / render_json

Findings are data (`Finding`); misuse and an unreachable implementation are
`FlowcontractError`s (exit status 2).
"""

from __future__ import annotations

from .command import add_parser, run
from .console import render_console
from .findings import PHASES, Finding, PhaseResult, Report
from .jsonreport import render_json, report_dict
from .junit import render_junit
from .options import VerifyOptions
from .suite import load_for_verify, verify
from .target import UnreachableError

__all__ = [
    "PHASES",
    "Finding",
    "PhaseResult",
    "Report",
    "UnreachableError",
    "VerifyOptions",
    "add_parser",
    "load_for_verify",
    "render_console",
    "render_json",
    "render_junit",
    "report_dict",
    "run",
    "verify",
]
