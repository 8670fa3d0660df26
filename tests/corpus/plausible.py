"""One plausible request for every operation of a document, built from the document alone.

Independent of the project's own request builder (`contracts.requests`): parameters and bodies
come from the document's examples, else from a small schema sampler; credentials are any
well-formed value for the operation's first security requirement. An example its own schema
refuses (real documents ship them: a 7-digit "uuid", a list where a string is specified) is
not plausible: a correct server refuses it, with a 4xx the document may not even describe,
so the sampler builds a value instead.
"""

from __future__ import annotations

import base64
import json
import re._parser as _regex_parser  # the stdlib's own regex parser (Python >= 3.11)
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

__all__ = ["Call", "calls", "resolve", "sample"]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_MAX_DEPTH = 6
_FORMAT_CHECKER = FormatChecker()


@dataclass(frozen=True)
class Call:
    """An operation of the document and the request that calls it."""

    method: str
    template: str  # the document's path, e.g. /pets/{petId}
    operation_id: str
    path: str  # template with its parameters filled in, percent-encoded
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.template}"


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node` with its local `$ref`s followed (chains too)."""
    for _ in range(32):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node
        ref: str = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    raise ValueError(f"$ref chain too long at {node!r}")


def calls(document: Mapping[str, Any]) -> Iterator[Call]:
    """One call per operation of `document`'s paths, in document order."""
    for template, raw_item in (document.get("paths") or {}).items():
        item = resolve(document, raw_item)
        for method in METHODS:
            if method in item:
                yield _call(document, template, item, method)


def _call(document: Mapping[str, Any], template: str, item: Any, method: str) -> Call:
    operation = resolve(document, item[method])
    parameters: dict[tuple[str, str], Any] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = resolve(document, raw)
        parameters[(parameter["name"], parameter["in"])] = parameter
    path = template
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for (name, where), parameter in parameters.items():
        if where != "path" and not parameter.get("required"):
            continue
        value = _parameter_value(document, parameter)
        if where == "path":
            path = path.replace("{" + name + "}", quote(_scalar(value), safe=""))
        elif where == "query":
            query.extend(_query_pairs(name, value, parameter))
        elif where == "header":
            if name.lower() not in {"accept", "content-type", "authorization"}:
                headers[name] = _scalar(value)
        elif where == "cookie":
            cookies[name] = _scalar(value)
    _present_credentials(document, operation, headers, query, cookies)
    content, content_type = _body(document, operation)
    return Call(
        method=method,
        template=template,
        operation_id=str(operation.get("operationId", f"{method} {template}")),
        path=path,
        query=query,
        headers=headers,
        cookies=cookies,
        content=content,
        content_type=content_type,
    )


_NO_EXAMPLE = object()


def _documented_example(document: Mapping[str, Any], node: Mapping[str, Any]) -> Any:
    """The `example`, else the first of the `examples` with a value, of a parameter or media."""
    if "example" in node:
        return node["example"]
    for example in (node.get("examples") or {}).values():
        example = resolve(document, example)
        if "value" in example:
            return example["value"]
    return _NO_EXAMPLE


def _fits(document: Mapping[str, Any], schema: Any, value: Any) -> bool:
    """Whether `schema` (JSON Schema 2020-12, formats checked) accepts `value`."""
    if not isinstance(schema, Mapping):
        return True
    full = {**schema, "components": document.get("components") or {}}
    try:
        return bool(Draft202012Validator(full, format_checker=_FORMAT_CHECKER).is_valid(value))
    except (SchemaError, Unresolvable):
        return True  # a schema jsonschema cannot read: the example is taken as it is


def _parameter_value(document: Mapping[str, Any], parameter: Mapping[str, Any]) -> Any:
    schema = parameter.get("schema")
    if schema is None:
        for media in (parameter.get("content") or {}).values():
            schema = media.get("schema")
            break
    value = _documented_example(document, parameter)
    if value is not _NO_EXAMPLE and _fits(document, schema, value):
        return value
    return sample(document, schema or {"type": "string"})


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_scalar(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{_scalar(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _query_pairs(name: str, value: Any, parameter: Mapping[str, Any]) -> list[tuple[str, str]]:
    style = parameter.get("style", "form")
    explode = parameter.get("explode", style == "form")
    if isinstance(value, list) and explode:
        return [(name, _scalar(v)) for v in value]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", _scalar(v)) for k, v in value.items()]
        if explode:
            return [(k, _scalar(v)) for k, v in value.items()]
    return [(name, _scalar(value))]


def _present_credentials(
    document: Mapping[str, Any],
    operation: Mapping[str, Any],
    headers: dict[str, str],
    query: list[tuple[str, str]],
    cookies: dict[str, str],
) -> None:
    """Fill in the first security requirement of the operation with well-formed values."""
    requirements = operation.get("security", document.get("security")) or []
    if not requirements:
        return
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for name in requirements[0]:
        scheme = resolve(document, schemes.get(name, {}))
        kind = scheme.get("type")
        if kind == "http":
            http = str(scheme.get("scheme", "")).lower()
            if http == "basic":
                token = base64.b64encode(b"corpus-user:corpus-password").decode()
                headers["Authorization"] = f"Basic {token}"
            elif http == "bearer":
                headers["Authorization"] = "Bearer corpus-token"
            else:
                headers["Authorization"] = f"{scheme['scheme']} corpus-token"
        elif kind == "apiKey":
            where, key = scheme.get("in"), scheme.get("name", name)
            if where == "header":
                headers[key] = "corpus-key"
            elif where == "query":
                query.append((key, "corpus-key"))
            elif where == "cookie":
                cookies[key] = "corpus-key"
        elif kind in {"oauth2", "openIdConnect"}:
            headers["Authorization"] = "Bearer corpus-token"


_PREFERRED_MEDIA = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
)


def _body(
    document: Mapping[str, Any], operation: Mapping[str, Any]
) -> tuple[bytes | None, str | None]:
    request_body = resolve(document, operation.get("requestBody") or {})
    content = request_body.get("content") or {}
    if not content:
        return None, None
    media_type = next((m for m in _PREFERRED_MEDIA if m in content), None)
    if media_type is None:
        media_type = next((m for m in content if m.endswith("+json")), next(iter(content)))
    media = resolve(document, content[media_type] or {})
    value = _media_value(document, media)
    return _encode(value, media_type, resolve(document, media.get("schema") or {}))


def _media_value(document: Mapping[str, Any], media: Mapping[str, Any]) -> Any:
    value = _documented_example(document, media)
    if value is not _NO_EXAMPLE and _fits(document, media.get("schema"), value):
        return value
    return sample(document, media.get("schema") or {})


def _encode(value: Any, media_type: str, schema: Mapping[str, Any]) -> tuple[bytes, str]:
    base = media_type.split(";")[0].strip().lower()
    if base == "application/json" or base.endswith("+json"):
        return json.dumps(value).encode(), media_type
    if base == "application/x-www-form-urlencoded":
        fields = value if isinstance(value, dict) else {"value": value}
        # OpenAPI's default for a form field is style form, explode true: an array is one
        # pair per item (Twilio's `MediaUrl=a&MediaUrl=b`)
        pairs = [
            (k, _form_value(item))
            for k, v in fields.items()
            for item in (v if isinstance(v, list) else [v])
        ]
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs).encode(), base
    if base == "multipart/form-data":
        boundary = "corpus-boundary"
        fields = value if isinstance(value, dict) else {"file": value}
        parts = []
        for k, v in fields.items():
            is_file = isinstance(v, bytes)
            disposition = f'form-data; name="{k}"' + ('; filename="corpus.bin"' if is_file else "")
            data = v if is_file else _form_value(v).encode()
            parts.append(
                f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"{base}; boundary={boundary}"
    if base.endswith("xml"):
        if isinstance(value, str):
            return value.encode(), media_type
        root = str((schema.get("xml") or {}).get("name") or "root")
        return _xml(root, value).encode(), media_type
    if isinstance(value, bytes):
        return value, media_type
    if isinstance(value, str):
        return value.encode(), media_type
    if base.startswith("text/"):
        return _scalar(value).encode(), media_type
    return b"\x89PNG\r\n\x1a\ncorpus", media_type


def _form_value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return _scalar(value)


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items())
    elif isinstance(value, list):
        inner = "".join(_xml(tag, v) for v in value)
        return inner
    else:
        inner = escape(_scalar(value))
    return f"<{tag}>{inner}</{tag}>"


def sample(document: Mapping[str, Any], schema: Any, depth: int = 0) -> Any:
    """A value valid against `schema` as far as a small sampler can tell: the schema's own
    example/default/const/enum first, else one built from its type and constraints."""
    schema = resolve(document, schema)
    if not isinstance(schema, Mapping):
        return "corpus"
    if "const" in schema:
        return schema["const"]
    own = [schema[key] for key in ("example", "default") if key in schema]
    if isinstance(schema.get("examples"), list):
        own += schema["examples"][:1]
    for value in own:
        if _fits(document, schema, value):
            return value
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = sample(document, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            elif not merged:
                return value
        extra = {k: v for k, v in schema.items() if k != "allOf"}
        if extra.get("properties"):
            merged.update(sample(document, extra, depth + 1))
        return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            options = [resolve(document, s) for s in schema[key]]
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return sample(document, chosen, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _sample_object(document, schema, depth)
    if kind == "array":
        if depth >= _MAX_DEPTH:
            return []
        count = max(1, int(schema.get("minItems", 1)))
        items = [sample(document, schema.get("items") or {}, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems") and count > 1:
            return items[:1]
        return items
    if kind == "integer":
        return int(_number(schema, 1))
    if kind == "number":
        return float(_number(schema, 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema)


def _sample_object(document: Mapping[str, Any], schema: Mapping[str, Any], depth: int) -> Any:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    value: dict[str, Any] = {}
    for name, sub in properties.items():
        resolved = resolve(document, sub)
        if isinstance(resolved, Mapping) and resolved.get("readOnly"):
            continue
        if name in required or depth < 2:
            value[name] = sample(document, sub, depth + 1)
    return value


def _number(schema: Mapping[str, Any], fallback: float) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(schema.get("exclusiveMinimum"), bool):
        low = schema.get("minimum")
    if isinstance(low, (int, float)) and not isinstance(low, bool):
        candidate = low + (1 if schema.get("exclusiveMinimum") is not None else 0)
        if isinstance(high, (int, float)) and candidate > high:
            candidate = low
        return candidate
    if isinstance(high, (int, float)) and not isinstance(high, bool) and high < fallback:
        return high - 1
    return fallback


_FORMATS = {
    "date-time": "2024-05-01T12:00:00Z",
    "date": "2024-05-01",
    "time": "12:00:00Z",
    "email": "corpus@example.com",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/corpus",
    "url": "https://example.com/corpus",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "Y29ycHVz",
    "password": "corpus-password",
}


def _string(schema: Mapping[str, Any]) -> Any:
    if schema.get("format") == "binary":
        return b"corpus"
    if isinstance(schema.get("pattern"), str):
        return _matching(schema["pattern"], int(schema.get("minLength", 0)))
    value = _FORMATS.get(str(schema.get("format")), "corpus")
    minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
    if len(value) < minimum:
        value = value + "x" * (minimum - len(value))
    if isinstance(maximum, int) and len(value) > maximum:
        value = value[: max(maximum, minimum)]
    return value


def _matching(pattern: str, min_length: int) -> str:
    """A short string matching `pattern`: the first alternative and the fewest repeats
    (at least one) of every part; padded with its last character to `min_length`."""
    text = _from_regex(_regex_parser.parse(pattern))
    return text + (text[-1:] or "x") * max(0, min_length - len(text))


def _from_regex(parsed: Any) -> str:
    out = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_from_class(arg))
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            low, _high, sub = arg
            out.append(_from_regex(sub) * max(low, 1))
        elif name == "SUBPATTERN":
            out.append(_from_regex(arg[-1]))
        elif name == "BRANCH":
            out.append(_from_regex(arg[1][0]))
        elif name == "CATEGORY":
            out.append(_CATEGORY.get(str(arg), "a"))
        elif name in {"ATOMIC_GROUP"}:
            out.append(_from_regex(arg))
    return "".join(out)


_CATEGORY = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}


def _from_class(items: Any) -> str:
    negated = any(str(op) == "NEGATE" for op, _ in items)
    if negated:
        excluded = {chr(a) for op, a in items if str(op) == "LITERAL"}
        return next(c for c in "aZ0_-" if c not in excluded)
    op, arg = items[0]
    if str(op) == "RANGE":
        return chr(arg[0])
    if str(op) == "LITERAL":
        return chr(arg)
    if str(op) == "CATEGORY":
        return _CATEGORY.get(str(arg), "a")
    return "a"
