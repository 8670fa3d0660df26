"""Render: turn a `Choice` into the body a real server would send.

Documented examples are templates. The scenarios' `render` section names, per response
example, the fields a real server fills in, as `dotted.path: template`:

    {uuid} {ulid} {hex:N} {alnum:N} {now} {now:STRFTIME}   fresh values
    {path.NAME} {query.NAME} {body.a.b}                    echoes of the request

A template that is exactly one placeholder keeps the echoed value's JSON type; a list
gives alternatives, the first that resolves wins (`["{body.runId}", "run_{alnum:12}"]`).
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import string
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Skeleton",
    "Unresolved",
    "error_body",
    "event_stream",
    "json_bytes",
    "render_example",
    "resolve_template",
    "set_path",
]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:[.:]([^{}]*))?\}")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_MISSING = object()


class Unresolved(Exception):
    """A template echoes a request value that is absent."""


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): what deepcopy does, 5x faster."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def _uuid4(rng: random.Random) -> str:
    """What str(uuid.UUID(int=bits, version=4)) gives, without building the object."""
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xC000 << 48) | 0x8000 << 48) & ~(0xF000 << 64) | 4 << 76
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ulid(rng: random.Random) -> str:
    millis = int(time.time() * 1000)
    value = (millis << 80) | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _lookup(data: Any, dotted: str) -> Any:
    # Request data here is parsed JSON: plain dicts and lists (an ABC isinstance check on
    # Mapping costs more than the whole lookup).
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


Getter = Callable[[Mapping[str, Any], random.Random], Any]


def _getter(name: str, arg: str | None) -> Getter:
    """One placeholder, compiled: a function of the request and the random source."""
    if name == "uuid":
        return lambda _request, rng: _uuid4(rng)
    if name == "ulid":
        return lambda _request, rng: _ulid(rng)
    if name in {"hex", "alnum"}:
        alphabet = "0123456789abcdef" if name == "hex" else string.ascii_lowercase + string.digits
        length = int(arg or (32 if name == "hex" else 12))
        return lambda _request, rng: "".join(rng.choice(alphabet) for _ in range(length))
    if name == "now":
        if arg:
            return lambda _request, _rng: datetime.now(UTC).strftime(arg)
        return lambda _request, _rng: datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if name in {"path", "query", "body", "headers"} and arg is not None:

        def echo(request: Mapping[str, Any], _rng: random.Random) -> Any:
            found = _lookup(request.get(name), arg)
            if found is _MISSING or found is None:
                raise Unresolved(f"{name}.{arg}")
            return found

        return echo
    raise ValueError(f"unknown placeholder {{{name}}}")


@functools.lru_cache(maxsize=1024)
def _compiled(template: str) -> Getter:
    """A template compiled once: literals and placeholders joined, or, for a template that
    is exactly one placeholder, that placeholder's value with its JSON type."""
    parts: list[str | Getter] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            parts.append(template[position : match.start()])
        parts.append(_getter(match.group(1), match.group(2)))
        position = match.end()
    if position < len(template) or not parts:
        parts.append(template[position:])
    if len(parts) == 1 and callable(parts[0]):
        return parts[0]
    pieces = tuple(parts)

    def joined(request: Mapping[str, Any], rng: random.Random) -> str:
        return "".join([p if isinstance(p, str) else str(p(request, rng)) for p in pieces])

    return joined


def resolve_template(template: Any, request: Mapping[str, Any], rng: random.Random) -> Any:
    """Resolve one render template (a string, a list of alternatives, or a literal)."""
    if isinstance(template, str):
        return _compiled(template)(request, rng)
    if isinstance(template, list):
        for alternative in template:
            try:
                return resolve_template(alternative, request, rng)
            except Unresolved:
                continue
        raise Unresolved(str(template))
    return copy_json(template)


def event_stream(events: Iterable[tuple[str | None, Any]]) -> bytes:
    """Server-sent events, each `(name, data)`: the name (if any), the data as JSON."""
    return "".join(
        (f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n"
        for name, data in events
    ).encode()


def set_path(data: Any, dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts (only where the example has the parent objects)."""
    *parents, leaf = dotted.split(".")
    for part in parents:
        if not isinstance(data, dict) or part not in data:
            return
        data = data[part]
    if isinstance(data, dict):
        data[leaf] = value


def render_example(
    value: Any,
    templates: Mapping[str, Any] | None,
    request: Mapping[str, Any],
    rng: random.Random,
) -> Any:
    """A fresh copy of a documented example with its server-filled fields filled in."""
    if not templates:
        return value
    out = copy_json(value)
    for dotted, template in templates.items():
        try:
            set_path(out, dotted, resolve_template(template, request, rng))
        except Unresolved:
            continue
    return out


def json_bytes(value: Any) -> bytes:
    """JSON as the mock sends it: compact, UTF-8. A string with a lone surrogate (which
    UTF-8 cannot encode: a document's own example may hold one) is sent escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


class Skeleton:
    """A documented example serialized once, with a hole where each template goes.
    Rendering serializes only the templates' values into the holes: no copy of the
    example, no serialization of the rest. The bytes are those of
    `json_bytes(render_example(value, templates, ...))`, random draws in the same order."""

    def __init__(self, segments: list[bytes], slots: list[tuple[Any, bytes]], order: list[int]):
        self.segments = segments  # the serialized example cut at its holes
        self.slots = slots  # per template, in the templates' order: (template, original)
        self.order = order  # which slot fills each hole, in text order

    @classmethod
    def build(cls, value: Any, templates: Mapping[str, Any]) -> Skeleton | None:
        """None where the holes cannot be cut: a template for a field the example lacks
        (rendering adds it), or for a field inside another templated one."""
        paths = list(templates)
        if not isinstance(value, dict) or any(
            other.startswith(dotted + ".") for dotted in paths for other in paths
        ):
            return None
        out = copy_json(value)
        markers: list[bytes] = []
        slots: list[tuple[Any, bytes]] = []
        for i, dotted in enumerate(paths):
            *parents, leaf = dotted.split(".")
            node: Any = out
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict) or leaf not in node:
                return None
            placeholder = f"\x00{i}\x00"  # JSON escapes it as \u0000: no example has it
            markers.append(json_bytes(placeholder))
            slots.append((templates[dotted], json_bytes(node[leaf])))
            node[leaf] = placeholder
        text = json_bytes(out)
        if any(text.count(marker) != 1 for marker in markers):
            return None
        order = sorted(range(len(markers)), key=lambda i: text.index(markers[i]))
        segments, position = [], 0
        for i in order:
            at = text.index(markers[i])
            segments.append(text[position:at])
            position = at + len(markers[i])
        segments.append(text[position:])
        return cls(segments, slots, order)

    def render(self, request: Mapping[str, Any], rng: random.Random) -> bytes:
        values = []
        for template, original in self.slots:
            try:
                values.append(json_bytes(resolve_template(template, request, rng)))
            except Unresolved:
                values.append(original)
        segments = self.segments
        parts = [segments[0]]
        for n, i in enumerate(self.order, start=1):
            parts.append(values[i])
            parts.append(segments[n])
        return b"".join(parts)


MESSAGE_FIELDS = ("message", "error", "detail", "title", "description")
"""Where an error keeps its human message, in order of preference."""


def _message_path(example: Any, prefix: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where an error example keeps its human message: the first string field named in
    `MESSAGE_FIELDS`, at its top level or nested (pharen's `{"error": {"message"}}`)."""
    if isinstance(example, dict):
        for key in MESSAGE_FIELDS:
            if isinstance(example.get(key), str):
                return (*prefix, key)
        for key, sub in example.items():
            found = _message_path(sub, (*prefix, str(key)))
            if found:
                return found
    return None


def error_body(example: Any, status: int, message: str, details: Mapping[str, Any] | None) -> Any:
    """An error in the API's documented shape (taken from one of its error examples)."""
    out = copy_json(example)
    path = _message_path(out)
    if path is None:
        return out
    set_path(out, ".".join(path), message)
    if isinstance(out, dict) and isinstance(out.get("code"), int):
        out["code"] = status
    parent: Any = out
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and isinstance(parent.get("details"), dict):
        parent["details"] = dict(details or {})
    return out


def seeded_rng(seed: int | None) -> random.Random:
    return random.Random(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))
