"""Value constraints of a schema: format, enum/const, bounds, multipleOf, uniqueItems,
pattern, default. Each is compared with the direction of the data in mind: tightening a
request constraint refuses old requests, loosening a response constraint sends old
clients values they never expected."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .rules import (
    REQ_LOOSE,
    RESP_TIGHT,
    ChangeList,
    Direction,
    declare,
    directional,
)

__all__ = ["compare_constraints"]

Schema = Mapping[str, Any]
Loc = tuple[str, ...]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def shown(value: Any) -> str:
    return json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


def compare_constraints(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    """Every value constraint of `old` against `new`, in direction `d`."""
    _format(out, old, new, loc, d)
    _enum(out, old, new, loc, d)
    _extensible_enum(out, old, new, loc, d)
    _bounds(out, old, new, loc, d)
    _pattern(out, old, new, loc, d)
    _default(out, old, new, loc, d)


declare(
    "constraints",
    (
        "request-format-changed",
        "breaking",
        "a request value's format changed or was added",
        "Values old clients send in the old format may be refused.",
    ),
    ("request-format-removed", "info", "a request value's format was removed", REQ_LOOSE),
    (
        "response-format-changed",
        "breaking",
        "a response value's format changed or was removed",
        "Old clients parse the old format (a date, a uuid) and fail on the new values.",
    ),
    ("response-format-added", "info", "a response value's format was added", RESP_TIGHT),
)


def _format(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    b, a = old.get("format"), new.get("format")
    if b == a:
        return
    where = (*loc, "format")
    if b and a:
        out.emit(f"{d}-format-changed", where, f"format {b!r} is now {a!r}")
    elif a:  # format added: tighter
        if d == "request":
            out.emit("request-format-changed", where, f"format {a!r} was added")
        else:
            out.emit("response-format-added", where, f"format {a!r} was added")
    elif d == "request":
        out.emit("request-format-removed", where, f"format {b!r} was removed")
    else:
        out.emit("response-format-changed", where, f"format {b!r} was removed")


declare(
    "constraints",
    (
        "request-enum-value-removed",
        "breaking",
        "a request enum value was removed",
        "Old clients sending that value are refused.",
    ),
    ("request-enum-value-added", "info", "a request enum value was added", REQ_LOOSE),
    (
        "response-enum-value-added",
        "breaking",
        "a response enum value was added",
        "Old clients meet a value they were told could not occur (e.g. an exhaustive switch).",
    ),
    ("response-enum-value-removed", "info", "a response enum value was removed", RESP_TIGHT),
)


def _enum(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    def values(s: Schema) -> list[Any] | None:
        if isinstance(s.get("enum"), list):
            return list(s["enum"])
        return [s["const"]] if "const" in s else None

    b, a = values(old), values(new)
    if b == a:
        return
    where = (*loc, "enum")
    if b is not None and a is not None:
        old_keys, new_keys = {canonical(x) for x in b}, {canonical(x) for x in a}
        for v in (v for v in b if canonical(v) not in new_keys):
            out.emit(f"{d}-enum-value-removed", where, f"enum value {shown(v)} was removed")
        for v in (v for v in a if canonical(v) not in old_keys):
            out.emit(f"{d}-enum-value-added", where, f"enum value {shown(v)} was added")
    elif a is not None:  # an enum where any value went before
        out.emit(
            f"{d}-enum-value-removed",
            where,
            f"values are now limited to {', '.join(map(shown, a))}",
        )
    elif b is not None:
        if d == "request":
            out.emit(
                "request-enum-value-added", where, "the enum was removed: any value is accepted"
            )
        else:
            out.emit(
                "response-enum-value-added",
                where,
                f"the enum ({', '.join(map(shown, b))}) was removed: any value may be sent",
            )


declare(
    "constraints",
    (
        "request-extensible-enum-value-removed",
        "breaking",
        "a request x-extensible-enum value was removed",
        "Old clients sending that value are refused.",
    ),
    (
        "request-extensible-enum-value-added",
        "info",
        "a request x-extensible-enum value was added",
        REQ_LOOSE,
    ),
    (
        "response-extensible-enum-value-added",
        "info",
        "a response x-extensible-enum value was added",
        "x-extensible-enum tells clients to expect values they do not know yet.",
    ),
    (
        "response-extensible-enum-value-removed",
        "info",
        "a response x-extensible-enum value was removed",
        RESP_TIGHT,
    ),
)


def _extensible_enum(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    """`x-extensible-enum` (Zalando's guidelines): the values a server knows today. A
    request value it no longer lists is refused, like an enum's."""
    b, a = old.get("x-extensible-enum"), new.get("x-extensible-enum")
    if b == a or not isinstance(b, list) or not isinstance(a, list):
        return
    where = (*loc, "x-extensible-enum")
    old_keys, new_keys = {canonical(x) for x in b}, {canonical(x) for x in a}
    for v in (v for v in b if canonical(v) not in new_keys):
        out.emit(
            f"{d}-extensible-enum-value-removed",
            where,
            f"x-extensible-enum value {shown(v)} was removed",
        )
    for v in (v for v in a if canonical(v) not in old_keys):
        out.emit(
            f"{d}-extensible-enum-value-added",
            where,
            f"x-extensible-enum value {shown(v)} was added",
        )


# Bounds: the keyword, whether it bounds from above, its kebab name for the rule ids.
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
for _keyword, _name in _CONSTRAINT_NAMES.items():
    directional("constraints", _name, _keyword, "tightened (or added)", "loosened (or removed)")


def upper_bound(schema: Schema) -> tuple[float, bool] | None:
    """The effective upper bound of a number as (value, exclusive), in 3.0 or 3.1 style."""
    bounds: list[tuple[float, bool]] = []
    if isinstance(schema.get("maximum"), int | float) and not isinstance(schema["maximum"], bool):
        bounds.append((schema["maximum"], schema.get("exclusiveMaximum") is True))
    ex = schema.get("exclusiveMaximum")
    if isinstance(ex, int | float) and not isinstance(ex, bool):
        bounds.append((ex, True))
    return min(bounds, key=lambda b: (b[0], not b[1])) if bounds else None


def lower_bound(schema: Schema) -> tuple[float, bool] | None:
    bounds: list[tuple[float, bool]] = []
    if isinstance(schema.get("minimum"), int | float) and not isinstance(schema["minimum"], bool):
        bounds.append((schema["minimum"], schema.get("exclusiveMinimum") is True))
    ex = schema.get("exclusiveMinimum")
    if isinstance(ex, int | float) and not isinstance(ex, bool):
        bounds.append((ex, True))
    return max(bounds, key=lambda b: (b[0], b[1])) if bounds else None


def _bounds(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
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
        out.tightness(_CONSTRAINT_NAMES[kw], (*loc, kw), d, tighter, f"{kw} {b} is now {a}")
    for kw, bound, upper in (("maximum", upper_bound, True), ("minimum", lower_bound, False)):
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

        out.tightness(kw, (*loc, kw), d, tighter, f"{kw} {show(ob)} is now {show(nb)}")
    b, a = old.get("multipleOf"), new.get("multipleOf")
    if b != a:
        if b is None:
            tighter = True
        elif a is None:
            tighter = False
        else:  # old values stay valid iff a divides b
            tighter = not math.isclose(b / a, round(b / a))
        out.tightness("multiple-of", (*loc, "multipleOf"), d, tighter, f"multipleOf {b} is now {a}")
    b, a = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
    if b != a:
        out.tightness("unique-items", (*loc, "uniqueItems"), d, a, f"uniqueItems {b} is now {a}")


declare(
    "constraints",
    (
        "request-pattern-added",
        "breaking",
        "a request value must now match a pattern",
        "Values old clients send may not match it and are refused.",
    ),
    (
        "request-pattern-changed",
        "warning",
        "a request value's pattern changed",
        "Whether every value the old pattern accepted still matches cannot be proven; "
        "some old requests may be refused.",
    ),
    ("request-pattern-removed", "info", "a request value's pattern was removed", REQ_LOOSE),
    (
        "response-pattern-removed",
        "breaking",
        "a response value's pattern was removed",
        "Old clients that rely on the pattern (parsing an id) may fail on new values.",
    ),
    (
        "response-pattern-changed",
        "warning",
        "a response value's pattern changed",
        "New values may not match the pattern old clients rely on.",
    ),
    ("response-pattern-added", "info", "a response value's pattern was added", RESP_TIGHT),
)


def _pattern(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    b, a = old.get("pattern"), new.get("pattern")
    if b == a:
        return
    where = (*loc, "pattern")
    if b and a:
        out.emit(f"{d}-pattern-changed", where, f"pattern `{b}` is now `{a}`")
    elif a:
        out.emit(f"{d}-pattern-added", where, f"pattern `{a}` was added")
    else:
        out.emit(f"{d}-pattern-removed", where, f"pattern `{b}` was removed")


declare(
    "constraints",
    (
        "request-default-changed",
        "warning",
        "a request default changed or was removed",
        "Old clients that omit the value silently get different behaviour.",
    ),
    (
        "request-default-added",
        "info",
        "a request default was added",
        "Documents what omitting the value already meant.",
    ),
    (
        "response-default-changed",
        "warning",
        "a response default changed",
        "Clients that fill in the documented default see a different value.",
    ),
)


def _default(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    if "default" not in old and "default" not in new:
        return
    b, a = old.get("default"), new.get("default")
    where = (*loc, "default")
    if "default" in old and "default" in new:
        if b != a:
            out.emit(f"{d}-default-changed", where, f"default {shown(b)} is now {shown(a)}")
    elif d == "request":
        if "default" in new:
            out.emit("request-default-added", where, f"default {shown(a)} was added")
        else:
            out.emit("request-default-changed", where, f"default {shown(b)} was removed")
