"""A generated form body as the server reads it off the wire.

Schemathesis judges a request by the value it generated, but a form carries text only: a
one-item array is sent as one field (`photoUrls=AAA`, which OpenAPI's exploded `form` style
reads as `["AAA"]`), an empty array is not sent at all, and a form with no fields is a
zero-length body, which is no body. `form_body_valid` reads the body that was sent the way
the form encoding defines it and says whether the contract accepts it, so that verify judges
what the server got rather than what was generated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from ..catalog import Contract
from ..examples import schema_validator

__all__ = ["form_as_sent", "form_body_valid"]

_FORM = "application/x-www-form-urlencoded"
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SCALARS = frozenset({"string", "integer", "number", "boolean"})


def _scalar(text: str, schema: Mapping[str, Any]) -> Any:
    """`text` as the value of the type `schema` gives it, when it reads as one."""
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _field_schema(schema: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The schema of field `name`: its property's, else `additionalProperties`' ({} when
    any value is allowed); None when the schema forbids the field."""
    found = (schema.get("properties") or {}).get(name)
    if isinstance(found, Mapping):
        return found
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return None
    return extra if isinstance(extra, Mapping) else {}


def form_as_sent(raw: bytes, schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields of a urlencoded body, typed by `schema`; None where the reading is not
    the form encoding's alone (a field whose schema is an object or a combinator, a body
    that is not ASCII), so that nothing is judged on a guess."""
    try:
        fields = parse_qs(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    out: dict[str, Any] = {}
    for name, texts in fields.items():
        field = _field_schema(schema, name)
        if field is None:
            out[name] = texts[0]  # refused by `additionalProperties: false` whatever it is
            continue
        kind = field.get("type")
        if kind == "array":
            items = field.get("items")
            if not (isinstance(items, Mapping) and items.get("type") in _SCALARS):
                return None
            out[name] = [_scalar(text, items) for text in texts]
        elif kind in _SCALARS:
            typed = [_scalar(text, field) for text in texts]
            out[name] = typed[0] if len(typed) == 1 else typed
        else:
            return None
    return out


def form_body_valid(contract: Contract, case: Any, body: bytes | str | None) -> bool | None:
    """Whether the urlencoded body sent with `case` is one its operation accepts, read as
    the server reads it (no bytes at all: no body, valid unless the body is required);
    None when the body is not a form or cannot be read without guessing."""
    media_type = str(getattr(case, "media_type", None) or "").split(";")[0].strip().lower()
    if media_type != _FORM:
        return None
    method, path = case.operation.method.upper(), case.operation.path
    operation = next(
        (op for op in contract.operations if (op.method.upper(), op.path) == (method, path)),
        None,
    )
    if operation is None:
        return None
    request_body = operation.request_body or {}
    raw = body.encode() if isinstance(body, str) else body or b""
    if not raw:
        return not request_body.get("required", False)
    schema = ((request_body.get("content") or {}).get(_FORM) or {}).get("schema")
    if not isinstance(schema, Mapping):
        return None
    fields = form_as_sent(raw, schema)
    if fields is None:
        return None
    return bool(schema_validator(schema, contract.openapi_version).is_valid(fields))
