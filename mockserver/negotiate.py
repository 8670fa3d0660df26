"""Select: which documented response answers a request.

Precedence (first that applies wins):
1. the client's preference: `Prefer: code=400, example=ArchivedFlow` / `dynamic=true`
   (Prism-compatible) or the query parameters `__code`, `__example`, `__dynamic`;
2. the API's behaviour over its fixtures (`behave`), which names a documented example;
3. the documented request example the body equals, paired with its response example;
4. the first documented example of the success status;
5. data generated from the schema.
Then the media type: among those the status documents, the one the client's `Accept`
prefers (`accept`); none acceptable is `NotAcceptable` (406, unless the status chosen is
already an error: an error is sent in its documented type). The result is a `Choice`,
rendered into bytes by `render`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from contracts.catalog import Operation

from .errors import PreferenceUnsatisfiable

__all__ = [
    "Choice",
    "NotAcceptable",
    "Preference",
    "accept",
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


def _available(op: Operation) -> str:
    parts = []
    for status, response in op.responses.items():
        names = sorted({ex.name for _, ex in response.examples})
        parts.append(f"{status} ({', '.join(names)})" if names else status)
    return "; ".join(parts) or "none"


def _media_for(op: Operation, status: str, example: str | None) -> str:
    response = op.responses[status]
    if example:
        for media_type, ex in response.examples:
            if ex.name == example:
                return media_type
    if "application/json" in response.content:
        return "application/json"
    return next(iter(response.content), "")  # no content documented: no body


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
        if not op.responses:
            return default_choice(op, rule="prefer")
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
    """The success status answered with `example`, or its first example, or generated data.
    An operation that documents no response (OpenAPI 3.1 allows it) succeeds with 204: the
    document promises no body."""
    if not op.responses:
        return Choice(status=204, media_type="", example=None, rule=rule)
    status = success_status(op)
    if example is None:
        documented = list(op.responses[status].examples)
        examples = [ex.name for media, ex in documented if "json" in media]
        examples += [ex.name for _, ex in documented]  # a text or XML response's own
        example = examples[0] if examples else None
    return Choice(
        status=int(status) if status.isdigit() else 200,
        media_type=_media_for(op, status, example),
        example=example,
        rule=rule if example else "generated",
    )


class NotAcceptable(Exception):
    """No documented media type of the response is acceptable to the client."""


def _ranges(header: str) -> list[tuple[str, str, float]]:
    """`Accept` as (type, subtype, q), the most specific first."""
    out = []
    for item in header.split(","):
        kind, *params = (p.strip() for p in item.split(";"))
        if "/" not in kind:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        main, _, sub = kind.lower().partition("/")
        out.append((main, sub, q))
    return sorted(out, key=lambda r: (r[0] == "*") + (r[1] == "*"))


def _quality(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    main, _, sub = media_type.split(";")[0].strip().lower().partition("/")
    for range_main, range_sub, q in ranges:  # the most specific range that matches decides
        main_matches = "*" in (range_main, main) or range_main == main
        if main_matches and ("*" in (range_sub, sub) or range_sub == sub):
            return q
    return 0.0


def accepts(header: str | None, media_type: str) -> bool:
    """Whether an `Accept` header admits `media_type` (no header admits anything)."""
    ranges = _ranges(header or "")
    return not ranges or _quality(media_type, ranges) > 0


def accept(op: Operation, choice: Choice, header: str | None) -> Choice:
    """`choice` in the documented media type the client's `Accept` prefers (ties: the one
    chosen, then the document's order). The example keeps its name where the other media
    type documents it too, else that type's first example, else generated data."""
    if not header or not choice.media_type or choice.media_type == "text/event-stream":
        return choice
    ranges = _ranges(header)
    if not ranges:
        return choice
    response = op.responses.get(str(choice.status))
    documented = list(response.content) if response else []
    if choice.media_type in documented:
        documented.remove(choice.media_type)
    documented.insert(0, choice.media_type)
    best = max(documented, key=lambda mt: _quality(mt, ranges))
    if _quality(best, ranges) <= 0:
        if choice.status >= 400:
            return choice
        if "406" in op.responses:  # the API documents its own answer
            refusal = op.responses["406"]
            names = [ex.name for _, ex in refusal.examples]
            return Choice(
                status=406,
                media_type=_media_for(op, "406", names[0] if names else None)
                if refusal.content
                else "",
                example=names[0] if names else None,
                rule="not-acceptable",
            )
        offered = ", ".join(documented)
        raise NotAcceptable(f"Accept: {header} accepts none of the documented types: {offered}")
    if best == choice.media_type or response is None:
        return choice
    examples = response.content[best].examples
    example = choice.example if choice.example in examples else next(iter(examples), None)
    return replace(choice, media_type=best, example=example)
