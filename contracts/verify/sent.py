"""A generated form, XML or JSON body as the server reads it off the wire.

Schemathesis judges a request by the value it generated, but a form carries text only: a
one-item array is sent as one field (`photoUrls=AAA`, which OpenAPI's exploded `form` style
reads as `["AAA"]`), an empty array is not sent at all, and a form with no fields is a
zero-length body, which is no body. XML has the same blind spots (`<tags></tags>` is an
empty wrapped array, whatever was generated). `body_valid_as_sent` reads the body that was
sent the way its encoding defines it (`contracts.xmlbody` for XML) and says whether the
contract accepts it, so that verify judges what the server got rather than what was
generated. A JSON body is what was sent, checked in the request direction (`readOnly`):
a documented request example its own schema refuses documents no valid request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from ..catalog import Contract, Operation
from ..examples import request_validator, schema_validator
from ..xmlbody import NotXml, typed_text, xml_value

__all__ = ["body_valid_as_sent", "form_as_sent", "json_body_valid", "operation_of"]

_FORM = "application/x-www-form-urlencoded"
_READABLE = frozenset({"string", "integer", "number", "boolean", "object"})


def _value(text: str, schema: Mapping[str, Any]) -> Any:
    """A field's text as its schema reads it: a scalar typed, an object from its JSON
    (OpenAPI's default encoding for an object; any other text is no object)."""
    if schema.get("type") == "object":
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return parsed if isinstance(parsed, dict) else text
    return typed_text(text, schema)


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


def _read(raw: bytes) -> dict[str, list[str]] | None:
    try:
        return parse_qs(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None


def form_as_sent(
    fields: Mapping[str, list[str]], schema: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The fields of a urlencoded body (`parse_qs`'s), typed by `schema`; None where the
    reading is not the form encoding's alone (a field whose schema is an object or a
    combinator), so that nothing is judged on a guess."""
    out: dict[str, Any] = {}
    for name, texts in fields.items():
        field = _field_schema(schema, name)
        if field is None:
            out[name] = texts[0]  # refused by `additionalProperties: false` whatever it is
            continue
        kind = field.get("type")
        if not field:  # any value: the text is one
            out[name] = texts[0] if len(texts) == 1 else list(texts)
        elif kind == "array":
            items = field.get("items")
            if not (isinstance(items, Mapping) and items.get("type") in _READABLE):
                return None
            out[name] = [_value(text, items) for text in texts]
        elif kind in _READABLE:
            typed = [_value(text, field) for text in texts]
            out[name] = typed[0] if len(typed) == 1 else typed
        else:
            return None
    return out


def operation_of(contract: Contract, case: Any) -> Operation | None:
    """The contract's operation a Schemathesis case was generated for."""
    method, path = case.operation.method.upper(), case.operation.path
    return next(
        (op for op in contract.operations if (op.method.upper(), op.path) == (method, path)),
        None,
    )


def _is_xml(media_type: str) -> bool:
    return media_type in ("application/xml", "text/xml") or media_type.endswith("+xml")


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def json_body_valid(
    contract: Contract, operation: Operation, media_type: str, value: Any
) -> bool | None:
    """Whether `value`, the JSON body of a request to `operation` sent as `media_type`, is
    one its schema accepts (read in the request direction); None for a media type that is
    not JSON or one the operation gives no schema."""
    essence = media_type.split(";")[0].strip().lower()
    content = (operation.request_body or {}).get("content") or {}
    schema = (content.get(media_type) or content.get(essence) or {}).get("schema")
    if not _is_json(essence) or not isinstance(schema, Mapping):
        return None
    return bool(request_validator(schema, contract.openapi_version).is_valid(value))


def _is_opaque(media_type: str) -> bool:
    """A media type whose bytes are the value (an image, a PDF, text): nothing on the wire
    says which JSON type was generated, so `{}` sent as `image/jpeg` is two bytes of JPEG."""
    structured = media_type in (_FORM, "multipart/form-data")
    return not (structured or _is_json(media_type) or _is_xml(media_type))


_STRING_LIMITS = ("pattern", "minLength", "maxLength", "enum", "const")


def body_valid_as_sent(contract: Contract, case: Any, body: bytes | str | None) -> bool | None:
    """Whether the form, XML, JSON or opaque body sent with `case` is one its operation
    accepts, read as the server reads it (no bytes at all: no body, valid unless the body is
    required; a required form field not sent: invalid; bytes that are not JSON: invalid;
    any bytes of an opaque media type whose schema is an unconstrained string); None for
    another media type or a body that cannot be read without guessing."""
    media_type = str(getattr(case, "media_type", None) or "").split(";")[0].strip().lower()
    opaque = bool(media_type) and _is_opaque(media_type)
    if media_type != _FORM and not _is_xml(media_type) and not _is_json(media_type) and not opaque:
        return None
    operation = operation_of(contract, case)
    if operation is None:
        return None
    request_body = operation.request_body or {}
    raw = body.encode() if isinstance(body, str) else body or b""
    if opaque:
        content = request_body.get("content") or {}
        schema = (content.get(media_type) or {}).get("schema")
        if not raw or not isinstance(schema, Mapping):
            return None
        unconstrained = schema.get("type") in (None, "string") and not any(
            key in schema for key in _STRING_LIMITS
        )
        return True if unconstrained else None
    if not raw:
        return not request_body.get("required", False)
    if _is_json(media_type):
        try:
            sent = json.loads(raw)
        except ValueError:
            return False
        return json_body_valid(contract, operation, media_type, sent)
    content = request_body.get("content") or {}
    schema = (content.get(media_type) or {}).get("schema")
    if not isinstance(schema, Mapping):
        return None
    value: Any
    if _is_xml(media_type):
        try:
            value = xml_value(raw, schema)
        except NotXml:
            return False
    else:
        fields = _read(raw)
        if fields is None:
            return None
        properties = schema.get("properties") or {}
        required = [
            name
            for name in schema.get("required") or ()
            if not (isinstance(properties.get(name), Mapping) and properties[name].get("readOnly"))
        ]
        if any(name not in fields for name in required):
            return False
        value = form_as_sent(fields, schema)
        if value is None:
            return None
    return bool(schema_validator(schema, contract.openapi_version).is_valid(value))
