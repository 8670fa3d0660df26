"""Classify every change between two versions of a contract, from the client's side.

Both documents are compared *after* `$ref` resolution, so moving a schema into
`components` or inlining it is not a change. A change is **breaking** when a request the
old contract allowed may now be refused, or a response the new contract allows may not be
readable by a client written against the old one; **warning** when it may break some
clients or changes behaviour silently; **info** when old clients are unaffected.

Schemas are walked recursively (properties, items, additionalProperties, allOf, oneOf,
anyOf) with the direction of the data in mind: tightening a request constraint refuses
old requests, loosening a response constraint sends old clients values they never
expected. Every rule is one entry of `RULES` with its level and its reason in plain words.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from .catalog import HTTP_METHODS, default_specs_dir, find_specs, resolve
from .errors import SpecError, UsageError
from .yamlsource import load_source

__all__ = [
    "LEVELS",
    "RULES",
    "Change",
    "Level",
    "Rule",
    "diff_against_ref",
    "diff_documents",
    "diff_files",
    "normalise_path",
]

Level = Literal["breaking", "warning", "info"]
LEVELS: tuple[Level, ...] = ("breaking", "warning", "info")
Direction = Literal["request", "response"]


@dataclass(frozen=True)
class Rule:
    level: Level
    summary: str
    why: str


@dataclass(frozen=True)
class Change:
    """One classified difference between the old and the new contract."""

    level: Level
    rule: str
    location: str  # e.g. paths./x.post.requestBody.content.application/json.schema
    message: str
    why: str
    spec: str = ""  # the contract it belongs to, when several are compared


def _r(level: Level, summary: str, why: str) -> Rule:
    return Rule(level, summary, why)


_REQ_TIGHT = "Requests that old clients send and the old contract accepted may now be refused."
_REQ_LOOSE = "The new contract accepts everything the old one did; old clients are unaffected."
_RESP_LOOSE = (
    "The server may now send values outside what the old contract promised; "
    "old clients that rely on that promise can fail to read them."
)
_RESP_TIGHT = "Responses stay within what the old contract promised; old clients are unaffected."

RULES: dict[str, Rule] = {
    # paths and operations
    "path-removed": _r(
        "breaking", "a path was removed", "Old clients calling it get 404 instead of an answer."
    ),
    "operation-removed": _r(
        "breaking",
        "an operation was removed",
        "Old clients calling it get 404/405 instead of an answer.",
    ),
    "spec-removed": _r(
        "breaking",
        "a whole contract was removed",
        "Every operation it documented is gone for old clients.",
    ),
    "path-added": _r("info", "a path was added", "Old clients do not call it."),
    "operation-added": _r("info", "an operation was added", "Old clients do not call it."),
    "spec-added": _r("info", "a contract was added", "Old clients do not call it."),
    "operation-deprecated": _r(
        "info",
        "an operation was deprecated",
        "It still works; clients should plan to move off it before it is removed.",
    ),
    "operation-undeprecated": _r(
        "info", "an operation is no longer deprecated", "Nothing changes for clients."
    ),
    "operation-id-changed": _r(
        "warning",
        "an operationId changed",
        "Generated clients name methods after operationId; regenerating renames the method.",
    ),
    # parameters
    "request-parameter-added-required": _r(
        "breaking",
        "a required parameter or header was added",
        "Old clients do not send it, so their requests are now refused.",
    ),
    "request-parameter-added": _r(
        "info", "an optional parameter was added", "Old clients may omit it; nothing changes."
    ),
    "request-parameter-removed": _r(
        "warning",
        "a parameter was removed",
        "Old clients still send it; the server may ignore it silently or refuse the request.",
    ),
    "request-parameter-became-required": _r(
        "breaking",
        "a parameter became required",
        "Old clients that omit it have their requests refused.",
    ),
    "request-parameter-became-optional": _r(
        "info", "a parameter became optional", "Old clients send it anyway; nothing changes."
    ),
    "request-parameter-serialization-changed": _r(
        "breaking",
        "a parameter's style or explode changed",
        "Old clients serialise the value the old way, which the server now parses differently.",
    ),
    "path-parameter-renamed": _r(
        "info",
        "a path parameter was renamed",
        "The URL clients build is the same; only generated code sees a new name.",
    ),
    "request-parameter-deprecated": _r(
        "info", "a parameter was deprecated", "It still works; clients should stop sending it."
    ),
    # request body
    "request-body-added-required": _r(
        "breaking",
        "a required request body was added",
        "Old clients send no body, so their requests are now refused.",
    ),
    "request-body-added": _r(
        "info", "an optional request body was added", "Old clients send none; that stays valid."
    ),
    "request-body-removed": _r(
        "warning",
        "the request body was removed",
        "Old clients still send one; the server may ignore or refuse it.",
    ),
    "request-body-became-required": _r(
        "breaking",
        "the request body became required",
        "Old clients that send no body have their requests refused.",
    ),
    "request-body-became-optional": _r(
        "info", "the request body became optional", "Old clients send one anyway."
    ),
    "request-media-type-removed": _r(
        "breaking",
        "a request content type was removed",
        "Old clients sending that content type get 415 Unsupported Media Type.",
    ),
    "request-media-type-added": _r(
        "info", "a request content type was added", "Old clients keep sending the old one."
    ),
    # responses
    "response-success-status-removed": _r(
        "breaking",
        "a success status was removed",
        "Old clients wait for a status the server no longer sends and treat the new one as unexpected.",
    ),
    "response-status-removed": _r(
        "warning",
        "an error or default status was removed",
        "Clients lose a documented error case; the server may still answer it with an undocumented body.",
    ),
    "response-success-status-added": _r(
        "warning",
        "a success status was added",
        "Old clients may treat a success status they do not know as a failure.",
    ),
    "response-status-added": _r(
        "info",
        "an error status was added",
        "A newly documented error; old clients already handle errors generically.",
    ),
    "response-media-type-removed": _r(
        "breaking",
        "a response content type was removed",
        "Old clients that ask for it (Accept) get 406 or a body they cannot parse.",
    ),
    "response-media-type-added": _r(
        "info", "a response content type was added", "Old clients keep asking for the old one."
    ),
    "response-required-header-removed": _r(
        "breaking",
        "a required response header was removed",
        "Old clients read a header that is no longer sent.",
    ),
    "response-optional-header-removed": _r(
        "warning",
        "an optional response header was removed",
        "Old clients that use it when present will no longer see it.",
    ),
    "response-header-added": _r(
        "info", "a response header was added", "Old clients ignore headers they do not know."
    ),
    # security
    "security-added": _r(
        "breaking",
        "authentication became required",
        "Old clients call without credentials and get 401.",
    ),
    "security-requirement-added": _r(
        "breaking",
        "a security requirement was added or replaced",
        "Old clients send credentials the new contract no longer accepts alone, and get 401/403.",
    ),
    "security-scope-added": _r(
        "breaking",
        "a required OAuth scope was added",
        "Old clients' tokens lack the new scope and get 403.",
    ),
    "security-scheme-changed": _r(
        "breaking",
        "a security scheme's type or location changed",
        "Old clients send their credential where the server no longer looks for it.",
    ),
    "security-alternative-added": _r(
        "info",
        "another way to authenticate was added",
        "Old clients keep using the old one.",
    ),
    "security-scope-removed": _r(
        "info", "a required OAuth scope was dropped", "Old clients' tokens still carry it."
    ),
    "security-removed": _r(
        "info", "authentication is no longer required", "Old clients' credentials are ignored."
    ),
    # schemas, request direction
    "request-type-changed": _r(
        "breaking",
        "a request value's type changed",
        "Old clients send the old type, which the new schema refuses.",
    ),
    "request-type-widened": _r("info", "a request value accepts more types", _REQ_LOOSE),
    "request-nullable-removed": _r(
        "breaking",
        "a request value no longer accepts null",
        "Old clients sending null are refused.",
    ),
    "request-format-changed": _r(
        "breaking",
        "a request value's format changed or was added",
        "Values old clients send in the old format may be refused.",
    ),
    "request-format-removed": _r("info", "a request value's format was removed", _REQ_LOOSE),
    "request-enum-value-removed": _r(
        "breaking",
        "a request enum value was removed",
        "Old clients sending that value are refused.",
    ),
    "request-enum-value-added": _r("info", "a request enum value was added", _REQ_LOOSE),
    "request-required-property-added": _r(
        "breaking",
        "a required request property was added",
        "Old clients do not send it, so their requests are refused.",
    ),
    "request-property-added": _r(
        "info", "an optional request property was added", "Old clients may omit it."
    ),
    "request-property-became-required": _r(
        "breaking",
        "a request property became required",
        "Old clients that omit it are refused.",
    ),
    "request-property-became-optional": _r(
        "info", "a request property became optional", _REQ_LOOSE
    ),
    "request-property-removed": _r(
        "warning",
        "a request property was removed",
        "Old clients still send it; the server ignores it, so what it controlled silently stops working.",
    ),
    "request-closed-property-removed": _r(
        "breaking",
        "a request property was removed from a closed object",
        "additionalProperties is false, so old clients still sending it are refused.",
    ),
    "request-additional-properties-closed": _r(
        "breaking",
        "a request object no longer accepts undeclared properties",
        "Old clients sending extra fields are refused.",
    ),
    "request-additional-properties-opened": _r(
        "info", "a request object accepts undeclared properties", _REQ_LOOSE
    ),
    "request-one-of-branch-removed": _r(
        "breaking",
        "a request oneOf branch was removed",
        "Old clients sending that shape are refused.",
    ),
    "request-one-of-branch-added": _r(
        "info", "a request oneOf branch was added", "Old clients send the old shapes."
    ),
    "request-any-of-branch-removed": _r(
        "breaking",
        "a request anyOf branch was removed",
        "Old clients sending that shape are refused.",
    ),
    "request-any-of-branch-added": _r(
        "info", "a request anyOf branch was added", "Old clients send the old shapes."
    ),
    "request-pattern-added": _r(
        "breaking",
        "a request value must now match a pattern",
        "Values old clients send may not match it and are refused.",
    ),
    "request-pattern-changed": _r(
        "warning",
        "a request value's pattern changed",
        "Whether every value the old pattern accepted still matches cannot be proven; some old requests may be refused.",
    ),
    "request-pattern-removed": _r("info", "a request value's pattern was removed", _REQ_LOOSE),
    "request-default-changed": _r(
        "warning",
        "a request default changed or was removed",
        "Old clients that omit the value silently get different behaviour.",
    ),
    "request-default-added": _r(
        "info", "a request default was added", "Documents what omitting the value already meant."
    ),
    "request-property-deprecated": _r(
        "info",
        "a request property was deprecated",
        "It still works; clients should stop sending it.",
    ),
    # schemas, response direction
    "response-type-changed": _r(
        "breaking",
        "a response value's type changed",
        "Old clients parse the old type and fail on the new one.",
    ),
    "response-type-narrowed": _r("info", "a response value has fewer possible types", _RESP_TIGHT),
    "response-nullable-added": _r(
        "breaking",
        "a response value may now be null",
        "Old clients do not expect null and can crash on it.",
    ),
    "response-format-changed": _r(
        "breaking",
        "a response value's format changed or was removed",
        "Old clients parse the old format (a date, a uuid) and fail on the new values.",
    ),
    "response-format-added": _r("info", "a response value's format was added", _RESP_TIGHT),
    "response-enum-value-added": _r(
        "breaking",
        "a response enum value was added",
        "Old clients meet a value they were told could not occur (e.g. an exhaustive switch).",
    ),
    "response-enum-value-removed": _r("info", "a response enum value was removed", _RESP_TIGHT),
    "response-required-property-removed": _r(
        "breaking",
        "a required response property was removed",
        "Old clients read a field that is no longer sent.",
    ),
    "response-optional-property-removed": _r(
        "warning",
        "an optional response property was removed",
        "Old clients that use the field when present will never see it again.",
    ),
    "response-property-became-optional": _r(
        "breaking",
        "a response property is no longer required",
        "Old clients read it unconditionally and fail when it is missing.",
    ),
    "response-property-became-required": _r(
        "info", "a response property became required", _RESP_TIGHT
    ),
    "response-property-added": _r(
        "info", "a response property was added", "Old clients ignore fields they do not know."
    ),
    "response-additional-properties-opened": _r(
        "warning",
        "a response object may now carry undeclared properties",
        "Strict clients (generated with closed objects) may refuse the extra fields.",
    ),
    "response-additional-properties-closed": _r(
        "info", "a response object no longer carries undeclared properties", _RESP_TIGHT
    ),
    "response-one-of-branch-added": _r(
        "breaking",
        "a response oneOf branch was added",
        "The server may send a shape old clients cannot read.",
    ),
    "response-one-of-branch-removed": _r(
        "info", "a response oneOf branch was removed", _RESP_TIGHT
    ),
    "response-any-of-branch-added": _r(
        "breaking",
        "a response anyOf branch was added",
        "The server may send a shape old clients cannot read.",
    ),
    "response-any-of-branch-removed": _r(
        "info", "a response anyOf branch was removed", _RESP_TIGHT
    ),
    "response-one-of-branch-split": _r(
        "info",
        "a response oneOf branch was added inside what an old branch allowed",
        "Every value it allows was already possible; old clients read it as before.",
    ),
    "response-any-of-branch-split": _r(
        "info",
        "a response anyOf branch was added inside what an old branch allowed",
        "Every value it allows was already possible; old clients read it as before.",
    ),
    "response-pattern-removed": _r(
        "breaking",
        "a response value's pattern was removed",
        "Old clients that rely on the pattern (parsing an id) may fail on new values.",
    ),
    "response-pattern-changed": _r(
        "warning",
        "a response value's pattern changed",
        "New values may not match the pattern old clients rely on.",
    ),
    "response-pattern-added": _r("info", "a response value's pattern was added", _RESP_TIGHT),
    "response-default-changed": _r(
        "warning",
        "a response default changed",
        "Clients that fill in the documented default see a different value.",
    ),
    "response-property-deprecated": _r(
        "info", "a response property was deprecated", "It is still sent; plan to stop reading it."
    ),
}

# Constraints: the keyword, whether it bounds from above, its kebab name for the rule id.
_BOUNDS: tuple[tuple[str, bool], ...] = (
    ("maxLength", True),
    ("maxItems", True),
    ("maxProperties", True),
    ("minLength", False),
    ("minItems", False),
    ("minProperties", False),
)
_CONSTRAINT_NAMES = {
    "maxLength": "max-length",
    "maxItems": "max-items",
    "maxProperties": "max-properties",
    "minLength": "min-length",
    "minItems": "min-items",
    "minProperties": "min-properties",
    "maximum": "maximum",
    "minimum": "minimum",
    "multipleOf": "multiple-of",
    "uniqueItems": "unique-items",
}
for _kw, _name in _CONSTRAINT_NAMES.items():
    RULES[f"request-{_name}-tightened"] = _r(
        "breaking", f"request {_kw} tightened (or added)", _REQ_TIGHT
    )
    RULES[f"request-{_name}-loosened"] = _r(
        "info", f"request {_kw} loosened (or removed)", _REQ_LOOSE
    )
    RULES[f"response-{_name}-loosened"] = _r(
        "breaking", f"response {_kw} loosened (or removed)", _RESP_LOOSE
    )
    RULES[f"response-{_name}-tightened"] = _r(
        "info", f"response {_kw} tightened (or added)", _RESP_TIGHT
    )

# Keys that document but do not constrain: a change to them is not a contract change.
_ANNOTATIONS = frozenset(
    {"description", "summary", "title", "example", "examples", "externalDocs", "$comment", "xml"}
)


def normalise_path(path: str) -> str:
    """`/a/{id}/b` → `/a/{}/b`: operations match whatever their parameters are called."""
    out, depth = [], 0
    for ch in path:
        if ch == "{":
            depth += 1
            if depth == 1:
                out.append("{}")
            continue
        if ch == "}":
            depth = max(depth - 1, 0)
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out).rstrip("/") or "/"


def _template_names(path: str) -> list[str]:
    names, current, depth = [], "", 0
    for ch in path:
        if ch == "{":
            depth += 1
            current = ""
        elif ch == "}" and depth:
            depth -= 1
            names.append(current)
        elif depth:
            current += ch
    return names


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    """The JSON types a schema admits; empty means any. 3.0 `nullable` counts as null."""
    raw = schema.get("type")
    types = {raw} if isinstance(raw, str) else set(raw) if isinstance(raw, list) else set()
    if types and schema.get("nullable") is True:
        types.add("null")
    return frozenset(t for t in types if isinstance(t, str))


def _covers(outer: frozenset[str], inner: frozenset[str]) -> bool:
    """Does every value of a type in `inner` have a type in `outer`?"""
    if not outer:
        return True
    if not inner:
        return False
    return all(t in outer or (t == "integer" and "number" in outer) for t in inner)


def _merge_all_of(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """Fold `allOf` into its parent, so composition and inlining compare equal."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or not parts:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        part = _merge_all_of(part)
        for key, value in part.items():
            if key == "properties" and isinstance(value, Mapping):
                for name, sub in value.items():
                    properties.setdefault(name, sub)
            elif key == "required" and isinstance(value, list):
                required.extend(r for r in value if r not in required)
            else:
                merged.setdefault(key, value)
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _shape(schema: Any) -> str:
    """A canonical form of a schema without its annotations (to match oneOf branches)."""

    def strip(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {
                k: strip(v)
                for k, v in node.items()
                if k not in _ANNOTATIONS and not str(k).startswith("x-")
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(schema), sort_keys=True, default=str)


def _upper(schema: Mapping[str, Any]) -> tuple[float, bool] | None:
    """The effective upper bound of a number as (value, exclusive), in 3.0 or 3.1 style."""
    bounds: list[tuple[float, bool]] = []
    if isinstance(schema.get("maximum"), int | float) and not isinstance(schema["maximum"], bool):
        bounds.append((schema["maximum"], schema.get("exclusiveMaximum") is True))
    ex = schema.get("exclusiveMaximum")
    if isinstance(ex, int | float) and not isinstance(ex, bool):
        bounds.append((ex, True))
    return min(bounds, key=lambda b: (b[0], not b[1])) if bounds else None


def _lower(schema: Mapping[str, Any]) -> tuple[float, bool] | None:
    bounds: list[tuple[float, bool]] = []
    if isinstance(schema.get("minimum"), int | float) and not isinstance(schema["minimum"], bool):
        bounds.append((schema["minimum"], schema.get("exclusiveMinimum") is True))
    ex = schema.get("exclusiveMinimum")
    if isinstance(ex, int | float) and not isinstance(ex, bool):
        bounds.append((ex, True))
    return max(bounds, key=lambda b: (b[0], b[1])) if bounds else None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _fmt(value: Any) -> str:
    return json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


def _serialization(param: Mapping[str, Any]) -> tuple[str, bool]:
    """A parameter's (style, explode) with the defaults OpenAPI gives them spelled out."""
    where = param.get("in")
    style = str(param.get("style") or ("form" if where in {"query", "cookie"} else "simple"))
    explode = param.get("explode")
    return style, bool(explode) if explode is not None else style == "form"


def _security_alternatives(reqs: Any) -> list[dict[str, frozenset[str]]]:
    return [
        {str(name): frozenset(scopes or []) for name, scopes in req.items()}
        for req in (reqs or [])
        if isinstance(req, Mapping)
    ]


class _Differ:
    """Walks two resolved documents side by side and collects `Change`s."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def emit(self, rule: str, location: Sequence[str], message: str) -> None:
        spec = RULES[rule]
        self.changes.append(Change(spec.level, rule, ".".join(location), message, spec.why))

    # -- document, paths, operations -----------------------------------------------------

    def document(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_paths = {normalise_path(p): p for p in (old.get("paths") or {})}
        new_paths = {normalise_path(p): p for p in (new.get("paths") or {})}
        for key, old_path in old_paths.items():
            old_item = old["paths"][old_path] or {}
            if key not in new_paths:
                self.emit("path-removed", ("paths", old_path), f"path {old_path} was removed")
                continue
            new_path = new_paths[key]
            self.path_item(old, new, old_path, new_path, old_item, new["paths"][new_path] or {})
        for key, new_path in new_paths.items():
            if key not in old_paths:
                self.emit("path-added", ("paths", new_path), f"path {new_path} was added")
        self.security_schemes(old, new)

    def path_item(
        self,
        old_doc: Mapping[str, Any],
        new_doc: Mapping[str, Any],
        old_path: str,
        new_path: str,
        old_item: Mapping[str, Any],
        new_item: Mapping[str, Any],
    ) -> None:
        for method in HTTP_METHODS:
            old_op, new_op = old_item.get(method), new_item.get(method)
            loc = ("paths", new_path, method)
            name = f"{method.upper()} {new_path}"
            if isinstance(old_op, Mapping) and not isinstance(new_op, Mapping):
                self.emit(
                    "operation-removed",
                    ("paths", old_path, method),
                    f"{method.upper()} {old_path} was removed",
                )
            elif isinstance(new_op, Mapping) and not isinstance(old_op, Mapping):
                self.emit("operation-added", loc, f"{name} was added")
            elif isinstance(old_op, Mapping) and isinstance(new_op, Mapping):
                self.operation(
                    old_doc, new_doc, old_path, new_path, old_item, new_item, old_op, new_op, loc
                )

    def operation(
        self,
        old_doc: Mapping[str, Any],
        new_doc: Mapping[str, Any],
        old_path: str,
        new_path: str,
        old_item: Mapping[str, Any],
        new_item: Mapping[str, Any],
        old_op: Mapping[str, Any],
        new_op: Mapping[str, Any],
        loc: tuple[str, ...],
    ) -> None:
        name = f"{loc[2].upper()} {new_path}"
        if new_op.get("deprecated") and not old_op.get("deprecated"):
            self.emit("operation-deprecated", loc, f"{name} is deprecated")
        elif old_op.get("deprecated") and not new_op.get("deprecated"):
            self.emit("operation-undeprecated", loc, f"{name} is no longer deprecated")
        old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
        if old_id and old_id != new_id:
            self.emit(
                "operation-id-changed",
                (*loc, "operationId"),
                f"operationId {old_id!r} is now {new_id!r}"
                if new_id
                else f"operationId {old_id!r} was removed",
            )
        self.parameters(
            self._params(old_path, old_item, old_op), self._params(new_path, new_item, new_op), loc
        )
        self.request_body(old_op.get("requestBody"), new_op.get("requestBody"), loc)
        self.responses(old_op.get("responses") or {}, new_op.get("responses") or {}, loc)
        self.security(
            old_op["security"] if "security" in old_op else old_doc.get("security"),
            new_op["security"] if "security" in new_op else new_doc.get("security"),
            (*loc, "security"),
        )

    # -- parameters ----------------------------------------------------------------------

    @staticmethod
    def _params(
        path: str, item: Mapping[str, Any], op: Mapping[str, Any]
    ) -> dict[tuple[str, str], Mapping[str, Any]]:
        """Parameters keyed so that they match across versions: path ones by position."""
        positions = {name: str(i) for i, name in enumerate(_template_names(path))}
        out: dict[tuple[str, str], Mapping[str, Any]] = {}
        for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            if not isinstance(param, Mapping):
                continue
            where, pname = str(param.get("in")), str(param.get("name"))
            if where == "path":
                key = ("path", positions.get(pname, pname))
            elif where == "header":
                key = ("header", pname.lower())
            else:
                key = (where, pname)
            out[key] = param  # operation-level parameters override path-level ones
        return out

    def parameters(
        self,
        old: Mapping[tuple[str, str], Mapping[str, Any]],
        new: Mapping[tuple[str, str], Mapping[str, Any]],
        loc: tuple[str, ...],
    ) -> None:
        for key, param in old.items():
            if key not in new:
                self.emit(
                    "request-parameter-removed",
                    (*loc, "parameters", key[0], str(param.get("name"))),
                    f"{key[0]} parameter {param.get('name')!r} was removed",
                )
        for key, param in new.items():
            ploc = (*loc, "parameters", key[0], str(param.get("name")))
            label = f"{key[0]} parameter {param.get('name')!r}"
            if key not in old:
                if param.get("required"):
                    self.emit(
                        "request-parameter-added-required", ploc, f"required {label} was added"
                    )
                else:
                    self.emit("request-parameter-added", ploc, f"optional {label} was added")
                continue
            before = old[key]
            if key[0] == "path" and before.get("name") != param.get("name"):
                self.emit(
                    "path-parameter-renamed",
                    ploc,
                    f"path parameter {before.get('name')!r} is now called {param.get('name')!r}",
                )
            if param.get("required") and not before.get("required"):
                self.emit("request-parameter-became-required", ploc, f"{label} became required")
            elif before.get("required") and not param.get("required"):
                self.emit("request-parameter-became-optional", ploc, f"{label} became optional")
            if param.get("deprecated") and not before.get("deprecated"):
                self.emit("request-parameter-deprecated", ploc, f"{label} is deprecated")
            old_style, new_style = _serialization(before), _serialization(param)
            if old_style != new_style:
                self.emit(
                    "request-parameter-serialization-changed",
                    ploc,
                    f"{label}: style/explode {old_style[0]}/{old_style[1]} is now "
                    f"{new_style[0]}/{new_style[1]}",
                )
            if isinstance(before.get("schema"), Mapping) and isinstance(
                param.get("schema"), Mapping
            ):
                self.schema(before["schema"], param["schema"], (*ploc, "schema"), "request")
            elif isinstance(before.get("content"), Mapping) and isinstance(
                param.get("content"), Mapping
            ):
                self.content(before["content"], param["content"], (*ploc, "content"), "request")

    # -- bodies and responses ------------------------------------------------------------

    def request_body(self, old: Any, new: Any, loc: tuple[str, ...]) -> None:
        bloc = (*loc, "requestBody")
        if not isinstance(old, Mapping) and not isinstance(new, Mapping):
            return
        if not isinstance(old, Mapping):
            if new.get("required"):
                self.emit("request-body-added-required", bloc, "a required request body was added")
            else:
                self.emit("request-body-added", bloc, "an optional request body was added")
            return
        if not isinstance(new, Mapping):
            self.emit("request-body-removed", bloc, "the request body was removed")
            return
        if new.get("required") and not old.get("required"):
            self.emit("request-body-became-required", bloc, "the request body became required")
        elif old.get("required") and not new.get("required"):
            self.emit("request-body-became-optional", bloc, "the request body became optional")
        self.content(
            old.get("content") or {}, new.get("content") or {}, (*bloc, "content"), "request"
        )

    def content(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        loc: tuple[str, ...],
        direction: Direction,
    ) -> None:
        old_by = {str(mt).split(";")[0].strip().lower(): mt for mt in old}
        new_by = {str(mt).split(";")[0].strip().lower(): mt for mt in new}
        for key, mt in old_by.items():
            if key not in new_by:
                self.emit(
                    f"{direction}-media-type-removed", (*loc, mt), f"content type {mt} was removed"
                )
        for key, mt in new_by.items():
            if key not in old_by:
                self.emit(
                    f"{direction}-media-type-added", (*loc, mt), f"content type {mt} was added"
                )
                continue
            before, after = old[old_by[key]] or {}, new[mt] or {}
            if isinstance(before.get("schema"), Mapping) and isinstance(
                after.get("schema"), Mapping
            ):
                self.schema(before["schema"], after["schema"], (*loc, mt, "schema"), direction)

    def responses(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...]
    ) -> None:
        rloc = (*loc, "responses")
        old_s = {str(k).upper(): k for k in old}
        new_s = {str(k).upper(): k for k in new}
        old_success = {s for s in old_s if s.startswith("2")}
        for status, raw in old_s.items():
            if status not in new_s:
                rule = (
                    "response-success-status-removed"
                    if status.startswith("2")
                    else "response-status-removed"
                )
                self.emit(rule, (*rloc, str(raw)), f"response {raw} was removed")
        for status, raw in new_s.items():
            if status not in old_s:
                if status.startswith("2") and old_success:
                    self.emit(
                        "response-success-status-added",
                        (*rloc, str(raw)),
                        f"success response {raw} was added (old: {', '.join(sorted(old_success))})",
                    )
                else:
                    self.emit(
                        "response-status-added", (*rloc, str(raw)), f"response {raw} was added"
                    )
                continue
            before, after = old[old_s[status]] or {}, new[raw] or {}
            sloc = (*rloc, str(raw))
            self.content(
                before.get("content") or {},
                after.get("content") or {},
                (*sloc, "content"),
                "response",
            )
            self.response_headers(
                before.get("headers") or {}, after.get("headers") or {}, (*sloc, "headers")
            )

    def response_headers(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...]
    ) -> None:
        old_h = {str(k).lower(): k for k in old}
        new_h = {str(k).lower(): k for k in new}
        for key, name in old_h.items():
            header = old[name] or {}
            if key not in new_h:
                rule = (
                    "response-required-header-removed"
                    if header.get("required")
                    else "response-optional-header-removed"
                )
                self.emit(rule, (*loc, name), f"response header {name} was removed")
        for key, name in new_h.items():
            if key not in old_h:
                self.emit(
                    "response-header-added", (*loc, name), f"response header {name} was added"
                )
                continue
            before, after = old[old_h[key]] or {}, new[name] or {}
            if isinstance(before.get("schema"), Mapping) and isinstance(
                after.get("schema"), Mapping
            ):
                self.schema(before["schema"], after["schema"], (*loc, name, "schema"), "response")

    # -- security ------------------------------------------------------------------------

    def security(self, old: Any, new: Any, loc: tuple[str, ...]) -> None:
        old_alts, new_alts = _security_alternatives(old), _security_alternatives(new)
        old_anonymous = not old_alts or any(not alt for alt in old_alts)
        new_anonymous = not new_alts or any(not alt for alt in new_alts)
        if old_anonymous and not new_anonymous:
            names = " or ".join("+".join(sorted(a)) for a in new_alts)
            self.emit("security-added", loc, f"credentials are now required: {names}")
        elif new_anonymous and not old_anonymous:
            self.emit("security-removed", loc, "credentials are no longer required")
        if not new_anonymous:
            for alt in old_alts:
                if not alt or self._satisfied(alt, new_alts):
                    continue
                same_schemes = [b for b in new_alts if set(b) <= set(alt)]
                if same_schemes:
                    extra = sorted(
                        {f"{k}:{s}" for b in same_schemes for k in b for s in b[k] - alt[k]}
                    )
                    self.emit(
                        "security-scope-added",
                        loc,
                        f"credentials {'+'.join(sorted(alt))} now need scopes {', '.join(extra)}",
                    )
                else:
                    self.emit(
                        "security-requirement-added",
                        loc,
                        f"credentials {'+'.join(sorted(alt))} are no longer enough "
                        f"(now: {' or '.join('+'.join(sorted(b)) for b in new_alts)})",
                    )
        if not old_anonymous:
            for alt in new_alts:
                # a tightened old requirement was reported above; only a new way counts here
                if alt and not any(set(alt) >= set(a) for a in old_alts):
                    self.emit(
                        "security-alternative-added",
                        loc,
                        f"credentials {'+'.join(sorted(alt))} are now accepted too",
                    )
        for a in old_alts:
            for b in new_alts:
                if set(a) == set(b) and (
                    dropped := sorted({f"{k}:{s}" for k in a for s in a[k] - b[k]})
                ):
                    self.emit(
                        "security-scope-removed",
                        loc,
                        f"credentials {'+'.join(sorted(a))} no longer need scopes {', '.join(dropped)}",
                    )

    @staticmethod
    def _satisfied(
        alt: Mapping[str, frozenset[str]], new_alts: Iterable[Mapping[str, frozenset[str]]]
    ) -> bool:
        """Do credentials meeting old requirement `alt` meet one of the new requirements?"""
        return any(set(b) <= set(alt) and all(b[k] <= alt[k] for k in b) for b in new_alts)

    def security_schemes(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_s = (old.get("components") or {}).get("securitySchemes") or {}
        new_s = (new.get("components") or {}).get("securitySchemes") or {}
        for name, after in new_s.items():
            before = old_s.get(name)
            if not isinstance(before, Mapping) or not isinstance(after, Mapping):
                continue
            for attr in ("type", "in", "name", "scheme"):
                b, a = before.get(attr), after.get(attr)
                if attr == "scheme":
                    b, a = str(b).lower() if b else b, str(a).lower() if a else a
                if attr == "name" and before.get("in") == "header" and after.get("in") == "header":
                    b, a = str(b).lower(), str(a).lower()
                if b != a:
                    self.emit(
                        "security-scheme-changed",
                        ("components", "securitySchemes", name, attr),
                        f"security scheme {name!r}: {attr} {b!r} is now {a!r}",
                    )

    # -- schemas -------------------------------------------------------------------------

    def schema(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        loc: tuple[str, ...],
        direction: Direction,
        depth: int = 0,
    ) -> None:
        if old == new or depth > 40:  # identical subtrees are the common case: skip them fast
            return
        old, new = _merge_all_of(old), _merge_all_of(new)
        d = direction
        composed = ("oneOf", "anyOf")
        for kw in composed:
            # one plain schema against a composition: compare it as the single branch it is
            if kw in new and not any(k in old for k in composed):
                old = {kw: [old]}
            elif kw in old and not any(k in new for k in composed):
                new = {kw: [new]}
        old_t, new_t = _types(old), _types(new)
        if old_t != new_t:
            # request: every value old clients send must still be accepted;
            # response: every value the server may now send must have been promised
            kept = _covers(new_t, old_t) if d == "request" else _covers(old_t, new_t)
            shown = (
                f"type {'/'.join(sorted(old_t)) or 'any'} is now {'/'.join(sorted(new_t)) or 'any'}"
            )
            if kept:
                rule = "request-type-widened" if d == "request" else "response-type-narrowed"
                self.emit(rule, (*loc, "type"), shown)
            elif old_t - {"null"} == new_t - {"null"}:
                rule = "request-nullable-removed" if d == "request" else "response-nullable-added"
                self.emit(
                    rule, (*loc, "nullable"), f"nullable {'null' in old_t} is now {'null' in new_t}"
                )
            else:
                self.emit(f"{d}-type-changed", (*loc, "type"), shown)
                numeric = {"integer", "number"}
                if (
                    old_t
                    and new_t
                    and not (old_t & new_t)
                    and not (old_t & numeric and new_t & numeric)
                ):
                    return  # nothing else about the old values is comparable
        self._format(old, new, loc, d)
        self._enum(old, new, loc, d)
        self._constraints(old, new, loc, d)
        self._pattern(old, new, loc, d)
        self._default(old, new, loc, d)
        self._properties(old, new, loc, d, depth)
        self._additional(old, new, loc, d, depth)
        if isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
            self.schema(old["items"], new["items"], (*loc, "items"), d, depth + 1)
        for kw in ("oneOf", "anyOf"):
            if isinstance(old.get(kw), list) and isinstance(new.get(kw), list):
                self._branches(kw, old[kw], new[kw], loc, d, depth)

    def _format(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...], d: Direction
    ) -> None:
        b, a = old.get("format"), new.get("format")
        if b == a:
            return
        where = (*loc, "format")
        if b and a:
            self.emit(f"{d}-format-changed", where, f"format {b!r} is now {a!r}")
        elif a:  # format added: tighter
            if d == "request":
                self.emit("request-format-changed", where, f"format {a!r} was added")
            else:
                self.emit("response-format-added", where, f"format {a!r} was added")
        elif d == "request":
            self.emit("request-format-removed", where, f"format {b!r} was removed")
        else:
            self.emit("response-format-changed", where, f"format {b!r} was removed")

    def _enum(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...], d: Direction
    ) -> None:
        def values(s: Mapping[str, Any]) -> list[Any] | None:
            if isinstance(s.get("enum"), list):
                return list(s["enum"])
            return [s["const"]] if "const" in s else None

        b, a = values(old), values(new)
        if b == a:
            return
        where = (*loc, "enum")
        if b is not None and a is not None:
            old_keys, new_keys = {_canonical(x) for x in b}, {_canonical(x) for x in a}
            removed = [v for v in b if _canonical(v) not in new_keys]
            added = [v for v in a if _canonical(v) not in old_keys]
            for v in removed:
                self.emit(f"{d}-enum-value-removed", where, f"enum value {_fmt(v)} was removed")
            for v in added:
                self.emit(f"{d}-enum-value-added", where, f"enum value {_fmt(v)} was added")
        elif a is not None:  # an enum where any value went before
            if d == "request":
                self.emit(
                    "request-enum-value-removed",
                    where,
                    f"values are now limited to {', '.join(map(_fmt, a))}",
                )
            else:
                self.emit(
                    "response-enum-value-removed",
                    where,
                    f"values are now limited to {', '.join(map(_fmt, a))}",
                )
        elif b is not None:
            if d == "request":
                self.emit(
                    "request-enum-value-added", where, "the enum was removed: any value is accepted"
                )
            else:
                self.emit(
                    "response-enum-value-added",
                    where,
                    f"the enum ({', '.join(map(_fmt, b))}) was removed: any value may be sent",
                )

    def _tightness(
        self,
        name: str,
        where: tuple[str, ...],
        d: Direction,
        tighter: bool,
        message: str,
    ) -> None:
        self.emit(f"{d}-{name}-{'tightened' if tighter else 'loosened'}", where, message)

    def _constraints(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...], d: Direction
    ) -> None:
        for kw, upper in _BOUNDS:
            b, a = old.get(kw), new.get(kw)
            if b == a:
                continue
            if b is None:
                tighter = True
            elif a is None:
                tighter = False
            else:
                tighter = a < b if upper else a > b
            self._tightness(_CONSTRAINT_NAMES[kw], (*loc, kw), d, tighter, f"{kw} {b} is now {a}")
        for kw, bound, upper in (("maximum", _upper, True), ("minimum", _lower, False)):
            ob, nb = bound(old), bound(new)
            if ob == nb:
                continue
            if ob is None:
                tighter = True
            elif nb is None:
                tighter = False
            elif ob[0] == nb[0]:
                tighter = nb[1] and not ob[1]
            else:
                tighter = nb[0] < ob[0] if upper else nb[0] > ob[0]

            def show(x: tuple[float, bool] | None, upper: bool = upper) -> str:
                if x is None:
                    return "none"
                return f"{'<' if upper else '>'}{'' if x[1] else '='} {x[0]:g}"

            self._tightness(kw, (*loc, kw), d, tighter, f"{kw} {show(ob)} is now {show(nb)}")
        b, a = old.get("multipleOf"), new.get("multipleOf")
        if b != a:
            if b is None:
                tighter = True
            elif a is None:
                tighter = False
            else:
                tighter = not math.isclose(
                    b / a, round(b / a)
                )  # old values stay valid iff a divides b
            self._tightness(
                "multiple-of", (*loc, "multipleOf"), d, tighter, f"multipleOf {b} is now {a}"
            )
        b, a = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
        if b != a:
            self._tightness(
                "unique-items", (*loc, "uniqueItems"), d, a, f"uniqueItems {b} is now {a}"
            )

    def _pattern(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...], d: Direction
    ) -> None:
        b, a = old.get("pattern"), new.get("pattern")
        if b == a:
            return
        where = (*loc, "pattern")
        if b and a:
            self.emit(f"{d}-pattern-changed", where, f"pattern `{b}` is now `{a}`")
        elif a:
            self.emit(f"{d}-pattern-added", where, f"pattern `{a}` was added")
        else:
            self.emit(f"{d}-pattern-removed", where, f"pattern `{b}` was removed")

    def _default(
        self, old: Mapping[str, Any], new: Mapping[str, Any], loc: tuple[str, ...], d: Direction
    ) -> None:
        if "default" not in old and "default" not in new:
            return
        b, a = old.get("default"), new.get("default")
        where = (*loc, "default")
        if "default" in old and "default" in new:
            if b != a:
                self.emit(f"{d}-default-changed", where, f"default {_fmt(b)} is now {_fmt(a)}")
        elif d == "request":
            if "default" in new:
                self.emit("request-default-added", where, f"default {_fmt(a)} was added")
            else:
                self.emit("request-default-changed", where, f"default {_fmt(b)} was removed")

    def _properties(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        loc: tuple[str, ...],
        d: Direction,
        depth: int,
    ) -> None:
        old_p = dict(old.get("properties") or {})
        new_p = dict(new.get("properties") or {})
        if not old_p and not new_p and not old.get("required") and not new.get("required"):
            return
        # readOnly properties are never sent in requests, writeOnly never in responses
        hidden = "readOnly" if d == "request" else "writeOnly"

        def required(s: Mapping[str, Any], props: Mapping[str, Any]) -> set[str]:
            return {
                str(r)
                for r in (s.get("required") or [])
                if not (isinstance(props.get(r), Mapping) and props[r].get(hidden))
            }

        old_r, new_r = required(old, old_p), required(new, new_p)
        closed = new.get("additionalProperties") is False
        for name in [*old_p, *(r for r in old_r if r not in old_p)]:
            if name in new_p or name in new_r:
                continue
            ploc = (*loc, "properties", name)
            sub = old_p.get(name)
            if isinstance(sub, Mapping) and sub.get(hidden):
                continue
            if d == "request":
                rule = "request-closed-property-removed" if closed else "request-property-removed"
            else:
                rule = (
                    "response-required-property-removed"
                    if name in old_r
                    else "response-optional-property-removed"
                )
            self.emit(rule, ploc, f"property {name!r} was removed")
        for name in [*new_p, *(r for r in new_r if r not in new_p)]:
            ploc = (*loc, "properties", name)
            sub_new = new_p.get(name)
            if name not in old_p and name not in old_r:
                if isinstance(sub_new, Mapping) and sub_new.get(hidden):
                    continue
                if d == "request":
                    if name in new_r:
                        self.emit(
                            "request-required-property-added",
                            ploc,
                            f"required property {name!r} was added",
                        )
                    else:
                        self.emit(
                            "request-property-added", ploc, f"optional property {name!r} was added"
                        )
                else:
                    self.emit("response-property-added", ploc, f"property {name!r} was added")
                continue
            if name in new_r and name not in old_r:
                rule = (
                    "request-property-became-required"
                    if d == "request"
                    else "response-property-became-required"
                )
                self.emit(rule, ploc, f"property {name!r} became required")
            elif name in old_r and name not in new_r:
                rule = (
                    "request-property-became-optional"
                    if d == "request"
                    else "response-property-became-optional"
                )
                self.emit(rule, ploc, f"property {name!r} is no longer required")
            sub_old = old_p.get(name)
            if isinstance(sub_old, Mapping) and isinstance(sub_new, Mapping):
                if sub_new.get("deprecated") and not sub_old.get("deprecated"):
                    self.emit(f"{d}-property-deprecated", ploc, f"property {name!r} is deprecated")
                self.schema(sub_old, sub_new, ploc, d, depth + 1)

    def _additional(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        loc: tuple[str, ...],
        d: Direction,
        depth: int,
    ) -> None:
        b, a = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if b == a:
            return
        where = (*loc, "additionalProperties")
        if a is False and b is not False:
            rule = (
                "request-additional-properties-closed"
                if d == "request"
                else "response-additional-properties-closed"
            )
            self.emit(rule, where, "undeclared properties are no longer allowed")
        elif b is False and a is not False:
            rule = (
                "request-additional-properties-opened"
                if d == "request"
                else "response-additional-properties-opened"
            )
            self.emit(rule, where, "undeclared properties are now allowed")
        else:
            self.schema(
                b if isinstance(b, Mapping) else {},
                a if isinstance(a, Mapping) else {},
                where,
                d,
                depth + 1,
            )

    def _branches(
        self,
        kw: str,
        old: list[Any],
        new: list[Any],
        loc: tuple[str, ...],
        d: Direction,
        depth: int,
    ) -> None:
        kebab = "one-of" if kw == "oneOf" else "any-of"
        old_b = [(i, s) for i, s in enumerate(old) if isinstance(s, Mapping)]
        new_b = [(i, s) for i, s in enumerate(new) if isinstance(s, Mapping)]
        new_shapes = [_shape(s) for _, s in new_b]
        unmatched_new = list(range(len(new_b)))
        unmatched_old: list[tuple[int, Mapping[str, Any]]] = []
        for i, s in old_b:
            shape = _shape(s)
            hit = next((j for j in unmatched_new if new_shapes[j] == shape), None)
            if hit is None:
                unmatched_old.append((i, s))
            else:
                unmatched_new.remove(hit)
        gone: list[tuple[int, Mapping[str, Any]]] = []
        for i, s in unmatched_old:
            # the same kind of branch, changed inside: compare it rather than call it replaced
            hit = next((j for j in unmatched_new if _types(new_b[j][1]) == _types(s)), None)
            if hit is None:
                gone.append((i, s))
                continue
            unmatched_new.remove(hit)
            j, after = new_b[hit]
            self.schema(s, after, (*loc, kw, str(j)), d, depth + 1)
        for i, s in gone:
            if d == "request" and any(_admits(s, after, d) for _, after in new_b):
                continue  # a remaining branch still accepts everything it accepted
            self.emit(
                f"{d}-{kebab}-branch-removed",
                (*loc, kw, str(i)),
                f"{kw} branch {i} ({'/'.join(sorted(_types(s))) or 'any'}) was removed",
            )
        for j in unmatched_new:
            i, s = new_b[j]
            if d == "response" and any(_admits(before, s, d) for _, before in old_b):
                # an old branch already allowed every value of this one: e.g. a specific
                # object split out of an open `type: object` branch
                self.emit(
                    f"response-{kebab}-branch-split",
                    (*loc, kw, str(i)),
                    f"{kw} branch {i} was added; an old branch already allowed its values",
                )
                continue
            self.emit(
                f"{d}-{kebab}-branch-added",
                (*loc, kw, str(i)),
                f"{kw} branch {i} ({'/'.join(sorted(_types(s))) or 'any'}) was added",
            )


def _admits(old: Mapping[str, Any], new: Mapping[str, Any], direction: Direction) -> bool:
    """Is changing schema `old` into `new` harmless in `direction` (no breaking change)?"""
    probe = _Differ()
    probe.schema(old, new, (), direction)
    return not any(c.level == "breaking" for c in probe.changes)


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every classified change from `old` to `new`, both already `$ref`-resolved."""
    differ = _Differ()
    differ.document(old, new)
    return differ.changes


def diff_files(old: Path | str, new: Path | str) -> list[Change]:
    """Load and resolve two spec files and diff them (SpecError when unreadable).

    The documents are not validated as OpenAPI (that is `contracts lint`'s job); only
    what the comparison reads must make sense.
    """
    old_path, new_path = Path(old), Path(new)
    return diff_documents(*_load_both(old_path, new_path))


_PARALLEL_FROM = 256 * 1024  # bytes: below this, a second process costs more than it saves


def _load_both(old: Path, new: Path) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Both documents; large ones are parsed side by side (YAML construction is most of a
    big diff, and the two files are independent)."""
    try:
        large = min(old.stat().st_size, new.stat().st_size) >= _PARALLEL_FROM
    except OSError:
        large = False
    if not large or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return _load(old), _load(new)
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        pending = pool.submit(_load, old)
        loaded_new = _load(new)
        try:
            loaded_old = pending.result()
        except Exception:
            loaded_old = _load(old)
    return loaded_old, loaded_new


def _load(path: Path) -> Mapping[str, Any]:
    # Line numbers are only needed to report an error: load without them, and again with
    # them when there is an error to point at.
    try:
        return resolve(
            load_source(path, SpecError, positions=False), validate=False, read_only=True
        )
    except SpecError as exc:
        if exc.line is None and path.is_file():
            resolve(load_source(path, SpecError), validate=False, read_only=True)
        raise


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed") from None
    if done.returncode != 0:
        cause = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"git {' '.join(args)}: {cause}")
    return done.stdout


def diff_against_ref(
    ref: str, specs: Sequence[str] = (), specs_dir: Path | None = None
) -> list[Change]:
    """Diff every contract in `specs_dir` at git `ref` against the working tree.

    `specs` limits the comparison to some API ids or files. A contract present on only
    one side is reported as `spec-added` / `spec-removed`.
    """
    specs_dir = (specs_dir or default_specs_dir()).resolve()
    root = Path(_git(["rev-parse", "--show-toplevel"], specs_dir).strip())
    rel = specs_dir.relative_to(root).as_posix()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    listed = [
        line
        for line in _git(["ls-tree", "-r", "--name-only", ref, "--", rel], root).splitlines()
        if line
    ]
    wanted = {Path(s).name.split(".")[0] for s in specs}
    changes: list[Change] = []
    with tempfile.TemporaryDirectory(prefix="contracts-base-") as tmp:
        base_dir = Path(tmp) / rel
        for name in listed:
            # every file under specs/ comes along, so that file $refs resolve at the ref too
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_git(["show", f"{ref}:{name}"], root), encoding="utf-8")
        old_specs = (
            {p.name.split(".")[0]: p for p in find_specs(base_dir)} if base_dir.is_dir() else {}
        )
        new_specs = {p.name.split(".")[0]: p for p in find_specs(specs_dir)}
        for api in sorted(set(old_specs) | set(new_specs)):
            if wanted and api not in wanted:
                continue
            shown = f"{rel}/{(new_specs.get(api) or old_specs[api]).name}"
            if api not in new_specs:
                found = [
                    Change(
                        "breaking",
                        "spec-removed",
                        shown,
                        f"{shown} was removed at {ref}..working tree",
                        RULES["spec-removed"].why,
                    )
                ]
            elif api not in old_specs:
                found = [
                    Change(
                        "info",
                        "spec-added",
                        shown,
                        f"{shown} is new (not at {ref})",
                        RULES["spec-added"].why,
                    )
                ]
            else:
                found = diff_files(old_specs[api], new_specs[api])
            changes.extend(replace(c, spec=shown) for c in found)
    return changes


# -- command line -----------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """Register `contracts diff` on the CLI's subparsers."""
    parser = sub.add_parser(
        "diff",
        help="classify the changes between two versions of a contract",
        description=(
            "contracts diff OLD NEW, or contracts diff --base GIT_REF [SPEC ...] to compare "
            "specs/ at a git ref with the working tree. Exit 1 on a breaking change "
            "(or on a warning with --fail-on warning)."
        ),
    )
    parser.add_argument("specs", nargs="*", metavar="SPEC")
    parser.add_argument(
        "--base", metavar="GIT_REF", help="compare specs/ at this ref with the working tree"
    )
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument(
        "--fail-on", choices=("breaking", "warning", "info", "never"), default="breaking"
    )
    parser.set_defaults(run=run)


def run(args: Any) -> int:
    """`contracts diff`: print the classified changes; 1 at or above `--fail-on`."""
    from .reporters import diff_json, diff_markdown, diff_text

    if args.base:
        changes = diff_against_ref(args.base, args.specs)
    elif len(args.specs) == 2:
        old, new = (Path(s) for s in args.specs)
        for p in (old, new):
            if not p.is_file():
                raise UsageError("file not found", file=p)
        changes = diff_files(old, new)
    else:
        raise UsageError("give OLD and NEW spec files, or --base GIT_REF [SPEC ...]")
    render = {"json": diff_json, "markdown": diff_markdown}.get(args.format, diff_text)
    print(render(changes))
    if args.fail_on == "never":
        return 0
    failing = LEVELS[: LEVELS.index(args.fail_on) + 1]
    return 1 if any(c.level in failing for c in changes) else 0
