"""Whether a document is valid OpenAPI: one verdict for the mock and for `contracts lint`.

Two passes, each problem located where it is written:

- the document against the JSON Schema of its OpenAPI version (the schemas that
  openapi-spec-validator publishes): `jsonschema_rs` answers "valid" in a fraction of a
  second on GitHub's 13 MB description; only an invalid document is walked again by
  the Python validator, which explains each violation (`oas-invalid`, an error);
- every Schema Object's `default` against its schema, as openapi-spec-validator checks it
  (its OAS validators and format checkers), but in one pass over plain mappings: its own
  walk takes 40 s on GitHub's description. A `default` its schema refuses
  (GitHub's `format: uri` with `default: ""`) is a defect of the document, yet harmless to
  a mock that never sends it: a warning (`default-invalid`), and the mock starts, as
  Prism does.

`$ref`s inside `x-` extensions are not references (an extension's value is free-form).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from jsonschema import validators
from jsonschema.exceptions import best_match

from .yamlsource import JsonPath, Source

__all__ = ["Problem", "check_document"]

_MESSAGE_LIMIT = 200
# Keywords whose value is a schema, a list of schemas or a map of schemas.
_ONE_SCHEMA = ("items", "not", "additionalProperties", "additionalItems", "contains")
_MANY_SCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")
_NAMED_SCHEMAS = ("properties", "patternProperties", "$defs", "definitions")


@dataclass(frozen=True)
class Problem:
    """One way the document breaks OpenAPI, at the node where it is written."""

    rule: Literal["oas-invalid", "default-invalid"]
    severity: Literal["error", "warning"]
    path: JsonPath
    message: str

    def located(self, source: Source) -> tuple[int, int]:
        return source.locate(self.path) or (1, 1)


def check_document(source: Source, resolved: Any = None) -> list[Problem]:
    """Every problem of `source` (an OpenAPI 3.0 or 3.1 document), errors first.

    `resolved` is the document's `catalog.inline_local_refs`, if the caller has it."""
    data = source.data
    version = str(data.get("openapi", "")) if isinstance(data, Mapping) else ""
    errors = list(_schema_violations(data, version))
    if errors:
        return errors  # the walk below assumes the document's structure is sound
    return list(_invalid_defaults(data, version, resolved))


@cache
def _oas_validator(version: str) -> Any:
    from openapi_spec_validator.schemas import schema_v30, schema_v31

    schema = dict(schema_v31 if version.startswith("3.1") else schema_v30)
    return validators.validator_for(schema)(schema)


@cache
def _fast_oas_validator(version: str) -> Any:
    import jsonschema_rs
    from openapi_spec_validator.schemas import schema_v30, schema_v31

    return jsonschema_rs.validator_for(
        dict(schema_v31 if version.startswith("3.1") else schema_v30)
    )


def _json_safe(node: Any) -> Any:
    """YAML integer keys (`200:`) as the strings JSON would have."""
    if isinstance(node, Mapping):
        return {str(k): _json_safe(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_safe(v) for v in node]
    return node


def _schema_violations(data: Any, version: str) -> Iterator[Problem]:
    fast = _fast_oas_validator(version)
    try:
        if fast.is_valid(data):
            return  # the Python validator below only explains what is wrong
    except ValueError:  # a YAML integer key (`200:`), which JSON cannot have
        pass
    safe = _json_safe(data)
    if fast.is_valid(safe):
        return
    seen: set[tuple[JsonPath, str]] = set()
    for error in _oas_validator(version).iter_errors(safe):
        leaf = error
        while leaf.context:  # oneOf/anyOf: the branch that came closest says what is wrong
            leaf = best_match(leaf.context) or leaf.context[0]
        path = tuple(leaf.absolute_path)
        message = str(leaf.message).splitlines()[0]
        if len(message) > _MESSAGE_LIMIT:
            message = message[: _MESSAGE_LIMIT - 3] + "..."
        if (path, message) in seen:
            continue
        seen.add((path, message))
        where = "/".join(map(str, path))
        yield Problem(
            "oas-invalid",
            "error",
            path,
            f"not valid OpenAPI {version}{' at ' + where if where else ''}: {message}",
        )


def _schema_value_validator(version: str) -> tuple[Any, Any]:
    from openapi_schema_validator import (
        OAS30Validator,
        OAS31Validator,
        oas30_format_checker,
        oas31_format_checker,
    )

    if version.startswith("3.0"):
        return OAS30Validator, oas30_format_checker
    return OAS31Validator, oas31_format_checker


def _invalid_defaults(data: Mapping[str, Any], version: str, resolved: Any) -> Iterator[Problem]:
    """Each schema's `default` that the schema refuses, checked where it is written
    (a schema reached through a `$ref` is checked at its target, once)."""
    from .catalog import inline_local_refs

    validator_cls, formats = _schema_value_validator(version)
    for path, schema in _written_schemas(data):
        if "default" not in schema:
            continue
        default = schema["default"]
        if default is None and schema.get("nullable") is True:
            continue
        if resolved is None:  # only a document with defaults pays for resolving
            resolved = inline_local_refs(data)
        target = _at(resolved, path)
        if not isinstance(target, Mapping):
            continue
        error = best_match(validator_cls(target, format_checker=formats).iter_errors(default))
        if error is None:
            continue
        message = str(error.message).splitlines()[0]
        if len(message) > _MESSAGE_LIMIT:
            message = message[: _MESSAGE_LIMIT - 3] + "..."
        yield Problem(
            "default-invalid",
            "warning",
            (*path, "default"),
            f"default {default!r} does not conform to its schema: {message}",
        )


def _at(node: Any, path: JsonPath) -> Any:
    for part in path:
        if isinstance(node, Mapping):
            node = node.get(part, node.get(str(part)))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _written_schemas(data: Mapping[str, Any]) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """Every Schema Object as written in the document, with its path: under a `schema`
    key, in `components.schemas`, and each subschema of those (not behind `$ref`s, whose
    targets are written elsewhere in the document; not inside `x-` extensions or
    examples)."""
    stack: list[tuple[JsonPath, Any, bool]] = [((), data, False)]
    while stack:
        path, node, is_schema = stack.pop()
        if isinstance(node, list):
            stack.extend(((*path, i), item, False) for i, item in enumerate(node))
            continue
        if not isinstance(node, Mapping) or ("$ref" in node and not is_schema):
            continue
        if is_schema:
            if "$ref" in node and len(node) == 1:
                continue
            yield path, node
            stack.extend(_subschemas(path, node))
            continue
        for key, value in node.items():
            if not isinstance(key, str) or key.startswith("x-") or key in ("example", "examples"):
                continue
            schema_here = key == "schema"
            if path == ("components",) and key == "schemas" and isinstance(value, Mapping):
                stack.extend(
                    (("components", "schemas", name), schema, True)
                    for name, schema in value.items()
                )
                continue
            stack.append(((*path, key), value, schema_here))


def _subschemas(path: JsonPath, schema: Mapping[str, Any]) -> Iterator[tuple[JsonPath, Any, bool]]:
    for key in _ONE_SCHEMA:
        if isinstance(schema.get(key), Mapping):
            yield (*path, key), schema[key], True
    for key in _MANY_SCHEMAS:
        if isinstance(schema.get(key), list):
            yield from (((*path, key, i), s, True) for i, s in enumerate(schema[key]))
    if isinstance(schema.get("items"), list):
        yield from (((*path, "items", i), s, True) for i, s in enumerate(schema["items"]))
    for key in _NAMED_SCHEMAS:
        if isinstance(schema.get(key), Mapping):
            yield from (((*path, key, name), s, True) for name, s in schema[key].items())
