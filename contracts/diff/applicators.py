"""The JSON Schema 2020-12 keywords OpenAPI 3.1 documents use, compared with direction.

One rule family per keyword family, each with the four
`{request,response}-<family>-{tightened,loosened}` rules: a keyword added (or made
stricter) tightens what a schema accepts, which refuses old requests; removed (or
relaxed), it loosens it, which sends old clients values they never expected. Sub-schemas
(`contains`, `then`, `dependentSchemas`, `patternProperties`, ...) are compared
recursively, so a change inside one is reported by the rule for that change.

oasdiff names these `<request|response>-<body|property>-<keyword>-<added|removed>` and
classifies them the same way (added in a request: ERR; removed in a response: ERR), with
one exception: it reads an added `prefixItems` entry in a request as harmless; here it
tightens (a position `items` left open is now constrained).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .rules import ChangeList, Direction, declare, directional

__all__ = ["compare_applicators"]

Schema = Mapping[str, Any]
Loc = tuple[str, ...]
Recurse = Callable[[ChangeList, Schema, Schema, Loc, Direction, int], None]

_FAMILIES = {
    "prefix-items": "prefixItems",
    "if-then-else": "if/then/else",
    "contains": "contains/minContains/maxContains",
    "dependent-required": "dependentRequired",
    "dependent-schemas": "dependentSchemas",
    "pattern-properties": "patternProperties",
    "property-names": "propertyNames",
    "unevaluated": "unevaluatedItems/unevaluatedProperties",
    "content-schema": "contentSchema/contentMediaType/contentEncoding",
}
for _name, _keyword in _FAMILIES.items():
    directional("applicators", _name, _keyword, "added or tightened", "removed or loosened")
declare(
    "applicators",
    *(
        (
            f"{d}-if-then-else-changed",
            "warning",
            f"a {d} `if` condition changed",
            "Which values `then` and `else` apply to changed; whether every old value still "
            "passes cannot be proven.",
        )
        for d in ("request", "response")
    ),
    *(
        (
            f"{d}-content-encoding-changed",
            "breaking",
            f"a {d} string's contentMediaType or contentEncoding changed",
            "Old clients encode or decode the string's content the old way.",
        )
        for d in ("request", "response")
    ),
)


def compare_applicators(
    out: ChangeList,
    old: Schema,
    new: Schema,
    loc: Loc,
    d: Direction,
    depth: int,
    recurse: Recurse,
) -> None:
    """Every 2020-12 keyword of `old` against `new`; `recurse` compares sub-schemas."""

    def sub(name: str, b: Any, a: Any, where: Loc, what: str) -> None:
        """One optional sub-schema: added tightens, removed loosens, both are compared."""
        if b == a:
            return
        if isinstance(b, Mapping) and isinstance(a, Mapping):
            recurse(out, b, a, where, d, depth + 1)
        elif isinstance(b, Mapping | bool) and isinstance(a, Mapping | bool):
            # false accepts nothing, a schema some values, true everything
            tighter = _openness(a) < _openness(b)
            out.tightness(name, where, d, tighter, f"{what} is now {_brief(a)}")
        elif b is None:
            out.tightness(name, where, d, True, f"{what} was added")
        elif a is None:
            out.tightness(name, where, d, False, f"{what} was removed")

    _prefix_items(out, old, new, loc, d, depth, recurse)
    if old.get("if") != new.get("if") and "if" in old and "if" in new:
        out.emit(f"{d}-if-then-else-changed", (*loc, "if"), "the `if` condition changed")
    for kw in ("then", "else"):
        sub("if-then-else", old.get(kw), new.get(kw), (*loc, kw), kw)
    sub("contains", old.get("contains"), new.get("contains"), (*loc, "contains"), "contains")
    _contains_counts(out, old, new, loc, d)
    _dependent_required(out, old, new, loc, d)
    for kw, name in (
        ("dependentSchemas", "dependent-schemas"),
        ("patternProperties", "pattern-properties"),
    ):
        b, a = old.get(kw), new.get(kw)
        if isinstance(b, Mapping) or isinstance(a, Mapping):
            b, a = b if isinstance(b, Mapping) else {}, a if isinstance(a, Mapping) else {}
            for key in [*b, *(k for k in a if k not in b)]:
                sub(name, b.get(key), a.get(key), (*loc, kw, str(key)), f"{kw} {key!r}")
    sub(
        "property-names",
        old.get("propertyNames"),
        new.get("propertyNames"),
        (*loc, "propertyNames"),
        "propertyNames",
    )
    for kw in ("unevaluatedItems", "unevaluatedProperties"):
        sub("unevaluated", old.get(kw), new.get(kw), (*loc, kw), kw)
    sub(
        "content-schema",
        old.get("contentSchema"),
        new.get("contentSchema"),
        (*loc, "contentSchema"),
        "contentSchema",
    )
    for kw in ("contentMediaType", "contentEncoding"):
        b, a = old.get(kw), new.get(kw)
        if b == a:
            continue
        if b is not None and a is not None:
            out.emit(f"{d}-content-encoding-changed", (*loc, kw), f"{kw} {b!r} is now {a!r}")
        else:
            tighter = b is None
            out.tightness("content-schema", (*loc, kw), d, tighter, f"{kw} {b!r} is now {a!r}")


def _openness(schema: Mapping[str, Any] | bool) -> int:
    return 1 if isinstance(schema, Mapping) else 2 if schema else 0


def _brief(schema: Any) -> str:
    return str(schema).lower() if isinstance(schema, bool) else "a schema"


def _prefix_items(
    out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction, depth: int, recurse: Recurse
) -> None:
    b, a = old.get("prefixItems"), new.get("prefixItems")
    if b == a or not (isinstance(b, list) or isinstance(a, list)):
        return
    b, a = b if isinstance(b, list) else [], a if isinstance(a, list) else []
    for i in range(max(len(b), len(a))):
        where = (*loc, "prefixItems", str(i))
        before, after = (b[i] if i < len(b) else None), (a[i] if i < len(a) else None)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            recurse(out, before, after, where, d, depth + 1)
        elif after is not None and before is None and after not in ({}, True):
            out.tightness("prefix-items", where, d, True, f"prefixItems entry {i} was added")
        elif before is not None and after is None and before not in ({}, True):
            out.tightness("prefix-items", where, d, False, f"prefixItems entry {i} was removed")


def _contains_counts(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    if "contains" not in old and "contains" not in new:
        return
    b, a = old.get("minContains", 1), new.get("minContains", 1)
    if b != a and isinstance(b, int) and isinstance(a, int):
        out.tightness("contains", (*loc, "minContains"), d, a > b, f"minContains {b} is now {a}")
    b, a = old.get("maxContains"), new.get("maxContains")
    if b != a and isinstance(b, int | None) and isinstance(a, int | None):
        tighter = b is None or (a is not None and a < b)
        out.tightness("contains", (*loc, "maxContains"), d, tighter, f"maxContains {b} is now {a}")


def _names(value: Any) -> set[str]:
    return {str(name) for name in value} if isinstance(value, list) else set()


def _dependent_required(out: ChangeList, old: Schema, new: Schema, loc: Loc, d: Direction) -> None:
    b, a = old.get("dependentRequired"), new.get("dependentRequired")
    if b == a or not (isinstance(b, Mapping) or isinstance(a, Mapping)):
        return
    b, a = b if isinstance(b, Mapping) else {}, a if isinstance(a, Mapping) else {}
    for key in [*b, *(k for k in a if k not in b)]:
        before, after = _names(b.get(key)), _names(a.get(key))
        where = (*loc, "dependentRequired", str(key))
        if added := sorted(after - before):
            out.tightness(
                "dependent-required",
                where,
                d,
                True,
                f"with {key!r} present, {', '.join(map(repr, added))} now required",
            )
        if dropped := sorted(before - after):
            out.tightness(
                "dependent-required",
                where,
                d,
                False,
                f"with {key!r} present, {', '.join(map(repr, dropped))} no longer required",
            )
