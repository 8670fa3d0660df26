"""Failures Schemathesis reports that the contract or the scenarios explain.

Registered as a schema-level `filter_failure` hook, Schemathesis's own extension point
for failures that are not the API's fault, on every schema verify builds:

- `positive_data_acceptance`: a schema-valid request answered with a documented 4xx whose
  body *is* a documented example the scenarios name as a business rule's answer (quiva's
  `{"error": "no trigger specified"}` for a body without `trigger`), fields the scenarios
  render as server-filled excepted. Any other rejection of valid input stays a finding.
- `ignored_auth`: with `unknown_credentials: accept` (the default: the contracts accept any
  well-formed credential), a *made-up* credential being accepted is documented behaviour; a request
  with *no* credential being accepted is still a finding.
- SSE: Schemathesis 4 validates each server-sent event against a `text/event-stream`
  schema (OpenAPI 3.2's reading). In a 3.0 document a `type: string` schema there
  describes the whole stream, which any text satisfies, so per-event failures against it
  are Schemathesis misreading the document, not the API failing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import schemathesis
from schemathesis.openapi.checks import AuthScenario, IgnoredAuth, RejectedPositiveData

from ..catalog import Contract
from .phases.errors import without_rendered

__all__ = ["documented_outcomes", "failure_filter", "whole_stream_statuses"]


def whole_stream_statuses(contract: Contract) -> set[int]:
    """Statuses whose `text/event-stream` schema is a plain string (the whole stream)."""
    out: set[int] = set()
    for op in contract.operations:
        for status, response in op.responses.items():
            media = response.content.get("text/event-stream")
            if (
                media is not None
                and (media.schema or {}).get("type") == "string"
                and status.isdigit()
            ):
                out.add(int(status))
    return out


def documented_outcomes(contract: Contract) -> list[tuple[int, Any, Mapping[str, Any]]]:
    """(status, body, render) of every answer the scenarios attribute to a business rule."""
    sc = contract.scenarios
    if sc is None:
        return []
    op = contract.operation(sc.operation)
    refs: list[tuple[int, str]] = [
        (c.expect.status, c.expect.example) for c in sc.cases if c.expect.example
    ]
    if sc.workflows is not None:
        refs += [(r.status, r.example) for r in sc.workflows.states.values()]
    refs += [(rule.respond.status, rule.respond.example) for rule in sc.scopes]
    out: list[tuple[int, Any, Mapping[str, Any]]] = []
    for status, name in refs:
        found = op.response_example(name)
        if found is not None and 400 <= status < 500:
            out.append((status, found[2].value, sc.render.get(name, {})))
    return out


def failure_filter(contract: Contract) -> Any:
    """A Schemathesis `filter_failure` hook dropping what the contract or scenarios explain."""
    outcomes = documented_outcomes(contract)
    accept_unknown = (
        contract.scenarios is None or contract.scenarios.unknown_credentials == "accept"
    )

    streams = whole_stream_statuses(contract)

    def filter_failure(
        context: Any, failure: Any, case: Any, response: schemathesis.Response
    ) -> bool:
        if str(failure.title).startswith("SSE event") and response.status_code in streams:
            return False
        if isinstance(failure, IgnoredAuth):
            return not (accept_unknown and failure.scenario != AuthScenario.NO_AUTH)
        if isinstance(failure, RejectedPositiveData):
            try:
                body = response.json()
            except Exception:
                return True
            return not any(
                response.status_code == status
                and without_rendered(body, render) == without_rendered(value, render)
                for status, value, render in outcomes
            )
        return True

    return filter_failure
