"""JSON bodies read as RFC 8259 says, not as Python's `json` module allows.

Python accepts `NaN`, `Infinity`, `1e999999` (read as infinity), lone UTF-16 surrogates
(`"\\ud800"`) and integers of any length up to its own 4,300-digit limit, past which it
raises a `ValueError` of its own. The real APIs' parsers refuse all of these, and a value
that cannot be written back as JSON must never reach the journal or a response. `loads`
refuses each with a message that names the problem.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_INTEGER_DIGITS", "NotStrictJSON", "loads"]

MAX_INTEGER_DIGITS = 1_000
"""The longest integer a body may hold (int64 needs 19 digits)."""

# A \uD800-\uDBFF escape not followed by a \uDC00-\uDFFF one, or a low one not preceded
# by a high one: a lone surrogate, which no UTF-8 text can carry.
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class NotStrictJSON(ValueError):
    """The text is JSON only by Python's lenient reading, or not at all."""


def _constant(name: str) -> Any:
    raise NotStrictJSON(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise NotStrictJSON(
            f"the number {text[:20]}{'...' if len(text) > 20 else ''} is out of range"
        )
    return value


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise NotStrictJSON(
            f"an integer of {digits:,} digits is longer than the {MAX_INTEGER_DIGITS:,}-digit limit"
        )
    return int(text)


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_int)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON; `NotStrictJSON` (a `ValueError`) names what is wrong.

    `json.JSONDecodeError` and `RecursionError` pass through as `json.loads` raises them.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if "\\u" in text:
        found = _LONE_SURROGATE.search(text)
        if found is not None:
            escape = found.group()[-6:]
            raise NotStrictJSON(f"{escape} is a lone surrogate, not a character")
    if text.startswith("\ufeff"):  # as `json.loads` says it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)
