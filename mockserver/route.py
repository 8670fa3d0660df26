"""Route: a request to its operation, by method and raw path.

One precompiled pattern per operation (`path_pattern`), held in candidate tables by method
and first path segment, so the cost of a match does not grow with the number of
operations under other first segments. Templates that start with a parameter are tried
for every path, after the ones whose first segment matches. The path is matched as sent,
then each parameter is decoded on its own: an encoded `/` (`%2F`) belongs to its segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import quote, unquote

from .asgi import Scope

__all__ = ["Route", "Router", "path_pattern", "route_for"]

T = TypeVar("T")


@dataclass(frozen=True)
class Route:
    """One operation under one mount: `base + path` as a pattern over the raw path."""

    method: str
    template: str  # base + the documented path
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    base: str
    operation_id: str


def path_pattern(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """`/a/{x}/b` → a regex with one segment group per parameter, and the names."""
    parts = re.split(r"\{([^{}/]+)\}", template)  # literals at even, names at odd indexes
    regex = "".join(re.escape(quote(p)) if i % 2 == 0 else "([^/?#]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$"), tuple(parts[1::2])


def route_for(method: str, base: str, path: str, operation_id: str) -> Route:
    pattern, names = path_pattern(base + path)
    return Route(method.upper(), base + path, pattern, names, base, operation_id)


class Router(Generic[T]):
    """Routes, each with what it leads to, tried in the order given."""

    def __init__(self, routes: Iterable[tuple[Route, T]]):
        # Candidates by method and first path segment (None: a template starting with a
        # parameter, tried for every path), in the order given.
        self.table: dict[tuple[str, str | None], list[tuple[Route, T]]] = {}
        methods: set[str] = set()
        for route, target in routes:
            first = route.template[1:].split("/", 1)[0]
            key = None if "{" in first else quote(first)
            self.table.setdefault((route.method, key), []).append((route, target))
            methods.add(route.method)
        self.anywhere = {m: self.table.get((m, None), []) for m in methods}

    def match(self, scope: Scope) -> tuple[Route, T, dict[str, str]] | None:
        """The first route matching the request's method and raw path, its target and
        its path parameters (each percent-decoded)."""
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else quote(scope["path"])
        method = scope["method"]
        first = path[1:].split("/", 1)[0]
        for route, target in (*self.table.get((method, first), ()), *self.anywhere.get(method, ())):
            found = route.pattern.match(path)
            if found is not None:
                values = (unquote(v) if "%" in v else v for v in found.groups())
                return route, target, dict(zip(route.params, values, strict=True))
        return None
