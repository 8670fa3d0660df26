"""Route: a request to its operation, by raw path, then method.

The documented paths form a tree of segments (`Router`). A request walks it one segment
at a time, trying the literal child before the templated ones, so `/items/special`
reaches `/items/special` and not `/items/{id}` (OpenAPI: concrete paths match before
templated ones), and a match costs the depth of the path, not the number of operations.
A segment that mixes literals and parameters (`{name}.{ext}`, `{id}:run`) is a pattern
of its own. Two paths whose segments differ only in their parameters' names (`/c/{slug}/{id}.json`,
`/c/{id}/show.json`) share the segment; each route names the values by its own template. The
path is matched as sent, then each parameter is decoded on its own: an encoded `/` (`%2F`)
belongs to its segment. Path-level facts come out of the same walk:
the methods a path allows (`Allow` of a 405), and `HEAD` answered by the `GET` operation
when the document has no `HEAD` of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote

from .asgi import Scope

__all__ = ["Match", "Route", "Router", "route_for", "server_prefix"]

T = TypeVar("T")

_TEMPLATE = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Route:
    """One operation under one mount: `base + path`, split into segments."""

    method: str
    template: str  # base + the documented path
    base: str
    operation_id: str


def route_for(method: str, base: str, path: str, operation_id: str) -> Route:
    return Route(method.upper(), base + path, base, operation_id)


def server_prefix(servers: object) -> str:
    """The path of the document's first server URL (`https://h/api/v3` → `/api/v3`),
    its variables replaced by their defaults; `""` when it has none."""
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url") or "")
    variables = servers[0].get("variables") or {}
    if isinstance(variables, dict):
        for name, variable in variables.items():
            default = variable.get("default", "") if isinstance(variable, dict) else ""
            url = url.replace("{" + str(name) + "}", str(default))
    if "://" in url:
        url = url.split("://", 1)[1]
        url = url[url.find("/") :] if "/" in url else ""
    path = "/" + url.split("?", 1)[0].split("#", 1)[0].strip("/")
    return "" if path == "/" or "{" in path else path


@dataclass
class _Segment:
    """One pattern segment: a regex over the raw segment, and the parameters it fills."""

    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal_chars: int  # more literal text first: `{id}.json` before `{name}`
    node: _Node[Any]
    whole: bool = False  # the segment is one parameter (`{id}`): any non-empty value fills it


@dataclass
class _Node(Generic[T]):
    literal: dict[str, _Node[T]] = field(default_factory=dict)
    templated: list[_Segment] = field(default_factory=list)
    methods: dict[str, tuple[Route, T]] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()  # the `Allow` of a 405 here: set once the tree is built


@dataclass(frozen=True)
class Match(Generic[T]):
    """What a path matched: the route and target for the method (None when the path is
    documented for other methods only), the methods allowed, the path parameters."""

    route: Route | None
    target: T | None
    allowed: tuple[str, ...]
    params: dict[str, str]  # percent-decoded
    raw_params: dict[str, str] = field(default_factory=dict)  # as sent, for `style` parsing


def _segment_pattern(segment: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    parts = _TEMPLATE.split(segment)  # literals at even, names at odd indexes
    regex = "".join(
        re.escape(quote(p, safe="")) if i % 2 == 0 else "([^/]+?)" for i, p in enumerate(parts)
    )
    literal = sum(len(p) for p in parts[0::2])
    return re.compile(f"^{regex}$"), tuple(parts[1::2]), literal


def _literal(segment: str) -> str:
    """A literal segment as compared: percent-decoded, so `%7E` and `~` are one."""
    return unquote(segment) if "%" in segment else segment


def _decoded(params: list[tuple[str, str]]) -> dict[str, str]:
    return {name: unquote(v) if "%" in v else v for name, v in params}


class Router(Generic[T]):
    """Routes, each with what it leads to. Of two routes for the same method and path,
    the first given wins."""

    def __init__(self, routes: Iterable[tuple[Route, T]]):
        self.root: _Node[T] = _Node()
        self.names: dict[str, tuple[str, ...]] = {}  # by template: its parameters in order
        for route, target in routes:
            self.names[route.template] = tuple(_TEMPLATE.findall(route.template))
            node = self.root
            for segment in route.template.split("/")[1:]:
                if "{" not in segment:
                    node = node.literal.setdefault(_literal(segment), _Node())
                    continue
                pattern, names, literal = _segment_pattern(segment)
                for seg in node.templated:
                    if seg.pattern.pattern == pattern.pattern:
                        node = seg.node
                        break
                else:
                    whole = _TEMPLATE.fullmatch(segment) is not None
                    seg = _Segment(pattern, names, literal, _Node(), whole)
                    node.templated.append(seg)
                    node.templated.sort(key=lambda s: (-s.literal_chars, len(s.names)))
                    node = seg.node
            node.methods.setdefault(route.method, (route, target))
        self._settle(self.root)

    def _settle(self, node: _Node[T]) -> None:
        methods = node.methods
        node.allowed = tuple(sorted({*methods, *(("HEAD",) if "GET" in methods else ())}))
        for child in (*node.literal.values(), *(seg.node for seg in node.templated)):
            self._settle(child)

    def _first(
        self,
        node: _Node[T],
        segments: list[str],
        at: int,
        values: tuple[str, ...],
        accept: Callable[[_Node[T]], tuple[Route, T] | None],
    ) -> tuple[_Node[T], tuple[Route, T], tuple[str, ...]] | None:
        """Depth first, literal branches before templated ones: the first node the path
        reaches that `accept`s, what it accepted, and the parameters' values in order."""
        if at == len(segments):
            accepted = accept(node)
            return (node, accepted, values) if accepted is not None else None
        segment = segments[at]
        child = node.literal.get(_literal(segment))
        if child is not None:
            found = self._first(child, segments, at + 1, values, accept)
            if found is not None:
                return found
        if not segment:
            return None  # an empty segment never fills a parameter
        for seg in node.templated:
            if seg.whole:
                found = self._first(seg.node, segments, at + 1, (*values, segment), accept)
            else:
                matched = seg.pattern.match(segment)
                if matched is None:
                    continue
                found = self._first(seg.node, segments, at + 1, values + matched.groups(), accept)
            if found is not None:
                return found
        return None

    def match(self, scope: Scope) -> Match[T] | None:
        """The documented path the request's raw path matches (None: no documented path),
        and the operation for its method."""
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else quote(scope["path"])
        path = path.split("?", 1)[0]
        segments = path.split("/")[1:]
        method = scope["method"]

        def for_method(node: _Node[T]) -> tuple[Route, T] | None:
            methods = node.methods
            return methods.get(method) or (methods.get("GET") if method == "HEAD" else None)

        found = self._first(self.root, segments, 0, (), for_method)
        documented = found or self._first(  # for a 405: the first path documented at all
            self.root, segments, 0, (), lambda node: next(iter(node.methods.values()), None)
        )
        if documented is None:
            return None
        node, (route, target), values = documented
        # the segments' names are the first route's that built them: each route's own
        params = list(zip(self.names[route.template], values, strict=True))
        if found is None:
            return Match(None, None, node.allowed, _decoded(params), dict(params))
        return Match(route, target, node.allowed, _decoded(params), dict(params))
