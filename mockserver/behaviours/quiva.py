"""quiva: what its documentation says a run does, beyond the fixture states.

- A body with neither `trigger` nor `triggers` is refused: "no trigger specified".
- A flow with `debounceOn` resolves the template over the trigger; the run answers
  "debounced run: <key>", or "failed to resolve debounceOn" when the trigger lacks a field.
- A flow with `orderOn` likewise: "ordered run: <key>" or "failed to resolve orderOn".
- An awaited run (`await: true`) carries the workflow's `result`; an unawaited one does not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts.scenarios import Fixture

from ..behave import MockRequest
from ..negotiate import Choice

_FIELD = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")


def _trigger(body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    if "trigger" in body:
        return body["trigger"]
    triggers = body.get("triggers")
    return triggers[0] if isinstance(triggers, list) and triggers else None


def resolve_key(template: str, trigger: Any) -> str | None:
    """`{{user_id}}-notifications` over the trigger, or None if a field is missing."""
    missing = False

    def field(match: re.Match[str]) -> str:
        nonlocal missing
        value: Any = trigger
        for part in match.group(1).split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                missing = True
                return ""
        if isinstance(value, (Mapping, list)) or value is None:
            missing = True
            return ""
        return str(value)

    key = _FIELD.sub(field, template)
    return None if missing else key


def refuse(request: MockRequest) -> Choice | None:
    body = request.body if isinstance(request.body, dict) else {}
    if "trigger" not in body and not body.get("triggers"):
        return Choice(400, "application/json", "NoTrigger", "behaviour: no trigger in the body")
    return None


def run(request: MockRequest, fixture: Fixture | None) -> Choice | None:
    if fixture is None:
        return None
    trigger = _trigger(request.body)
    for attribute, answer, failure, label in (
        ("debounceOn", "debouncedRun", "DebounceError", "debounced run"),
        ("orderOn", "orderedRun", "OrderOnError", "ordered run"),
    ):
        template = fixture.attributes.get(attribute)
        if not isinstance(template, str):
            continue
        key = resolve_key(template, trigger)
        if key is None:
            return Choice(
                400, "application/json", failure, f"behaviour: {attribute} does not resolve"
            )
        message = f"{label}: {key}"
        values = {"body": message} if answer == "debouncedRun" else {"": message}
        return Choice(200, "application/json", answer, f"behaviour: {attribute} {key}", values)
    return None


def default_example(request: MockRequest) -> str:
    body = request.body if isinstance(request.body, dict) else {}
    return "awaitedSuccess" if body.get("await") is True else "notAwaitedSuccess"
