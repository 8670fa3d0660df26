"""Parameter serialization (OpenAPI `style`/`explode`): a value as a URL carries it, back
to the typed value its schema describes.

Path: `simple` (`a,b`; objects `k,v` or, exploded, `k=v`), `label` (`.a.b`, `.a,b`) and
`matrix` (`;id=5`, `;id=a,b`, exploded `;id=a;id=b`, objects `;k=v`). The router hands
each segment over as sent: it is split by its style first, then each piece is
percent-decoded, so an encoded delimiter (`%2C`) stays inside its item.

Query: `form` (exploded: `?id=a&id=b`, an object's properties as their own keys),
`spaceDelimited`, `pipeDelimited`, `deepObject` (`?f[k]=v`).

Typing follows the schema (`integer`, `number`, `boolean`, through `items`, `properties`
and `additionalProperties`); a value that does not read as its type stays a string, so
validation refuses it naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

__all__ = [
    "QUERY_DELIMITERS",
    "StyleMismatch",
    "exploded_object",
    "path_value",
    "query_value",
    "typed",
]

QUERY_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}
# RFC 6570 expands a boolean as `true`/`false`; `1`/`0` are integers (as Connexion reads them).
_TRUE, _FALSE = frozenset({"true"}), frozenset({"false"})
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class StyleMismatch(ValueError):
    """A parameter value that does not follow its parameter's style (`5` for `;id=5`; a
    query parameter of one value given twice)."""


_SHAPES = {"label": ".{v}", "matrix": ";{name}={v}"}


def _mismatch(raw: str, param: Mapping[str, Any]) -> StyleMismatch:
    style = str(param.get("style", "simple"))
    shape = _SHAPES.get(style, "{v}").format(name=param.get("name", ""), v="...")
    return StyleMismatch(f"{unquote(raw)!r} is not in {style} style ({shape})")


def _schema(param: Mapping[str, Any]) -> Mapping[str, Any]:
    schema = param.get("schema")
    return schema if isinstance(schema, Mapping) else {}


def _kind(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):  # 3.1 type arrays: the first non-null type
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None


def _pairs(items: list[str], exploded: bool) -> dict[str, str] | None:
    """`k=v` items (exploded) or alternating `k, v` items as an object; None if malformed."""
    if exploded:
        split = [item.partition("=") for item in items if item]
        if any(not sep for _, sep, _ in split):
            return None
        return {k: v for k, _, v in split}
    if len(items) % 2:
        return None
    return dict(zip(items[0::2], items[1::2], strict=True))


def path_value(raw: str, param: Mapping[str, Any]) -> Any:
    """A path parameter's raw (still percent-encoded) segment value, read by its style:
    a string, a list or a dict of decoded strings. `StyleMismatch` when it does not
    follow the style."""
    style = param.get("style", "simple")
    explode = bool(param.get("explode", False))
    kind = _kind(_schema(param))
    name = str(param.get("name", ""))
    if style == "label":
        if not raw.startswith("."):
            raise _mismatch(raw, param)
        pieces = (
            raw[1:].split("." if explode else ",") if kind in ("array", "object") else [raw[1:]]
        )
    elif style == "matrix":
        if explode and kind in ("array", "object"):
            items = raw.split(";")
            if items[0]:
                raise _mismatch(raw, param)
            if kind == "object":
                pieces = items[1:]
            else:
                prefix = f"{name}="
                if not all(item.startswith(prefix) for item in items[1:]):
                    raise _mismatch(raw, param)
                pieces = [item[len(prefix) :] for item in items[1:]]
        else:
            prefix = f";{name}="
            if not raw.startswith(prefix):
                raise _mismatch(raw, param)
            rest = raw[len(prefix) :]
            pieces = rest.split(",") if kind in ("array", "object") else [rest]
    else:
        pieces = raw.split(",") if kind in ("array", "object") else [raw]
    if kind == "object":
        pairs = _pairs(pieces, explode)
        if pairs is None:
            raise _mismatch(raw, param)
        return {unquote(k): unquote(v) for k, v in pairs.items()}
    decoded = [unquote(piece) for piece in pieces]
    if kind == "array":
        return [] if decoded == [""] else decoded
    return decoded[0]


def query_value(values: list[Any], param: Mapping[str, Any]) -> Any:
    """A query parameter's values (one per occurrence, already decoded) read by its style."""
    style = param.get("style", "form")
    explode = bool(param.get("explode", style == "form"))
    kind = _kind(_schema(param))
    last = values[-1]
    if not isinstance(last, str):  # deepObject or an exploded object, gathered already
        return last
    delimiter = QUERY_DELIMITERS.get(style, ",")
    if kind == "array":
        if explode:
            return list(values)
        return last.split(delimiter) if last else []
    if kind == "object":
        return _pairs(last.split(delimiter), exploded=False) or last
    if len(values) > 1:
        if _untyped(_schema(param)):
            # any value is allowed, an array too: repeated, as `form` sends an array
            return list(values)
        # one value, given more than once: no reading picks one for the client
        raise StyleMismatch(f"given {len(values)} times; it takes one value")
    return last


def _untyped(schema: Mapping[str, Any]) -> bool:
    """A schema that names no type (nor properties): an array is one of the values it allows."""
    return "type" not in schema and "properties" not in schema


def exploded_object(
    query: Mapping[str, list[Any]], param: Mapping[str, Any], taken: set[str]
) -> dict[str, Any] | None:
    """An exploded `form` object parameter gathered from the query keys that are its
    properties (`?role=admin&name=Alex`), none of them a documented parameter itself (nor,
    for a free-form object, one of the mock's own `__code`-style preferences)."""
    schema = _schema(param)
    declared = schema.get("properties") or {}
    free = schema.get("additionalProperties") not in (None, False)
    found = {
        key: values[-1]
        for key, values in query.items()
        if key not in taken and (key in declared or (free and not key.startswith("__")))
    }
    return found or None


def typed(value: Any, schema: Mapping[str, Any]) -> Any:
    """`value` with its strings read as the types the schema gives them."""
    kind = _kind(schema)
    if isinstance(value, list):
        items = schema.get("items")
        return [typed(v, items if isinstance(items, Mapping) else {}) for v in value]
    if isinstance(value, dict):
        declared = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        return {
            k: typed(v, declared.get(k, extra if isinstance(extra, Mapping) else {}))
            for k, v in value.items()
        }
    if not isinstance(value, str):
        return value
    if schema.get("nullable") and value == "null" and None in schema.get("enum", [None]):
        # OpenAPI 3.0.3: `nullable` adds null to the type, not to an `enum` without it
        return None
    if kind == "integer" and _INTEGER.fullmatch(value):
        return int(value)
    if kind == "number" and _NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() and _INTEGER.fullmatch(value) else number
    if kind == "boolean":
        lowered = value.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
    return value
