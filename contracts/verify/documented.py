"""Requests verify builds from what the contract documents: each request example, a body
composed of schema-level examples, and the scenarios' cases (`contracts.requests`, shared
with the mock's tests and the docs/cases.md listing)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..catalog import Contract, Operation
from ..examples import schema_validator
from ..requests import (
    Request,
    body_media_type,
    case_request,
    default_parameters,
    documented_values,
    required_headers,
    scenarios_operation,
    schema_value,
)
from .sent import json_body_valid
from .target import can_send

__all__ = ["case_request", "default_parameters", "example_requests", "scenarios_operation"]


def _schema_level_body(
    contract: Contract, schema: Mapping[str, Any]
) -> tuple[dict[str, Any], bool] | None:
    """A body composed of the examples `schema`'s properties document (no media example),
    and whether every value in it is documented: an example its own property refuses is
    left out, a required property without an example takes a value its schema allows; a
    `readOnly` one is never sent (the server sets it)."""
    props = schema.get("properties") or {}
    writable = {
        name: prop
        for name, prop in props.items()
        if isinstance(prop, Mapping) and not prop.get("readOnly")
    }
    body = {
        name: prop["example"]
        for name, prop in writable.items()
        if "example" in prop
        and schema_validator(prop, contract.openapi_version).is_valid(prop["example"])
    }
    if not body:
        return None
    missing = [
        name for name in schema.get("required") or () if name in writable and name not in body
    ]
    body.update({name: schema_value(writable[name]) for name in missing})
    return body, not missing


def example_requests(
    contract: Contract, operation: Operation
) -> Iterator[tuple[str, Request, bool]]:
    """One request per documented request example, sent as the media type that documents it
    (one verify cannot encode is not sent), with documented parameters (required headers
    too) and credential, and whether every value in it is documented and valid (else some
    come from schemas, or the example is one its own schema refuses: GitHub's SSH key
    example that misses its `pattern`, which a correct server refuses).

    Without a request example, in the media type `body_media_type` names (JSON where the
    operation accepts it): a body of the schema's property examples (completed to what the
    schema requires); else, where the body is optional, no body; else a body the schema
    allows. Required header parameters are sent too."""
    path, query = default_parameters(contract, operation)
    headers, headers_documented = required_headers(operation)
    documented = documented_values(contract, operation) and headers_documented
    examples = operation.request_examples

    def request(**body: Any) -> Request:
        return Request(path=path, query=query, headers=headers, **body)

    if examples:
        for name, example in examples.items():
            if can_send(example.media_type):
                sent = request(body=example.value, has_body=True, media_type=example.media_type)
                valid = json_body_valid(contract, operation, example.media_type, example.value)
                yield name, sent, documented and valid is not False
        return
    media_type = body_media_type(operation) or Request.media_type
    content = (operation.request_body or {}).get("content") or {}
    schema = (content.get(media_type) or {}).get("schema")
    if not (isinstance(schema, Mapping) and can_send(media_type)):
        schema = None

    def with_body(value: Any) -> Request:
        return request(body=value, has_body=True, media_type=media_type)

    composed = _schema_level_body(contract, schema) if schema is not None else None
    if composed is not None:
        body, complete = composed
        yield "schema-examples", with_body(body), documented and complete
    elif not (operation.request_body or {}).get("required"):
        yield "no-body", request(), documented
    elif schema is not None:
        yield "schema-body", with_body(schema_value(schema)), False
