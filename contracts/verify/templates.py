"""The scenarios' `render` templates, read as promises about a response.

`render` names, per response example, the fields a real server fills in:
`"{path.workflow_id}"` or `"{body.payload}"` is an echo of the request,
`"exec_{hex:12}"` / `"{uuid}"` / `"{ulid}"` a value the server generates for each run,
`"{now}"` a timestamp. A list gives alternatives, the first one that applies wins
(`["{body.runId}", "run_{alnum:12}"]`: echo the runId sent, else generate one); a
non-string is a literal. verify checks echoes echo and generated values are fresh.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..requests import Request

__all__ = ["MISSING", "FieldRule", "lookup", "rules_for"]

_TOKEN = re.compile(r"\{([^{}]*)\}")
_SOURCES = ("path", "query", "body", "header", "headers")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def lookup(value: Any, dotted: str) -> Any:
    """`value` at `a.b.c`, or MISSING."""
    for part in dotted.split(".") if dotted else ():
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def _request_value(request: Request, reference: str) -> Any:
    source, _, rest = reference.partition(".")
    if source == "path":
        return request.path.get(rest, MISSING)
    if source == "query":
        return request.query.get(rest, MISSING)
    if source in ("header", "headers"):
        lowered = {k.lower(): v for k, v in request.headers.items()}
        return lowered.get(rest.lower(), MISSING)
    if source == "body":
        return lookup(request.body, rest) if request.has_body else MISSING
    return MISSING


@dataclass(frozen=True)
class FieldRule:
    """What one response field must be for one request.

    `echo` is set when the field must equal a request value (or a literal);
    `pattern` when it is a string template: references are filled in, and each
    generated part is a named group `g0`, `g1`, … whose values must be fresh.
    """

    field: str
    template: str
    echo: Any = MISSING
    pattern: re.Pattern[str] | None = None
    references: tuple[str, ...] = ()

    @property
    def generates(self) -> bool:
        return self.pattern is not None and self.pattern.groups > 0

    def generated_parts(self, value: Any) -> tuple[str, ...] | None:
        """The generated parts of `value`, or None if it does not fit the template."""
        if self.pattern is None or not isinstance(value, str):
            return None
        match = self.pattern.fullmatch(value)
        return match.groups() if match else None


def _rule(field: str, template: Any, request: Request) -> FieldRule | None:
    """The rule for one alternative, or None when it does not apply to this request."""
    if not isinstance(template, str):
        return FieldRule(field=field, template=repr(template), echo=template)
    tokens = _TOKEN.findall(template)
    references = tuple(t for t in tokens if t.split(".")[0] in _SOURCES)
    values = {ref: _request_value(request, ref) for ref in references}
    if any(v is MISSING for v in values.values()):
        return None
    whole = _TOKEN.fullmatch(template)
    if whole and references:
        return FieldRule(
            field=field, template=template, echo=values[references[0]], references=references
        )
    parts: list[str] = []
    position, group = 0, 0
    for match in _TOKEN.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        token = match.group(1)
        if token in values:
            parts.append(re.escape(str(values[token])))
        elif token.startswith("now"):
            parts.append(".+?")
        else:
            parts.append(f"(?P<g{group}>.+?)")
            group += 1
        position = match.end()
    parts.append(re.escape(template[position:]))
    return FieldRule(
        field=field, template=template, pattern=re.compile("".join(parts)), references=references
    )


def rules_for(render: Mapping[str, Any], request: Request) -> list[FieldRule]:
    """The rules a response to `request` must keep, from one response example's render spec."""
    rules: list[FieldRule] = []
    for field, spec in render.items():
        alternatives = spec if isinstance(spec, list) else [spec]
        for alternative in alternatives:
            rule = _rule(str(field), alternative, request)
            if rule is not None:
                rules.append(rule)
                break
    return rules
