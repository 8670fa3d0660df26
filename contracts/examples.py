"""Every example a contract documents, paired with the schema it must satisfy.

Examples live in many places in OpenAPI: media types (`example`, `examples`),
parameters, and schemas themselves (`example` on any subschema). All are walked on the
*unresolved* document, so each example keeps its own location in the file, and checked
against the *resolved* schema with the OpenAPI dialect of the document's version
(`nullable` in 3.0, JSON Schema 2020-12 in 3.1).
"""

from __future__ import annotations

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
    "example_errors",
    "example_verdict",
    "invalid_response_examples",
    "is_representation",
    "iter_examples",
    "schema_validator",
]


@dataclass(frozen=True)
class DocumentedExample:
    path: JsonPath  # location of the example value in the document
    kind: str  # "media", "parameter" or "schema"
    value: Any
    schema: Mapping[str, Any]


def schema_validator(schema: Mapping[str, Any], openapi_version: str) -> Validator:
    """A validator for `schema` in the dialect of the document's OpenAPI version."""
    # Imported here: openapi-schema-validator imports pydantic, which the mock's serving
    # process never holds (its examples are checked where the contracts load).
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    cls = OAS31Validator if openapi_version.startswith("3.1") else OAS30Validator
    return cls(dict(schema), format_checker=cls.FORMAT_CHECKER)


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
        if "example" in node and not is_representation(str(path[-1]), node["example"]):
            yield DocumentedExample((*path, "example"), "media", node["example"], schema)
        for name, ex in (node.get("examples") or {}).items():
            ex = _follow(doc, ex)
            if (
                isinstance(ex, Mapping)
                and "value" in ex
                and not is_representation(str(path[-1]), ex["value"])
            ):
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
                    tail = (
                        ("examples", name, "value")
                        if isinstance(written, Mapping) and name in (written.get("examples") or {})
                        else ("example",)
                    )
                    found.append(
                        ResponseExampleCheck(
                            operation=op.key,
                            status=status,
                            media_type=media_type,
                            name=name,
                            path=(*where, *tail),
                            cause=verdict.cause(),
                            repaired=repair(example.value, validator),
                            line=(contract.locate((*where, *tail)) or (1, 1))[0],
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
