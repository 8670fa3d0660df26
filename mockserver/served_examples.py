"""Served examples: a documented response example is served only if its schema accepts it.

Real documents ship examples that break their own schemas (strings where numbers are
specified, required fields missing). The mock never serves one as it is: each response
example is checked once, when the contracts load (`Contract.invalid_response_examples`,
computed in the loading child: its validators stay out of the serving process), with the
verdict `contracts lint` reports `example-invalid` with. An invalid example is served
repaired where the repair is unambiguous (`"5"` where an integer is specified), else
replaced by data generated from its schema, always under its own name (so `Prefer:
example=NAME`, pairs and behaviours keep working). Each is logged once at start-up:

    specs/x.yaml:44: example broken of GET /orders/{id} 200 does not match its schema: ...; serving generated data
"""

from __future__ import annotations

import logging
from typing import Any

from contracts.catalog import Contract, Operation
from contracts.examples import ResponseExampleCheck

from .generate import Generator

__all__ = ["log_invalid_examples", "prepare_contract", "served_examples"]

log = logging.getLogger("mockserver")


def prepare_contract(contract: Contract) -> None:
    """Check the contract's response examples where it loads (`start_loading(prepare=)`)."""
    _ = contract.invalid_response_examples


def served_examples(op: Operation, contract: Contract) -> dict[str, Any]:
    """Example name → the value served under it: the documented example, or its
    replacement. A name documented under several statuses serves the first (as the
    runtime always did)."""
    invalid = {
        (check.status, check.media_type, check.name): check
        for check in contract.invalid_response_examples
        if check.operation == op.key
    }
    served: dict[str, Any] = {}
    for status, response in op.responses.items():
        for media_type, example in response.examples:
            if example.name in served:
                continue
            check = invalid.get((status, media_type, example.name))
            if check is None:
                served[example.name] = example.value
            elif check.repaired is not None:
                served[example.name] = check.repaired[0]
            else:
                schema = response.content[media_type].schema or {}
                served[example.name] = Generator(seed=0).value(
                    schema, document=contract.resolved, openapi_version=contract.openapi_version
                )
    return served


def _what_is_served(check: ResponseExampleCheck) -> str:
    return "serving it repaired" if check.repaired is not None else "serving generated data"


def log_invalid_examples(contract: Contract) -> list[str]:
    """Warn once per invalid response example (a shared response's example once, not once
    per operation); the messages."""
    messages: list[str] = []
    seen: set[tuple[Any, ...]] = set()
    for check in contract.invalid_response_examples:
        if check.path in seen:
            continue
        seen.add(check.path)
        messages.append(
            f"{contract.path}:{check.line}: example {check.name} of {check.operation} {check.status}"
            f" does not match its schema: {check.cause}; {_what_is_served(check)}"
        )
    for message in messages:
        log.warning("%s", message)
    return messages
