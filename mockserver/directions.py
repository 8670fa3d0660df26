"""`readOnly` and `writeOnly`: which direction a property travels in.

A `readOnly` property is the server's: a request must not send it (refused, naming the
field, as Connexion 2 did; Connexion 3 is silent and Prism drops it from the request
schema) and it is not required in a request even when the schema lists it as `required`.
A `writeOnly` property is the client's: no response carries it, neither a documented
example nor generated data (`without_write_only`; the generator skips them itself),
except a required one in an OpenAPI 3.1 document, where JSON Schema 2020-12 keeps
`required` in force in both directions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from jsonschema.validators import extend

__all__ = ["RequestSchemaValidator", "RequestSchemaValidator202012", "without_write_only"]


def _refuse_read_only(
    _validator: Any, read_only: Any, _instance: Any, _schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if read_only is True:
        yield ValidationError("is read-only: the server sets it, a request must not send it")


def _required_in_requests(
    validator: Any, required: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties") or {}
    for name in required:
        declared = properties.get(name)
        if isinstance(declared, Mapping) and declared.get("readOnly") is True:
            continue  # the server's to fill in
        if name not in instance:
            yield ValidationError(f"{name!r} is a required property")


_DIRECTIONS = {"readOnly": _refuse_read_only, "required": _required_in_requests}

RequestSchemaValidator: Any = extend(
    Draft4RequestValidator, {**_DIRECTIONS, "enum": Draft4Validator.VALIDATORS["enum"]}
)
"""Connexion's request validator (OpenAPI 3.0's `nullable`) with `readOnly` honoured, and
an `enum` that omits null refusing it even where `nullable` (OpenAPI 3.0.3: `nullable`
adds null to the type only; openapi-core and Schemathesis read it so, as the mock's
parameters do; Connexion lets null through any nullable `enum`)."""

RequestSchemaValidator202012: Any = extend(Draft202012Validator, _DIRECTIONS)
"""JSON Schema 2020-12 (an OpenAPI 3.1 schema) with `readOnly` honoured."""


def _properties(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every property a schema declares, through `allOf`/`oneOf`/`anyOf`."""
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            yield name, sub
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, Mapping):
                yield from _properties(branch)


def _required(schema: Mapping[str, Any]) -> set[str]:
    """Every property a schema requires, through `allOf`/`oneOf`/`anyOf`."""
    names = {str(n) for n in schema.get("required") or () if isinstance(n, str)}
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, Mapping):
                names |= _required(branch)
    return names


def without_write_only(
    value: Any, schema: Mapping[str, Any] | None, *, v31: bool = False, depth: int = 0
) -> Any:
    """`value` (a response body) without the properties its schema marks `writeOnly`;
    the value itself when there are none (nothing is copied then). OpenAPI 3.0 makes a
    required writeOnly property required in requests only; 3.1 (JSON Schema 2020-12) keeps
    `required` in force, so there (`v31`) a required one stays."""
    if not isinstance(schema, Mapping) or depth > 64:
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return value
        pruned = [without_write_only(v, items, v31=v31, depth=depth + 1) for v in value]
        return value if all(p is v for p, v in zip(pruned, value, strict=True)) else pruned
    if not isinstance(value, dict):
        return value
    declared: dict[str, Mapping[str, Any]] = {}
    for name, found in _properties(schema):
        declared.setdefault(name, found)
    kept = _required(schema) if v31 else set()
    extra = schema.get("additionalProperties")
    out: dict[str, Any] = {}
    changed = False
    for name, item in value.items():
        sub: Mapping[str, Any] | None = declared.get(name)
        if sub is None and isinstance(extra, Mapping):
            sub = extra
        if sub is not None and sub.get("writeOnly") is True and name not in kept:
            changed = True
            continue
        pruned = without_write_only(item, sub, v31=v31, depth=depth + 1)
        changed = changed or pruned is not item
        out[name] = pruned
    return out if changed else value
