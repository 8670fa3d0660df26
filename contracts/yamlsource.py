"""Read YAML/JSON documents as JSON data, remembering where each value was written.

OpenAPI is JSON data written in YAML 1.2 (OpenAPI 3.0.3 and later say so): plain
scalars are read with the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules, so `18:00`
stays a string (1.1: the integer 1080), `on`/`no`/`y` stay strings (1.1: booleans),
`2025-10-31` stays a string (1.1: a date no JSON schema accepts), `0o17` is 15 and `017`
is 17. Every node's line and column are kept so that lint and error messages can point
into the file.

A JSON file (big generated descriptions, such as GitHub's 13 MB one, are JSON) is parsed
by the `json` module, several times faster than YAML's parser, and each node's line is
found only when asked for (`Source.locate`), by scanning the text.

A document is bounded before it is built: its size (`MAX_DOCUMENT_BYTES`) and the size
its aliases expand to (`MAX_EXPANDED_NODES`), so a "billion laughs" file is refused in
one line instead of taking the machine's memory.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # not in typeshed
from pathlib import Path
from typing import Any

import yaml

from .errors import FlowcontractError, InputRefusedError

__all__ = ["MAX_DOCUMENT_BYTES", "JsonPath", "Source", "load_source", "set_max_document_bytes"]

JsonPath = tuple[str | int, ...]


MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""The largest file read as a document by default (GitHub's REST description is about
13 MB); `--max-spec-bytes` of every command changes it (`set_max_document_bytes`)."""

_limit = {"bytes": MAX_DOCUMENT_BYTES}


def set_max_document_bytes(size: int) -> None:
    """The largest file any later `load_source` reads (specs, scenarios, `$ref` targets)."""
    if size < 1:
        raise ValueError("the document size limit must be positive")
    _limit["bytes"] = size


MAX_EXPANDED_NODES = 2_000_000
"""How many nodes a document's aliases may add when expanded (the nodes as written do
not count): far above what anchors in real specs add, far below a YAML bomb."""

_STR, _BOOL, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), ASCII only.
_CORE_RESOLVERS: list[tuple[str, re.Pattern[str], str]] = [
    (_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
    (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789"),
    (
        _FLOAT,
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        "-+.0123456789",
    ),
]


def _core_resolvers() -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, pattern, firsts in _CORE_RESOLVERS:
        for first in firsts:
            table.setdefault(first, []).append((tag, pattern))
    table.setdefault(None, []).append((_NULL, _CORE_RESOLVERS[0][1]))  # the empty scalar
    return table


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


class _JsonLoader(yaml.SafeLoader):
    """SafeLoader reading plain scalars with the YAML 1.2 core schema."""


class _FastJsonLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, parsed by libyaml when PyYAML has it (several times faster on big specs).

    Its error messages differ from the pure-Python parser's, so a document it refuses is
    parsed again by `_JsonLoader` to report the error in the usual words.
    """


for _loader in (_JsonLoader, _FastJsonLoader):
    _loader.yaml_implicit_resolvers = _core_resolvers()
    _loader.add_constructor(_INT, _construct_int)
    _loader.add_constructor(_FLOAT, _construct_float)
    _loader.add_constructor(_BOOL, _construct_bool)


@dataclass(frozen=True)
class Source:
    """A parsed document with the (1-based) line and column of every node.

    `positions` holds them for a YAML document; for a JSON one it is empty and
    `json_offsets` finds them in the text when asked."""

    path: Path
    text: str
    data: Any
    positions: dict[JsonPath, tuple[int, int]] = field(repr=False)
    json_offsets: _JsonOffsets | None = field(default=None, repr=False, compare=False)

    def locate(self, path: JsonPath) -> tuple[int, int] | None:
        """Line and column of the node at `path`, or of its nearest written ancestor."""
        if self.json_offsets is not None:
            return self.json_offsets.line_and_column(self.json_offsets.find(path))
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None
            path = path[:-1]


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _JsonOffsets:
    """Where each node of a JSON text is written, found by scanning only what leads to it.

    Values on the way are skipped by the C decoder; the offsets of every member passed
    are remembered, so that lint's many lookups in one big file scan each part once."""

    def __init__(self, text: str):
        self.text = text
        root = _skip_space(text, 0)
        # path -> (where the member is written: its key or item, where its value starts)
        self.members: dict[JsonPath, tuple[int, int]] = {(): (root, root)}
        self.scanned: set[JsonPath] = set()
        self.line_starts: list[int] = []

    def line_and_column(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        if not self.line_starts:
            self.line_starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        line = bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def find(self, path: JsonPath) -> int:
        """The offset of the node at `path` (of a member: its key), or of the nearest
        written ancestor."""
        found = self.members[()][0]
        for depth, part in enumerate(path):
            parent = path[:depth]
            if parent not in self.scanned:
                self._scan(parent)
            member = self.members.get((*parent, part)) or self.members.get((*parent, str(part)))
            if member is None:
                return found
            found = member[0]
        return found

    def _scan(self, parent: JsonPath) -> None:
        self.scanned.add(parent)
        text = self.text
        at = self.members[parent][1]
        try:
            if text.startswith("{", at):
                at = _skip_space(text, at + 1)
                while text.startswith('"', at):
                    written = at
                    name, at = scanstring(text, at + 1)
                    at = _skip_space(text, _skip_space(text, at) + 1)  # past the ':'
                    self.members[(*parent, name)] = (written, at)
                    at = _skip_space(text, _DECODER.raw_decode(text, at)[1])
                    at = _skip_space(text, at + 1) if text.startswith(",", at) else at
            elif text.startswith("[", at):
                at = _skip_space(text, at + 1)
                index = 0
                while at < len(text) and not text.startswith("]", at):
                    self.members[(*parent, index)] = (at, at)
                    at = _skip_space(text, _DECODER.raw_decode(text, at)[1])
                    at = _skip_space(text, at + 1) if text.startswith(",", at) else at
                    index += 1
        except (ValueError, IndexError):  # not for a text json.loads accepted
            return


def _skip_space(text: str, at: int) -> int:
    found = _SPACE.match(text, at)
    return found.end() if found else at


def _walk(node: yaml.Node, path: JsonPath, out: dict[JsonPath, tuple[int, int]]) -> None:
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value
            out[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, (*path, key), out)
            out[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if isinstance(key, str) and key.isdigit():  # validators report `'200':` as 200
                out[(*path, int(key))] = out[(*path, key)]
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), out)


class _AliasBomb(Exception):
    def __init__(self, cause: str, node: yaml.Node):
        super().__init__(cause)
        self.cause, self.node = cause, node


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases expand past `MAX_EXPANDED_NODES` extra nodes, or
    that contains itself (a recursive alias), before anything walks it as a tree."""
    sizes: dict[int, int] = {}
    distinct = 0
    # Iterative post-order over the graph: each node's expanded size is computed once.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            active.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] - distinct > MAX_EXPANDED_NODES:
                raise _AliasBomb(f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes", node)
            continue
        if key in sizes:
            continue
        if key in active:
            raise _AliasBomb("a recursive alias (a node that contains itself)", node)
        active.add(key)
        distinct += 1
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _compose(text: str, loader_cls: type[Any], positions: bool) -> tuple[Any, yaml.Node | None]:
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if "&" in text:  # anchors are the only way to make a graph out of a tree
            _check_expansion(node)
        return loader.construct_document(node), (node if positions else None)
    finally:
        loader.dispose()


def load_source(
    path: Path | str,
    error: type[FlowcontractError] = FlowcontractError,
    *,
    positions: bool = True,
) -> Source:
    """Parse a YAML or JSON file; any failure is `error` with the file, line and cause.

    `positions=False` skips recording where each node was written (faster, for callers
    that never point into the file); `Source.locate` then finds nothing.
    """
    path = Path(path)
    try:
        if not path.is_file():  # a device, FIFO or directory is never read
            if not path.exists():
                raise error("file not found", file=path)
            raise InputRefusedError("not a regular file", file=path)
        size, limit = path.stat().st_size, _limit["bytes"]
        if size > limit:
            raise InputRefusedError(
                f"{size:,} bytes: larger than the {limit:,}-byte limit for a document"
                " (--max-spec-bytes)",
                file=path,
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", file=path) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            pass  # not strict JSON: YAML's parser reads it, or says where it is broken
        else:
            offsets = _JsonOffsets(text) if positions else None
            return Source(path=path, text=text, data=data, positions={}, json_offsets=offsets)
    try:
        try:
            data, node = _compose(text, _FastJsonLoader, positions)
        except yaml.YAMLError:
            if _FastJsonLoader is _JsonLoader:
                raise
            data, node = _compose(text, _JsonLoader, positions)
    except _AliasBomb as exc:
        mark = exc.node.start_mark
        raise InputRefusedError(
            f"refused: {exc.cause}", file=path, line=mark.line + 1, column=mark.column + 1
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        cause = exc.problem or exc.context or "invalid YAML"
        raise error(
            f"invalid YAML: {cause}",
            file=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", file=path) from None
    where: dict[JsonPath, tuple[int, int]] = {}
    if node is not None:
        _walk(node, (), where)
    return Source(path=path, text=text, data=data, positions=where)
