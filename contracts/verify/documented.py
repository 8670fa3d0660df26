"""Requests built from what the contract documents and the scenarios name.

Path and query values default to the parameters' documented examples; where a
parameter documents none, the scenarios' fixtures supply a workflow that runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..catalog import Contract, Operation
from ..scenarios import Case
from .target import Request

__all__ = ["case_request", "default_parameters", "example_requests", "scenarios_operation"]


def scenarios_operation(contract: Contract) -> Operation | None:
    """The operation the scenarios file describes (None without scenarios)."""
    if contract.scenarios is None:
        return None
    return contract.operation(contract.scenarios.operation)


def _parameter_example(param: Mapping[str, Any]) -> tuple[bool, Any]:
    if "example" in param:
        return True, param["example"]
    for example in (param.get("examples") or {}).values():
        if isinstance(example, Mapping) and "value" in example:
            return True, example["value"]
    schema = param.get("schema") or {}
    for key in ("example", "default"):
        if key in schema:
            return True, schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return True, schema["enum"][0]
    return False, None


def _running_fixture(contract: Contract, name: str) -> str | None:
    """A fixture id the scenarios say runs (its state names no documented error)."""
    sc = contract.scenarios
    if sc is None or sc.workflows is None or sc.workflows.param != name:
        return None
    for fixture in sc.workflows.fixtures.values():
        if fixture.state not in sc.workflows.states and not fixture.where:
            return fixture.id
    return None


def default_parameters(
    contract: Contract, operation: Operation, *, optional_query: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Path and query values for a request that should run: documented examples first."""
    path: dict[str, Any] = {}
    query: dict[str, Any] = {}
    for param in operation.parameters:
        where, name = param.get("in"), str(param.get("name"))
        if where not in ("path", "query"):
            continue
        if where == "query" and not param.get("required") and not optional_query:
            continue
        found, value = _parameter_example(param)
        if not found:
            fixture = _running_fixture(contract, name)
            found, value = fixture is not None, fixture
        if not found and where == "path":
            found, value = True, "example"
        if found:
            (path if where == "path" else query)[name] = value
    return path, query


def _schema_level_body(operation: Operation) -> dict[str, Any] | None:
    """A body composed of the examples its schema's properties document (no media example)."""
    content = (operation.request_body or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    props = schema.get("properties") or {}
    body = {name: prop["example"] for name, prop in props.items() if "example" in prop}
    return body or None


def example_requests(contract: Contract, operation: Operation) -> Iterator[tuple[str, Request]]:
    """One request per documented request example, with documented parameters and credential."""
    path, query = default_parameters(contract, operation)
    examples = operation.request_examples
    if examples:
        for name, example in examples.items():
            yield name, Request(path=path, query=query, body=example.value, has_body=True)
        return
    body = _schema_level_body(operation)
    if body is not None:
        yield "schema-examples", Request(path=path, query=query, body=body, has_body=True)
    elif not (operation.request_body or {}).get("required"):
        yield "no-body", Request(path=path, query=query)


def case_request(contract: Contract, operation: Operation, case: Case) -> Request:
    """The request a scenarios case describes; path values it omits take documented defaults."""
    path, _ = default_parameters(contract, operation)
    path.update(case.request.path)
    body: Any = None
    if case.request.body_example is not None:
        body = operation.request_examples[case.request.body_example].value
    elif case.request.has_body:
        body = case.request.body_value
    return Request(
        path=path,
        query=dict(case.request.query),
        headers=dict(case.request.headers),
        body=body,
        has_body=case.request.has_body,
        credential=case.request.credential,
    )
