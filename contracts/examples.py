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

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from .yamlsource import JsonPath

if TYPE_CHECKING:
    from .catalog import Contract

__all__ = [
    "DocumentedExample",
    "ExampleVerdict",
    "ResponseExampleCheck",
    "embedded_payloads",
    "example_errors",
    "example_instances",
    "example_verdict",
    "invalid_response_examples",
    "is_representation",
    "iter_examples",
    "request_validator",
    "schema_validator",
    "server_sent_events",
]


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


def embedded_payloads(example: DocumentedExample) -> list[tuple[str, Any, Mapping[str, Any]]]:
    """The JSON each event of an event-stream example carries in a field whose schema says
    `contentMediaType: application/json` with a `contentSchema` (3.1), parsed, with that
    schema: what Schemathesis checks beside the event itself. Text that is not JSON is
    returned as is, for the schema to refuse."""
    properties = example.schema.get("properties")
    if not isinstance(properties, Mapping):
        return []
    out: list[tuple[str, Any, Mapping[str, Any]]] = []
    for label, event in example_instances(example):
        if not label:
            continue
        for name, field_schema in properties.items():
            content = (
                field_schema.get("contentSchema") if isinstance(field_schema, Mapping) else None
            )
            media = str(field_schema.get("contentMediaType", "")) if content is not None else ""
            value = event.get(name)
            if (
                not isinstance(content, Mapping)
                or "json" not in media
                or not isinstance(value, str)
            ):
                continue
            try:
                payload: Any = json.loads(value)
            except ValueError:
                payload = value
            out.append((f"{label} {name}", payload, content))
    return out


def schema_validator(schema: Mapping[str, Any], openapi_version: str) -> Validator:
    """A validator for `schema` in the dialect of the document's OpenAPI version."""
    # Imported here: openapi-schema-validator imports pydantic, which the mock's serving
    # process never holds (its examples are checked where the contracts load).
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    cls = OAS31Validator if openapi_version.startswith("3.1") else OAS30Validator
    return cls(dict(schema), format_checker=cls.FORMAT_CHECKER)


def request_validator(schema: Mapping[str, Any], openapi_version: str) -> Validator:
    """`schema_validator`'s, in the request direction: a `readOnly` property is refused
    when sent and not required (the server sets it), as the mock reads a request."""
    from openapi_schema_validator import OAS30WriteValidator, OAS31Validator

    if not openapi_version.startswith("3.1"):
        return OAS30WriteValidator(dict(schema), format_checker=OAS30WriteValidator.FORMAT_CHECKER)
    return _oas31_write()(dict(schema), format_checker=OAS31Validator.FORMAT_CHECKER)


@functools.cache
def _oas31_write() -> Any:
    """OpenAPI 3.1's validator with the request direction's `required` and `readOnly`
    (openapi-schema-validator has them for 3.0 only)."""
    from jsonschema.validators import extend
    from openapi_schema_validator import OAS30WriteValidator, OAS31Validator

    direction = {key: OAS30WriteValidator.VALIDATORS[key] for key in ("required", "readOnly")}
    return extend(OAS31Validator, validators=direction)


@dataclass(frozen=True)
class ExampleVerdict:
    """What the schema says of one example: the errors, or why it could not be checked.
    `contracts lint` (rule example-invalid) and the mock (which never serves an invalid
    example) both decide with `example_verdict`, so they agree on every example."""

    errors: tuple[ValidationError, ...] = ()
    unchecked: str | None = None  # the validator failed (e.g. a discriminator to nowhere)

    @property
    def valid(self) -> bool:
        return not self.errors and self.unchecked is None

    def cause(self, limit: int = 3) -> str:
        """The first `limit` errors, `path: message; ...`, as one line."""
        if self.unchecked is not None:
            return f"cannot be checked: {self.unchecked}"
        shown = "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in self.errors[:limit]
        )
        more = f" (and {len(self.errors) - limit} more)" if len(self.errors) > limit else ""
        return f"{shown}{more}"


def example_verdict(validator: Validator, value: Any) -> ExampleVerdict:
    """Check `value` with `validator` (from `schema_validator`)."""
    try:
        return ExampleVerdict(errors=tuple(validator.iter_errors(value)))
    except Exception as exc:  # reported as the verdict: the schema cannot check anything
        return ExampleVerdict(unchecked=str(exc).splitlines()[0] if str(exc) else repr(exc))


def is_representation(media_type: str, value: Any) -> bool:
    """Whether `value` is the body itself rather than data for the schema: a string
    example of a non-JSON media type (XML text, CSV, plain text) is sent as written."""
    mt = media_type.split(";")[0].strip().lower()
    is_json = mt == "application/json" or mt.endswith("+json") or mt == "*/*"
    return isinstance(value, str) and not is_json


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

        # a string example of a non-JSON body is the body as sent; an event stream's is
        # checked event by event
        def checked(value: Any) -> bool:
            return is_event_stream(media_type) or not is_representation(media_type, value)

        if "example" in node and checked(node["example"]):
            yield DocumentedExample(
                (*path, "example"), "media", node["example"], schema, media_type
            )
        for where, value, used_at in _named_examples(doc, path, node):
            if checked(value):
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


@dataclass(frozen=True)
class ResponseExampleCheck:
    """A documented response example that its own schema refuses."""

    operation: str  # METHOD /path
    status: str
    media_type: str
    name: str  # as the catalog names it: the `examples` key, or `example`
    path: JsonPath  # where it is written (as `contracts lint` reports it)
    cause: str
    repaired: tuple[Any] | None  # (value,) where the repair is unambiguous
    line: int = 1  # of `path`, found while the document as written is at hand


def invalid_response_examples(contract: Contract) -> tuple[ResponseExampleCheck, ...]:
    """Every response example of `contract` that `example_verdict` refuses, per operation,
    with the value repaired where that is unambiguous (`repair`)."""
    version = contract.openapi_version
    validators: dict[int, Validator] = {}
    found: list[ResponseExampleCheck] = []
    for op in contract.operations:
        for status, response in op.responses.items():
            for media_type, media in response.content.items():
                if not media.examples or not isinstance(media.schema, Mapping):
                    continue
                validator = validators.get(id(media.schema))
                if validator is None:
                    validator = validators[id(media.schema)] = schema_validator(
                        media.schema, version
                    )
                for name, example in media.examples.items():
                    if is_representation(media_type, example.value):
                        continue
                    verdict = example_verdict(validator, example.value)
                    if verdict.valid:
                        continue
                    where = _written_path(
                        contract.source.data,
                        ("paths", op.path, op.method, "responses", status, "content", media_type),
                    )
                    written = _pointer_path(contract.source.data, where)
                    at: JsonPath = (*where, "example")
                    if isinstance(written, Mapping) and name in (written.get("examples") or {}):
                        # where its value is written: through a `$ref` to components/examples
                        used = (*where, "examples", name)
                        _, at = _follow(contract.source.data, written["examples"][name], used)
                        at = (*at, "value")
                    found.append(
                        ResponseExampleCheck(
                            operation=op.key,
                            status=status,
                            media_type=media_type,
                            name=name,
                            path=at,
                            cause=verdict.cause(),
                            repaired=repair(example.value, validator),
                            line=(contract.locate(at) or (1, 1))[0],
                        )
                    )
    return tuple(found)


def _step(node: Any, part: str | int) -> tuple[Any, str | int]:
    """The child `part` of `node` (YAML may key `200:` as an integer), and its real key."""
    if isinstance(node, Mapping):
        if part in node:
            return node[part], part
        for key in node:
            if str(key) == str(part):
                return node[key], key
    return None, part


def _pointer_path(doc: Any, path: JsonPath) -> Any:
    node = doc
    for part in path:
        node, _ = _step(node, part)
    return node


def _written_path(doc: Mapping[str, Any], path: JsonPath) -> JsonPath:
    """`path` (a path of the resolved document) as written: through each local `$ref`."""
    out: list[str | int] = []
    node: Any = doc
    for part in path:
        for _ in range(20):
            ref = node.get("$ref") if isinstance(node, Mapping) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                break
            out = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            node = _pointer_path(doc, tuple(out))
        node, key = _step(node, part)
        out.append(key)
    return tuple(out)


_INTEGER = re.compile(r"[-+]?\d+")


def _coerced(value: Any, wanted: Any) -> tuple[Any] | None:
    """`value` as the JSON type `wanted`, where there is one obvious reading."""
    kinds = [wanted] if isinstance(wanted, str) else list(wanted or ())
    if isinstance(value, str):
        text = value.strip()
        if "integer" in kinds and _INTEGER.fullmatch(text):
            return (int(text),)
        if "number" in kinds:
            try:
                number = float(text)
            except ValueError:
                return None
            if math.isfinite(number):
                return (int(text) if _INTEGER.fullmatch(text) else number,)
        if "boolean" in kinds and text.lower() in ("true", "false"):
            return (text.lower() == "true",)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and "string" in kinds:
        return (str(value),)
    return None


def repair(value: Any, validator: Validator) -> tuple[Any] | None:
    """`value` with its type slips fixed (`"5"` where an integer is specified, `5` where
    a string is), as `(value,)`, if those were its only errors; else None."""
    import copy

    fixed = copy.deepcopy(value)
    errors = list(validator.iter_errors(value))
    if not errors:
        return None
    for error in errors:
        if error.validator != "type":
            return None
        coerced = _coerced(error.instance, error.validator_value)
        if coerced is None:
            return None
        path = list(error.absolute_path)
        if not path:
            fixed = coerced[0]
            continue
        parent = fixed
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = coerced[0]
    return (fixed,) if not any(True for _ in validator.iter_errors(fixed)) else None
