"""The diff's rule registry, the `Change` it reports and the list that collects them.

Each area module (`operations`, `parameters`, `bodies`, `responses`, `security`,
`schemas`, `constraints`, `applicators`, `webhooks`) declares its rules with `declare`
right above the code that emits them. Ids are unique across the whole diff: declaring
one twice fails at import, so two areas can never disagree about a rule's level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "LEVELS",
    "RULES",
    "Change",
    "ChangeList",
    "Direction",
    "DuplicateRuleError",
    "Level",
    "Rule",
    "declare",
]

Level = Literal["breaking", "warning", "info"]
LEVELS: tuple[Level, ...] = ("breaking", "warning", "info")
Direction = Literal["request", "response"]


@dataclass(frozen=True)
class Rule:
    """One kind of change: its level is fixed, whatever the document."""

    level: Level
    summary: str
    """What changed, in a few words (the reference table's "change" column)."""
    why: str
    """Why it matters to old clients, in plain words (printed with every change)."""
    area: str = ""
    """The module that emits it (the reference table groups rules by area)."""


@dataclass(frozen=True)
class Change:
    """One classified difference between the old and the new contract."""

    level: Level
    rule: str
    location: str  # e.g. paths./x.post.requestBody.content.application/json.schema
    message: str
    why: str
    spec: str = ""  # the contract it belongs to, when several are compared


class DuplicateRuleError(ValueError):
    """A rule id declared twice: a programming error, raised at import."""


RULES: dict[str, Rule] = {}
"""Every rule of the diff by id, filled by the area modules as they are imported."""


def declare(area: str, *rules: tuple[str, Level, str, str]) -> None:
    """Register `(id, level, summary, why)` rules for `area`; an id already taken raises."""
    for rule_id, level, summary, why in rules:
        if rule_id in RULES:
            raise DuplicateRuleError(
                f"diff rule {rule_id!r} declared by {area} is already declared by "
                f"{RULES[rule_id].area}"
            )
        RULES[rule_id] = Rule(level, summary, why, area)


# Reasons shared by the many rules about a constraint moving one way or the other.
REQ_TIGHT = "Requests that old clients send and the old contract accepted may now be refused."
REQ_LOOSE = "The new contract accepts everything the old one did; old clients are unaffected."
RESP_LOOSE = (
    "The server may now send values outside what the old contract promised; "
    "old clients that rely on that promise can fail to read them."
)
RESP_TIGHT = "Responses stay within what the old contract promised; old clients are unaffected."


def directional(
    area: str, name: str, keyword: str, tightened: str = "tightened", loosened: str = "loosened"
) -> None:
    """Declare the four `{request,response}-<name>-{tightened,loosened}` rules of a keyword."""
    declare(
        area,
        (f"request-{name}-tightened", "breaking", f"request {keyword} {tightened}", REQ_TIGHT),
        (f"request-{name}-loosened", "info", f"request {keyword} {loosened}", REQ_LOOSE),
        (f"response-{name}-loosened", "breaking", f"response {keyword} {loosened}", RESP_LOOSE),
        (f"response-{name}-tightened", "info", f"response {keyword} {tightened}", RESP_TIGHT),
    )


class ChangeList:
    """The changes found so far; `emit` looks the rule up so its level cannot drift."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def emit(self, rule: str, location: Sequence[str], message: str) -> None:
        spec = RULES[rule]
        self.changes.append(Change(spec.level, rule, ".".join(location), message, spec.why))

    def tightness(
        self, name: str, where: Sequence[str], d: Direction, tighter: bool, message: str
    ) -> None:
        """Emit `<d>-<name>-tightened` or `-loosened`."""
        self.emit(f"{d}-{name}-{'tightened' if tighter else 'loosened'}", where, message)
