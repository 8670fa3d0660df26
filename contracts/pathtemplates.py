"""Path templates (`/a/{x}/b`): the names of their parameters, for lint and diff."""

from __future__ import annotations

__all__ = ["template_names"]


def template_names(path: str) -> list[str]:
    """The names of a path template's parameters, in order: `/a/{x}/{y}` → `[x, y]`."""
    names, current, depth = [], "", 0
    for ch in path:
        if ch == "{":
            depth += 1
            current = ""
        elif ch == "}" and depth:
            depth -= 1
            names.append(current)
        elif depth:
            current += ch
    return names
