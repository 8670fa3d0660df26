"""What no path parameter may hold, whatever its schema: checked once a route matched,
before any guard or validation (both answer 400 in the API's error shape)."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["refused_path_parameter"]

# NUL and the rest of C0 (U+0000-U+001F): sent encoded (`%00`), they would be echoed into
# answers and the journal (a NUL ends a C string, CR/LF split a log line). DEL is not refused:
# it is a string character a schema allows, harmless in JSON and logs, and Schemathesis
# generates it as schema-valid input.
_CONTROL = re.compile("[\x00-\x1f]")


def refused_path_parameter(params: Mapping[str, str]) -> str | None:
    """Why these decoded path parameters are refused, or None: an encoded traversal
    (`..%2F`) or a control character."""
    for name, value in params.items():
        if ".." in value.split("/"):
            return f"{name}: path traversal is not allowed"
        control = _CONTROL.search(value)
        if control is not None:
            return f"{name}: control character U+{ord(control.group()):04X} is not allowed"
    return None
