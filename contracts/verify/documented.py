"""Requests verify builds from what the contract documents: each request example, a body
composed of schema-level examples, and the scenarios' cases (`contracts.requests`, shared
with the mock's tests and the docs/cases.md listing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalog import Contract, Operation
from ..requests import (
    Request,
    case_request,
    default_parameters,
    documented_values,
    scenarios_operation,
    schema_value,
)

__all__ = ["case_request", "default_parameters", "example_requests", "scenarios_operation"]


def _schema_level_body(operation: Operation) -> dict[str, Any] | None:
    """A body composed of the examples its schema's properties document (no media example)."""
    content = (operation.request_body or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    props = schema.get("properties") or {}
    body = {name: prop["example"] for name, prop in props.items() if "example" in prop}
    return body or None


def example_requests(
    contract: Contract, operation: Operation
) -> Iterator[tuple[str, Request, bool]]:
    """One request per documented request example, with documented parameters and
    credential, and whether every value in it is documented (else some come from schemas).

    Without a request example: a body of the schema's property examples; else, where the
    body is optional, no body; else a body the schema allows."""
    path, query = default_parameters(contract, operation)
    documented = documented_values(contract, operation)
    examples = operation.request_examples
    if examples:
        for name, example in examples.items():
            yield (
                name,
                Request(path=path, query=query, body=example.value, has_body=True),
                documented,
            )
        return
    body = _schema_level_body(operation)
    if body is not None:
        yield (
            "schema-examples",
            Request(path=path, query=query, body=body, has_body=True),
            documented,
        )
    elif not (operation.request_body or {}).get("required"):
        yield "no-body", Request(path=path, query=query), documented
    else:
        content = (operation.request_body or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        if isinstance(schema, dict):
            yield (
                "schema-body",
                Request(path=path, query=query, body=schema_value(schema), has_body=True),
                False,
            )
