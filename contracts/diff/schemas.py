"""Schemas compared side by side: types and nullability, properties and `required`,
`additionalProperties`, `items`, `allOf` (folded), `oneOf`/`anyOf` branches.

Schemas are walked recursively with the direction of the data in mind (`request`: what
old clients send must still be accepted; `response`: what the server may now send must
have been promised). Value constraints live in `constraints`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .applicators import compare_applicators
from .constraints import compare_constraints
from .rules import REQ_LOOSE, RESP_TIGHT, ChangeList, Direction, declare

__all__ = ["admits", "compare_schemas", "schema_types"]

Schema = Mapping[str, Any]
Loc = tuple[str, ...]

# Keys that document but do not constrain: a change to them is not a contract change.
_ANNOTATIONS = frozenset(
    {"description", "summary", "title", "example", "examples", "externalDocs", "$comment", "xml"}
)


def schema_types(schema: Schema) -> frozenset[str]:
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


# When two allOf parts bound the same keyword, the value must meet both: the stricter wins.
_STRICTER: dict[str, Any] = {
    **dict.fromkeys(("maxLength", "maxItems", "maxProperties", "maximum"), min),
    **dict.fromkeys(("minLength", "minItems", "minProperties", "minimum"), max),
}


def merge_all_of(schema: Schema) -> Schema:
    """Fold `allOf` into its parent, so composition and inlining compare equal.

    A property declared by several parts gets every part's constraints (a base's
    `name: {type: string}` refined by `name: {maxLength: 40}`); a bound given twice
    keeps the stricter value.
    """
    parts = schema.get("allOf")
    if not isinstance(parts, list) or not parts:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        part = merge_all_of(part)
        for key, value in part.items():
            if key == "properties" and isinstance(value, Mapping):
                for name, sub in value.items():
                    known = properties.get(name)
                    if isinstance(known, Mapping) and isinstance(sub, Mapping) and known != sub:
                        properties[name] = merge_all_of({"allOf": [known, sub]})
                    else:
                        properties.setdefault(name, sub)
            elif key == "required" and isinstance(value, list):
                required.extend(r for r in value if r not in required)
            elif key in _STRICTER and _is_number(merged.get(key)) and _is_number(value):
                merged[key] = _STRICTER[key](merged[key], value)
            else:
                merged.setdefault(key, value)
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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


declare(
    "schemas",
    (
        "request-type-changed",
        "breaking",
        "a request value's type changed",
        "Old clients send the old type, which the new schema refuses.",
    ),
    ("request-type-widened", "info", "a request value accepts more types", REQ_LOOSE),
    (
        "request-nullable-removed",
        "breaking",
        "a request value no longer accepts null",
        "Old clients sending null are refused.",
    ),
    (
        "response-type-changed",
        "breaking",
        "a response value's type changed",
        "Old clients parse the old type and fail on the new one.",
    ),
    ("response-type-narrowed", "info", "a response value has fewer possible types", RESP_TIGHT),
    (
        "response-nullable-added",
        "breaking",
        "a response value may now be null",
        "Old clients do not expect null and can crash on it.",
    ),
)


def compare_schemas(
    out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction, depth: int = 0
) -> None:
    """Every change from schema `old` to `new` for data flowing in direction `d`."""
    if old == new or depth > 40:  # identical subtrees are the common case: skip them fast
        return
    old, new = merge_all_of(old), merge_all_of(new)
    composed = ("oneOf", "anyOf")
    for kw in composed:
        # one plain schema against a composition: compare it as the single branch it is
        if kw in new and not any(k in old for k in composed):
            old = {kw: [old]}
        elif kw in old and not any(k in new for k in composed):
            new = {kw: [new]}
    old_t, new_t = schema_types(old), schema_types(new)
    if old_t != new_t:
        # request: every value old clients send must still be accepted;
        # response: every value the server may now send must have been promised
        kept = _covers(new_t, old_t) if d == "request" else _covers(old_t, new_t)
        types = f"type {'/'.join(sorted(old_t)) or 'any'} is now {'/'.join(sorted(new_t)) or 'any'}"
        if kept:
            rule = "request-type-widened" if d == "request" else "response-type-narrowed"
            out.emit(rule, (*loc, "type"), types)
        elif old_t - {"null"} == new_t - {"null"}:
            rule = "request-nullable-removed" if d == "request" else "response-nullable-added"
            out.emit(
                rule, (*loc, "nullable"), f"nullable {'null' in old_t} is now {'null' in new_t}"
            )
        else:
            out.emit(f"{d}-type-changed", (*loc, "type"), types)
            numeric = {"integer", "number"}
            if (
                old_t
                and new_t
                and not (old_t & new_t)
                and not (old_t & numeric and new_t & numeric)
            ):
                return  # nothing else about the old values is comparable
    compare_constraints(out, old, new, loc, d)
    _properties(out, old, new, loc, d, depth)
    _additional(out, old, new, loc, d, depth)
    if isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
        compare_schemas(out, old["items"], new["items"], (*loc, "items"), d, depth + 1)
    for kw in composed:
        if isinstance(old.get(kw), list) and isinstance(new.get(kw), list):
            _branches(out, kw, old[kw], new[kw], loc, d, depth)
    compare_applicators(out, old, new, loc, d, depth, compare_schemas)


declare(
    "schemas",
    (
        "request-required-property-added",
        "breaking",
        "a required request property was added",
        "Old clients do not send it, so their requests are refused.",
    ),
    (
        "request-property-added",
        "info",
        "an optional request property was added",
        "Old clients may omit it.",
    ),
    (
        "request-property-became-required",
        "breaking",
        "a request property became required",
        "Old clients that omit it are refused.",
    ),
    ("request-property-became-optional", "info", "a request property became optional", REQ_LOOSE),
    (
        "request-property-removed",
        "warning",
        "a request property was removed",
        "Old clients still send it; the server ignores it, so what it controlled silently "
        "stops working.",
    ),
    (
        "request-closed-property-removed",
        "breaking",
        "a request property was removed from a closed object",
        "additionalProperties is false, so old clients still sending it are refused.",
    ),
    (
        "request-property-deprecated",
        "info",
        "a request property was deprecated",
        "It still works; clients should stop sending it.",
    ),
    (
        "response-required-property-removed",
        "breaking",
        "a required response property was removed",
        "Old clients read a field that is no longer sent.",
    ),
    (
        "response-optional-property-removed",
        "warning",
        "an optional response property was removed",
        "Old clients that use the field when present will never see it again.",
    ),
    (
        "response-property-became-optional",
        "breaking",
        "a response property is no longer required",
        "Old clients read it unconditionally and fail when it is missing.",
    ),
    (
        "response-property-became-required",
        "info",
        "a response property became required",
        RESP_TIGHT,
    ),
    (
        "response-property-added",
        "info",
        "a response property was added",
        "Old clients ignore fields they do not know.",
    ),
    (
        "response-property-deprecated",
        "info",
        "a response property was deprecated",
        "It is still sent; plan to stop reading it.",
    ),
)


def _properties(
    out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction, depth: int
) -> None:
    old_p = dict(old.get("properties") or {})
    new_p = dict(new.get("properties") or {})
    if not old_p and not new_p and not old.get("required") and not new.get("required"):
        return
    # readOnly properties are never sent in requests, writeOnly never in responses
    hidden = "readOnly" if d == "request" else "writeOnly"

    def required(s: Schema, props: Mapping[str, Any]) -> set[str]:
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
        out.emit(rule, (*loc, "properties", name), f"property {name!r} was removed")
    for name in [*new_p, *(r for r in new_r if r not in new_p)]:
        ploc = (*loc, "properties", name)
        sub_new = new_p.get(name)
        if name not in old_p and name not in old_r:
            if isinstance(sub_new, Mapping) and sub_new.get(hidden):
                continue
            if d == "response":
                out.emit("response-property-added", ploc, f"property {name!r} was added")
            elif name in new_r:
                out.emit(
                    "request-required-property-added", ploc, f"required property {name!r} was added"
                )
            else:
                out.emit("request-property-added", ploc, f"optional property {name!r} was added")
            continue
        if name in new_r and name not in old_r:
            out.emit(f"{d}-property-became-required", ploc, f"property {name!r} became required")
        elif name in old_r and name not in new_r:
            out.emit(
                f"{d}-property-became-optional", ploc, f"property {name!r} is no longer required"
            )
        sub_old = old_p.get(name)
        if isinstance(sub_old, Mapping) and isinstance(sub_new, Mapping):
            if sub_new.get("deprecated") and not sub_old.get("deprecated"):
                out.emit(f"{d}-property-deprecated", ploc, f"property {name!r} is deprecated")
            if not (sub_old.get(hidden) or sub_new.get(hidden)):
                # a readOnly value is never sent by clients, a writeOnly one never sent
                # to them: its constraints cannot refuse an old request or surprise an
                # old reader
                compare_schemas(out, sub_old, sub_new, ploc, d, depth + 1)


declare(
    "schemas",
    (
        "request-additional-properties-closed",
        "breaking",
        "a request object no longer accepts undeclared properties",
        "Old clients sending extra fields are refused.",
    ),
    (
        "request-additional-properties-opened",
        "info",
        "a request object accepts undeclared properties",
        REQ_LOOSE,
    ),
    (
        "response-additional-properties-opened",
        "warning",
        "a response object may now carry undeclared properties",
        "Strict clients (generated with closed objects) may refuse the extra fields.",
    ),
    (
        "response-additional-properties-closed",
        "info",
        "a response object no longer carries undeclared properties",
        RESP_TIGHT,
    ),
)


def _additional(
    out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction, depth: int
) -> None:
    b, a = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if b == a:
        return
    where = (*loc, "additionalProperties")
    if a is False and b is not False:
        out.emit(
            f"{d}-additional-properties-closed",
            where,
            "undeclared properties are no longer allowed",
        )
    elif b is False and a is not False:
        out.emit(
            f"{d}-additional-properties-opened", where, "undeclared properties are now allowed"
        )
    else:
        compare_schemas(
            out,
            b if isinstance(b, Mapping) else {},
            a if isinstance(a, Mapping) else {},
            where,
            d,
            depth + 1,
        )


_SPLIT_WHY = "Every value it allows was already possible; old clients read it as before."
declare(
    "schemas",
    *(
        rule
        for kw, kebab in (("oneOf", "one-of"), ("anyOf", "any-of"))
        for rule in (
            (
                f"request-{kebab}-branch-removed",
                "breaking",
                f"a request {kw} branch was removed",
                "Old clients sending that shape are refused.",
            ),
            (
                f"request-{kebab}-branch-added",
                "info",
                f"a request {kw} branch was added",
                "Old clients send the old shapes.",
            ),
            (
                f"response-{kebab}-branch-added",
                "breaking",
                f"a response {kw} branch was added",
                "The server may send a shape old clients cannot read.",
            ),
            (
                f"response-{kebab}-branch-removed",
                "info",
                f"a response {kw} branch was removed",
                RESP_TIGHT,
            ),
            (
                f"response-{kebab}-branch-split",
                "info",
                f"a response {kw} branch was added inside what an old branch allowed",
                _SPLIT_WHY,
            ),
        )
    ),
)


def _branches(
    out: ChangeList,
    kw: str,
    old: list[Any],
    new: list[Any],
    loc: Loc,
    d: Direction,
    depth: int,
) -> None:
    kebab = "one-of" if kw == "oneOf" else "any-of"
    old_b = [(i, s) for i, s in enumerate(old) if isinstance(s, Mapping)]
    new_b = [(i, s) for i, s in enumerate(new) if isinstance(s, Mapping)]
    new_shapes = [_shape(s) for _, s in new_b]
    unmatched_new = list(range(len(new_b)))
    unmatched_old: list[tuple[int, Schema]] = []
    for i, s in old_b:
        shape = _shape(s)
        hit = next((j for j in unmatched_new if new_shapes[j] == shape), None)
        if hit is None:
            unmatched_old.append((i, s))
        else:
            unmatched_new.remove(hit)
    gone: list[tuple[int, Schema]] = []
    for i, s in unmatched_old:
        # the same kind of branch, changed inside: compare it rather than call it replaced
        hit = next((j for j in unmatched_new if schema_types(new_b[j][1]) == schema_types(s)), None)
        if hit is None:
            gone.append((i, s))
            continue
        unmatched_new.remove(hit)
        j, after = new_b[hit]
        compare_schemas(out, s, after, (*loc, kw, str(j)), d, depth + 1)
    for i, s in gone:
        if d == "request" and any(admits(s, after, d) for _, after in new_b):
            continue  # a remaining branch still accepts everything it accepted
        out.emit(
            f"{d}-{kebab}-branch-removed",
            (*loc, kw, str(i)),
            f"{kw} branch {i} ({'/'.join(sorted(schema_types(s))) or 'any'}) was removed",
        )
    for j in unmatched_new:
        i, s = new_b[j]
        if d == "response" and any(admits(before, s, d) for _, before in old_b):
            # an old branch already allowed every value of this one: e.g. a specific
            # object split out of an open `type: object` branch
            out.emit(
                f"response-{kebab}-branch-split",
                (*loc, kw, str(i)),
                f"{kw} branch {i} was added; an old branch already allowed its values",
            )
            continue
        out.emit(
            f"{d}-{kebab}-branch-added",
            (*loc, kw, str(i)),
            f"{kw} branch {i} ({'/'.join(sorted(schema_types(s))) or 'any'}) was added",
        )


def admits(old: Schema, new: Schema, direction: Direction) -> bool:
    """Is changing schema `old` into `new` harmless in `direction` (no breaking change)?"""
    probe = ChangeList()
    compare_schemas(probe, old, new, (), direction)
    return not any(c.level == "breaking" for c in probe.changes)
