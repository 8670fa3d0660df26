"""Every example a contract documents, paired with the schema it must satisfy.

Examples live in many places in OpenAPI: media types (`example`, `examples`),
parameters, and schemas themselves (`example` on any subschema). All are walked on the
*unresolved* document, so each example keeps its own location in the file, and checked
against the *resolved* schema with the OpenAPI dialect of the document's version
(`nullable` in 3.0, JSON Schema 2020-12 in 3.1).

A `text/event-stream` example is the stream as sent; its schema describes one event
(`{event, data, id, retry}`, the way Schemathesis reads it and OpenAPI 3.2 calls it
`itemSchema`), so such an example is parsed into its events and each event is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator, OAS31Validator

from .yamlsource import JsonPath

__all__ = [
    "DocumentedExample",
    "example_errors",
    "example_instances",
    "iter_examples",
    "schema_validator",
    "server_sent_events",
]

_FORMAT_CHECKER = OAS30Validator.FORMAT_CHECKER


@dataclass(frozen=True)
class DocumentedExample:
    path: JsonPath  # location of the example value in the document
    kind: str  # "media", "parameter" or "schema"
    value: Any
    schema: Mapping[str, Any]
    media_type: str = ""  # for media examples: the media type they document
    used_at: JsonPath | None = None  # where a `$ref`ed example (components/examples) is used


def server_sent_events(text: str) -> list[dict[str, Any]]:
    """The events of an event stream as the WHATWG algorithm reads them (and Schemathesis
    validates them): `data` lines joined, `event` defaulting to `message`, `retry` an
    integer, the last `id` carried over; blocks without data are not events."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    data: list[str] = []
    last_id: str | None = None
    for line in [*re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff")), ""]:
        if line == "":
            if data:
                event: dict[str, Any] = {
                    "data": "\n".join(data),
                    "event": current.get("event") or "message",
                }
                if last_id is not None:
                    event["id"] = last_id
                if "retry" in current:
                    event["retry"] = current["retry"]
                events.append(event)
            current, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            current["event"] = value
        elif name == "retry" and value.isdigit():
            current["retry"] = int(value)
        elif name == "id" and "\x00" not in value:
            last_id = value
    return events


def is_event_stream(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() == "text/event-stream"


def example_instances(example: DocumentedExample) -> list[tuple[str, Any]]:
    """What the example's schema judges, each with a label for messages: the value itself,
    or each event of an event-stream example."""
    if is_event_stream(example.media_type) and isinstance(example.value, str):
        return [(f"event #{i}", event) for i, event in enumerate(server_sent_events(example.value))]
    return [("", example.value)]


def schema_validator(schema: Mapping[str, Any], openapi_version: str) -> Validator:
    """A validator for `schema` in the dialect of the document's OpenAPI version."""
    cls = OAS31Validator if openapi_version.startswith("3.1") else OAS30Validator
    return cls(dict(schema), format_checker=cls.FORMAT_CHECKER)


def _follow(doc: Mapping[str, Any], node: Any, path: JsonPath) -> tuple[Any, JsonPath]:
    """Dereference a local `$ref` chain in the unresolved document: the node it ends at and
    where that node is written."""
    depth = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return None, path
        target: Any = doc
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
        for part in parts:
            target = target.get(part) if isinstance(target, Mapping) else None
        node, path, depth = target, tuple(parts), depth + 1
    return node, path


def _named_examples(
    doc: Mapping[str, Any], owner: JsonPath, node: Mapping[str, Any]
) -> Iterator[tuple[JsonPath, Any, JsonPath | None]]:
    """Each `examples` entry of a media type or parameter: where its value is written, the
    value, and where it is used when that is elsewhere (a `$ref` to components/examples)."""
    examples = node.get("examples")
    for name, ex in (examples if isinstance(examples, Mapping) else {}).items():
        usage: JsonPath = (*owner, "examples", name)
        ex, written = _follow(doc, ex, usage)
        if isinstance(ex, Mapping) and "value" in ex:
            yield (*written, "value"), ex["value"], usage if written != usage else None


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
        media_type = str(path[-1])
        schema = resolved_at((*path, "schema"))
        if not isinstance(schema, Mapping):
            return
        if "example" in node:
            yield DocumentedExample(
                (*path, "example"), "media", node["example"], schema, media_type
            )
        for where, value, used_at in _named_examples(doc, path, node):
            yield DocumentedExample(where, "media", value, schema, media_type, used_at)

    def schemas(path: JsonPath, node: Any) -> Iterator[DocumentedExample]:
        if isinstance(node, Mapping):
            listed = node.get("examples")  # 3.1: JSON Schema's `examples`, a list of values
            if "$ref" not in node and ("example" in node or isinstance(listed, list)):
                schema = resolved_at(path)
                if isinstance(schema, Mapping):
                    if "example" in node:
                        yield DocumentedExample(
                            (*path, "example"), "schema", node["example"], schema
                        )
                    for i, value in enumerate(listed if isinstance(listed, list) else []):
                        yield DocumentedExample((*path, "examples", i), "schema", value, schema)
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
                    for where, value, used_at in _named_examples(doc, path, node):
                        yield DocumentedExample(where, "parameter", value, schema, used_at=used_at)
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
        f"{(label + ' ') if label else ''}{'/'.join(map(str, e.absolute_path)) or '(root)'}: "
        f"{e.message}"
        for label, instance in example_instances(example)
        for e in validator.iter_errors(instance)
    ]
