"""Select: which documented response answers a request.

Precedence (first that applies wins):
1. the client's preference: `Prefer: code=400, example=ArchivedFlow` / `dynamic=true`
   (Prism-compatible) or the query parameters `__code`, `__example`, `__dynamic`;
2. the API's behaviour over its fixtures (`behave`), which names a documented example;
3. the documented request example the body equals, paired with its response example;
4. the first documented example of the success status;
5. data generated from the schema.
The result is a `Choice`, rendered into bytes by `render`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.catalog import Operation

from .errors import PreferenceUnsatisfiable

__all__ = [
    "Choice",
    "Preference",
    "accepts",
    "choose_preferred",
    "default_choice",
    "parse_preference",
]

PREFER_QUERY = ("__code", "__example", "__dynamic")


@dataclass(frozen=True)
class Preference:
    code: str | None = None
    example: str | None = None
    dynamic: bool = False

    def __bool__(self) -> bool:
        return bool(self.code or self.example or self.dynamic)


@dataclass(frozen=True)
class Choice:
    """The negotiated response, before rendering."""

    status: int
    media_type: str
    example: str | None  # documented example name; None means generate from the schema
    rule: str  # which rule chose it: prefer, behaviour:<why>, pair, default, generated
    values: Mapping[str, Any] | None = None  # fields the behaviour fixes (e.g. a message)


def parse_preference(prefer_header: str | None, query: Mapping[str, str]) -> Preference:
    """`Prefer: code=400, example=X, dynamic=true`, or the `__code`/`__example`/`__dynamic` query."""
    fields: dict[str, str] = {}
    for part in (prefer_header or "").split(","):
        for item in part.split(";"):
            key, _, value = item.strip().partition("=")
            if key.strip() and value:
                fields[key.strip().lower()] = value.strip().strip('"')
    for name in PREFER_QUERY:
        if name in query:
            fields[name[2:]] = query[name]
    return Preference(
        code=fields.get("code"),
        example=fields.get("example"),
        dynamic=fields.get("dynamic", "").lower() == "true",
    )


def accepts(accept: str | None, media_type: str) -> bool:
    """Whether an `Accept` header admits `media_type` (no header admits anything): an exact
    range, `type/*` or `*/*`, with a quality above zero."""
    if accept is None or not accept.strip():
        return True
    kind = media_type.split("/")[0]
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if quality > 0 and media_range.lower() in {media_type, f"{kind}/*", "*/*"}:
            return True
    return False


def _available(op: Operation) -> str:
    parts = []
    for status, response in op.responses.items():
        names = sorted({ex.name for _, ex in response.examples})
        parts.append(f"{status} ({', '.join(names)})" if names else status)
    return "; ".join(parts)


def _media_for(op: Operation, status: str, example: str | None) -> str:
    response = op.responses[status]
    if example:
        for media_type, ex in response.examples:
            if ex.name == example:
                return media_type
    if "application/json" in response.content:
        return "application/json"
    return next(iter(response.content), "application/json")


def choose_preferred(op: Operation, pref: Preference) -> Choice:
    """The response the client asked for, or `PreferenceUnsatisfiable` listing what exists."""
    status: str | None = pref.code
    if status is not None and status not in op.responses:
        raise PreferenceUnsatisfiable(
            f"{op.key} documents no {status} response; available: {_available(op)}"
        )
    if pref.example:
        candidates = [status] if status else list(op.responses)
        for candidate in candidates:
            if any(ex.name == pref.example for _, ex in op.responses[candidate].examples):
                return Choice(
                    status=int(candidate),
                    media_type=_media_for(op, candidate, pref.example),
                    example=None if pref.dynamic else pref.example,
                    rule="prefer",
                )
        where = f"the {status} response" if status else op.key
        raise PreferenceUnsatisfiable(
            f"{where} has no example {pref.example!r}; available: {_available(op)}"
        )
    if status is None:
        status = success_status(op)
    examples = [ex.name for _, ex in op.responses[status].examples]
    if pref.dynamic or not examples:
        if not op.responses[status].content and not pref.dynamic:
            return Choice(status=int(status), media_type="", example=None, rule="prefer")
        return Choice(
            status=int(status),
            media_type=_media_for(op, status, None),
            example=None,
            rule="prefer",
        )
    return Choice(
        status=int(status),
        media_type=_media_for(op, status, examples[0]),
        example=examples[0],
        rule="prefer",
    )


def success_status(op: Operation) -> str:
    """The lowest documented 2xx (or `default`, or the first status)."""
    successes = sorted(s for s in op.responses if s.startswith("2"))
    if successes:
        return successes[0]
    return "default" if "default" in op.responses else next(iter(op.responses))


def default_choice(op: Operation, example: str | None = None, rule: str = "default") -> Choice:
    """The success status answered with `example`, or its first example, or generated data."""
    status = success_status(op)
    if example is None:
        examples = [ex.name for media, ex in op.responses[status].examples if "json" in media]
        example = examples[0] if examples else None
    return Choice(
        status=int(status) if status.isdigit() else 200,
        media_type=_media_for(op, status, example),
        example=example,
        rule=rule if example else "generated",
    )
