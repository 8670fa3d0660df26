"""Phase 4, stateful: what the docs imply across requests.

Each documented request whose answer the scenarios describe (a request example paired
with a response example, or a case expecting a response example) is sent twice:

- `not_a_server_error`: the same request twice is not a 5xx (unless a 5xx is documented
  for it);
- `fresh_ids`: values the scenarios `render` as generated (`exec_{hex:12}`, `{uuid}`) differ
  between the two runs and from the documented example's frozen value;
- `echoed_fields`: values the scenarios `render` from the request (`{path.workflow_id}`,
  `{body.payload}`) echo what was sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...catalog import Example, Operation
from ...requests import Request
from ..documented import case_request, default_parameters, scenarios_operation
from ..findings import Finding, PhaseResult
from ..target import NOT_JSON, Exchange
from ..templates import MISSING, FieldRule, lookup, rules_for
from .context import Outcome, PhaseContext, run_jobs

__all__ = ["run"]

PHASE = "stateful"


@dataclass(frozen=True)
class Probe:
    label: str
    request: Request
    status: int
    example: Example
    render: dict[str, Any]


def _probes(ctx: PhaseContext, op: Operation) -> list[Probe]:
    sc = ctx.contract.scenarios
    assert sc is not None
    probes: list[Probe] = []
    path, query = default_parameters(ctx.contract, op)
    requests = op.request_examples
    for request_name, response_name in sc.pairs.items():
        found = op.response_example(response_name)
        if found is None or request_name not in requests:
            continue
        response, _media, example = found
        sent = requests[request_name]
        request = Request(
            path=path,
            query=query,
            body=sent.value,
            has_body=True,
            media_type=sent.media_type,
        )
        probes.append(
            Probe(
                request_name,
                request,
                int(response.status),
                example,
                dict(sc.render.get(example.name, {})),
            )
        )
    for case in sc.cases:
        name = case.expect.example
        found = op.response_example(name) if name else None
        if found is None or found[2].name not in sc.render:
            continue
        response, _media, example = found
        probes.append(
            Probe(
                case.name,
                case_request(ctx.contract, op, case),
                case.expect.status,
                example,
                dict(sc.render[example.name]),
            )
        )
    return probes


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not MISSING else "(absent)"


def _check_rule(
    op: Operation, probe: Probe, rule: FieldRule, first: Exchange, second: Exchange
) -> Finding | None:
    one = lookup(first.json(), rule.field)
    two = lookup(second.json(), rule.field)
    if one is MISSING:
        return None  # required fields are the schema checks' business

    def finding(check: str, expected: str, actual: str) -> Finding:
        return Finding(
            phase=PHASE,
            check=check,
            operation=op.key,
            expected=expected,
            actual=actual,
            curl=first.curl,
            case=probe.label,
        )

    if rule.echo is not MISSING:
        if one == rule.echo:
            return None
        source = f"echoes {rule.template}" if rule.references else f"is {rule.template}"
        return finding(
            "echoed_fields",
            f"{rule.field} {source}: {_show(rule.echo)}",
            f"{rule.field} = {_show(one)}",
        )
    parts = rule.generated_parts(one)
    if parts is None:
        if not rule.references:
            return None  # the format is the schema's business
        return finding(
            "echoed_fields",
            f"{rule.field} fits {rule.template} with the request's values filled in",
            f"{rule.field} = {_show(one)}",
        )
    if not rule.generates:
        return None
    frozen = lookup(probe.example.value, rule.field)
    if one == frozen:
        why = f"it is the documented example's frozen value {_show(frozen)}"
    elif two is not MISSING and rule.generated_parts(two) == parts:
        why = f"two runs both answered {_show(one)}"
    else:
        return None
    return finding(
        "fresh_ids",
        f"{rule.field} is generated for each run ({rule.template})",
        why,
    )


def run(ctx: PhaseContext) -> PhaseResult:
    """Send each described request twice; compare the two answers with the scenarios."""
    op = scenarios_operation(ctx.contract)
    probes = _probes(ctx, op) if op is not None else []

    def job(probe: Probe) -> Outcome:
        assert op is not None
        outcome = Outcome(case=probe.label, requests=2)
        first = ctx.target.send(op, probe.request)
        second = ctx.target.send(op, probe.request)
        if probe.status < 500:
            for n, exchange in enumerate((first, second), start=1):
                outcome.check(
                    "not_a_server_error",
                    None
                    if exchange.status < 500
                    else Finding(
                        phase=PHASE,
                        check="not_a_server_error",
                        operation=op.key,
                        expected=f"the same request sent twice is not a 5xx (documented: {probe.status})",
                        actual=f"call {n}: {exchange.describe()}",
                        curl=exchange.curl,
                        severity="critical",
                        case=probe.label,
                    ),
                )
        if first.status == second.status == probe.status and NOT_JSON not in (
            first.json(),
            second.json(),
        ):
            for rule in rules_for(probe.render, probe.request):
                finding = _check_rule(op, probe, rule, first, second)
                kind = (
                    "echoed_fields"
                    if rule.echo is not MISSING or not rule.generates
                    else "fresh_ids"
                )
                outcome.check(finding.check if finding else kind, finding)
        ctx.progress(f"stateful: {probe.label} → {first.status}, {second.status}")
        return outcome

    return run_jobs(PHASE, ctx, probes, job, lambda probe: probe.label)
