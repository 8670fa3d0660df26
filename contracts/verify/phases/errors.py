"""Phase 2, errors: each scenarios case is provoked and must answer as documented.

A case names a request (workflow, credential, body) and what it must answer: a status,
a documented example of that status, a media type, and `match: exact` where the docs
fix the body (quiva's "cannot run an archived flow"). The body must be valid against
that status's schema (Schemathesis's checks); with `exact` it must equal the example,
fields the scenarios `render` as server-filled excepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import Operation
from ...scenarios import Case
from ..documented import case_request, scenarios_operation
from ..findings import Finding, PhaseResult
from ..target import CONFORMANCE_CHECKS, NOT_JSON, Exchange
from .context import Outcome, PhaseContext, conformance, run_jobs

__all__ = ["run", "without_rendered"]

PHASE = "errors"


def without_rendered(value: Any, render: Mapping[str, Any]) -> Any:
    """`value` with the fields a server fills in (the render spec's paths) removed."""
    if not render or not isinstance(value, dict):
        return value
    out: dict[str, Any] = {k: v for k, v in value.items()}
    for dotted in render:
        parts = str(dotted).split(".")
        node: Any = out
        for i, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                break
            if i == len(parts) - 1:
                del node[part]
            else:
                node[part] = dict(node[part]) if isinstance(node[part], dict) else node[part]
                node = node[part]
    return out


def _exact(ctx: PhaseContext, op: Operation, case: Case, exchange: Exchange) -> Finding | None:
    name = case.expect.example
    found = op.response_example(name) if name else None
    if found is None:
        return None
    _response, _media, example = found
    sc = ctx.contract.scenarios
    render = sc.render.get(example.name, {}) if sc is not None else {}
    if isinstance(example.value, str) and not exchange.media_type.endswith("json"):
        actual: Any = exchange.response.content.decode("utf-8", "replace")
    else:
        actual = exchange.json()
    if without_rendered(actual, render) == without_rendered(example.value, render):
        return None
    return Finding(
        phase=PHASE,
        check="documented_error",
        operation=op.key,
        expected=f"exactly the documented example {name!r}: {_compact(example.value)}",
        actual=exchange.describe()
        if actual is not NOT_JSON
        else f"not JSON: {exchange.describe()}",
        curl=exchange.curl,
        case=case.name,
    )


def _compact(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"


def run(ctx: PhaseContext) -> PhaseResult:
    """Replay every scenarios case against the implementation."""
    sc = ctx.contract.scenarios
    op = scenarios_operation(ctx.contract)
    cases = list(sc.cases) if sc is not None and op is not None else []

    def job(case: Case) -> Outcome:
        assert op is not None
        outcome = Outcome(case=case.name, requests=1)
        exchange = ctx.target.send(op, case_request(ctx.contract, op, case))
        expect = case.expect
        status_ok = exchange.status == expect.status
        outcome.check(
            "documented_error",
            None
            if status_ok
            else Finding(
                phase=PHASE,
                check="documented_error",
                operation=op.key,
                expected=f"{expect.status}"
                + (f" with example {expect.example!r}" if expect.example else "")
                + f" ({case.summary})",
                actual=exchange.describe(),
                curl=exchange.curl,
                case=case.name,
            ),
        )
        names = tuple(
            n
            for n in CONFORMANCE_CHECKS
            if not (n == "not_a_server_error" and expect.status >= 500 and status_ok)
        )
        conformance(ctx, outcome, PHASE, op, exchange, names)
        if status_ok:
            outcome.check(
                "content_type_conformance",
                None
                if exchange.media_type == expect.media_type.lower()
                else Finding(
                    phase=PHASE,
                    check="content_type_conformance",
                    operation=op.key,
                    expected=f"{expect.status} as {expect.media_type} ({case.summary})",
                    actual=exchange.describe(),
                    curl=exchange.curl,
                    case=case.name,
                ),
            )
            if expect.match == "exact":
                outcome.check("documented_error", _exact(ctx, op, case, exchange))
        ctx.progress(f"errors: {case.name} → {exchange.status}")
        return outcome

    return run_jobs(PHASE, ctx, cases, job, lambda case: case.name)
