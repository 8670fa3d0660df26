"""Every example a contract documents, paired with the schema it must satisfy.

Examples live in many places in OpenAPI: media types (`example`, `examples`),
parameters, and schemas themselves (`example` on any subschema). All are walked on the
*unresolved* document, so each example keeps its own location in the file, and checked
against the *resolved* schema with the OpenAPI dialect of the document's version
(`nullable` in 3.0, JSON Schema 2020-12 in 3.1).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator, OAS31Validator

from .yamlsource import JsonPath

__all__ = ["DocumentedExample", "example_errors", "iter_examples", "schema_validator"]

_FORMAT_CHECKER = OAS30Validator.FORMAT_CHECKER


@dataclass(frozen=True)
class DocumentedExample:
    path: JsonPath  # location of the example value in the document
    kind: str  # "media", "parameter" or "schema"
    value: Any
    schema: Mapping[str, Any]


def schema_validator(schema: Mapping[str, Any], openapi_version: str) -> Validator:
    """A validator for `schema` in the dialect of the document's OpenAPI version."""
    cls = OAS31Validator if openapi_version.startswith("3.1") else OAS30Validator
    return cls(dict(schema), format_checker=cls.FORMAT_CHECKER)


def _follow(doc: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Dereference a local `$ref` chain in the unresolved document."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return None
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        node, depth = target, depth + 1
    return node


def iter_examples(
    doc: Mapping[str, Any], resolved: Mapping[str, Any]
) -> Iterator[DocumentedExample]:
    """Walk `doc` (unresolved, for locations) and pair each example with its resolved schema."""

    def resolved_at(path: JsonPath) -> Any:
        node: Any = resolved
        for part in path:
            if isinstance(node, Mapping):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return None
        return node

    def media(path: JsonPath, node: Mapping[str, Any]) -> Iterator[DocumentedExample]:
        schema = resolved_at((*path, "schema"))
        if not isinstance(schema, Mapping):
            return
        if "example" in node:
            yield DocumentedExample((*path, "example"), "media", node["example"], schema)
        for name, ex in (node.get("examples") or {}).items():
            ex = _follow(doc, ex)
            if isinstance(ex, Mapping) and "value" in ex:
                yield DocumentedExample(
                    (*path, "examples", name, "value"), "media", ex["value"], schema
                )

    def schemas(path: JsonPath, node: Any) -> Iterator[DocumentedExample]:
        if isinstance(node, Mapping):
            if "$ref" not in node and "example" in node:
                schema = resolved_at(path)
                if isinstance(schema, Mapping):
                    yield DocumentedExample((*path, "example"), "schema", node["example"], schema)
            for key, value in node.items():
                if key in {"example", "examples", "enum", "default", "const"}:
                    continue
                yield from schemas((*path, key), value)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from schemas((*path, i), item)

    def walk(path: JsonPath, node: Any) -> Iterator[DocumentedExample]:
        if isinstance(node, Mapping):
            if path and path[-1] == "content":
                for mt, body in node.items():
                    if isinstance(body, Mapping):
                        yield from media((*path, mt), body)
                        if "schema" in body:
                            yield from schemas((*path, mt, "schema"), body["schema"])
                return
            if "in" in node and "name" in node and "schema" in node:
                schema = resolved_at((*path, "schema"))
                if isinstance(schema, Mapping):
                    if "example" in node:
                        yield DocumentedExample(
                            (*path, "example"), "parameter", node["example"], schema
                        )
                    for name, ex in (node.get("examples") or {}).items():
                        ex = _follow(doc, ex)
                        if isinstance(ex, Mapping) and "value" in ex:
                            yield DocumentedExample(
                                (*path, "examples", name, "value"), "parameter", ex["value"], schema
                            )
                yield from schemas((*path, "schema"), node["schema"])
                return
            if path == ("components", "schemas"):
                for name, schema in node.items():
                    yield from schemas((*path, name), schema)
                return
            for key, value in node.items():
                yield from walk((*path, key), value)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk((*path, i), item)

    yield from walk((), doc)


def example_errors(example: DocumentedExample, openapi_version: str) -> list[str]:
    """Why `example` does not satisfy its schema (empty when it does)."""
    validator = schema_validator(example.schema, openapi_version)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(example.value)
    ]
