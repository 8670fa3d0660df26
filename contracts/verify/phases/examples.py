"""Phase 1, examples: every documented request example is sent and the answer must conform.

Conformance is Schemathesis's (status documented, content type, headers, body schema,
no 5xx). Where the scenarios pair the request example with a response example, the
answer must also have that example's status and its top-level keys; an example the
scenarios do not pair must at least be accepted (2xx): it documents a valid request. A
request where some value is not documented but made up from its schema (a spec without
scenarios and without parameter examples) need only be answered as documented.
"""

from __future__ import annotations

from typing import Any

from ...catalog import Operation
from ...requests import Request
from ..documented import example_requests, scenarios_operation
from ..findings import Finding, PhaseResult
from ..target import CONFORMANCE_CHECKS, NOT_JSON, Exchange
from .context import Outcome, PhaseContext, conformance, run_jobs

__all__ = ["run"]

PHASE = "examples"


def _shape_problem(expected: Any, actual: Any) -> str | None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return "the body is not a JSON object"
        missing = [key for key in expected if key not in actual]
        return f"missing keys: {', '.join(missing)}" if missing else None
    if isinstance(expected, str) and not isinstance(actual, str):
        return "the body is not a JSON string"
    if isinstance(expected, list) and not isinstance(actual, list):
        return "the body is not a JSON array"
    return None


def _paired(ctx: PhaseContext, op: Operation, name: str, exchange: Exchange) -> Finding | None:
    sc = ctx.contract.scenarios
    paired = sc.pairs.get(name) if sc is not None else None
    found = op.response_example(paired) if paired else None
    if paired is None or found is None:
        if 200 <= exchange.status < 300:
            return None
        return Finding(
            phase=PHASE,
            check="example_response",
            operation=op.key,
            expected=f"request example {name!r} documents a valid request: a 2xx answer",
            actual=exchange.describe(),
            curl=exchange.curl,
            case=name,
        )
    response, _media_type, example = found
    keys = (
        ", ".join(example.value)
        if isinstance(example.value, dict)
        else type(example.value).__name__
    )
    expected = (
        f"{response.status} shaped like response example {example.name!r} "
        f"(paired with {name!r} in the scenarios; keys: {keys})"
    )
    problem = None
    if str(exchange.status) != response.status:
        problem = f"status {exchange.status}"
    else:
        body = exchange.json()
        problem = (
            "the body is not JSON" if body is NOT_JSON else _shape_problem(example.value, body)
        )
    if problem is None:
        return None
    return Finding(
        phase=PHASE,
        check="example_response",
        operation=op.key,
        expected=expected,
        actual=f"{problem}: {exchange.describe()}",
        curl=exchange.curl,
        case=name,
    )


def run(ctx: PhaseContext) -> PhaseResult:
    """Send every request example of every operation; judge each answer."""
    paired_op = scenarios_operation(ctx.contract)
    jobs: list[tuple[Operation, str, Request, bool]] = [
        (op, name, request, documented)
        for op in ctx.contract.operations
        for name, request, documented in example_requests(ctx.contract, op)
    ]

    def job(item: tuple[Operation, str, Request, bool]) -> Outcome:
        op, name, request, documented = item
        outcome = Outcome(case=name, requests=1)
        exchange = ctx.target.send(op, request)
        conformance(ctx, outcome, PHASE, op, exchange, CONFORMANCE_CHECKS)
        # A request made of documented values must succeed; one with values made up from
        # schemas (an id the server may not hold) or without the credentials it needs (a
        # usage warning says so once) need only be answered as documented.
        expects_success = documented and not ctx.target.lacks_credentials(op)
        if op == paired_op or (paired_op is None and expects_success):
            finding = _paired(ctx, op, name, exchange)
            outcome.check(finding.check if finding else "example_response", finding)
        ctx.progress(f"examples: {op.key} {name} → {exchange.status}")
        return outcome

    return run_jobs(PHASE, ctx, jobs, job, lambda item: item[1])
