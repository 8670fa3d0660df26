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

import importlib
from typing import TYPE_CHECKING, Any

from .command import add_parser, run
from .console import render_console
from .findings import PHASES, Finding, PhaseResult, Report
from .jsonreport import render_json, report_dict
from .junit import render_junit
from .options import VerifyOptions

if TYPE_CHECKING:
    from .suite import load_for_verify, verify
    from .target import UnreachableError

_LAZY = {"load_for_verify": "suite", "verify": "suite", "UnreachableError": "target"}


def __getattr__(name: str) -> Any:
    # The suite pulls in Schemathesis (~0.3 s): load it when a run needs it, so that
    # `contracts lint` and `contracts diff` start without it.
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
