"""Read YAML/JSON documents as JSON data, remembering where each value was written.

OpenAPI is JSON data written in YAML: timestamps stay strings (YAML 1.1 would turn
`2025-10-31` into a date no JSON schema accepts), and every node's line and column are
kept so that lint and error messages can point into the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import FlowcontractError

__all__ = ["JsonPath", "Source", "load_source"]

JsonPath = tuple[str | int, ...]


_JSON_RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _JsonLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 timestamps: dates remain strings, as in JSON."""


class _FastJsonLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, parsed by libyaml when PyYAML has it (several times faster on big specs).

    Its error messages differ from the pure-Python parser's, so a document it refuses is
    parsed again by `_JsonLoader` to report the error in the usual words.
    """


_JsonLoader.yaml_implicit_resolvers = _JSON_RESOLVERS
_FastJsonLoader.yaml_implicit_resolvers = _JSON_RESOLVERS


@dataclass(frozen=True)
class Source:
    """A parsed document with the (1-based) line and column of every node."""

    path: Path
    text: str
    data: Any
    positions: dict[JsonPath, tuple[int, int]] = field(repr=False)

    def locate(self, path: JsonPath) -> tuple[int, int] | None:
        """Line and column of the node at `path`, or of its nearest written ancestor."""
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None
            path = path[:-1]


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


def _compose(text: str, loader_cls: type[Any], positions: bool) -> tuple[Any, yaml.Node | None]:
    loader = loader_cls(text)
    try:
        if not positions:
            return loader.get_single_data(), None
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", file=path) from None
    try:
        try:
            data, node = _compose(text, _FastJsonLoader, positions)
        except yaml.YAMLError:
            if _FastJsonLoader is _JsonLoader:
                raise
            data, node = _compose(text, _JsonLoader, positions)
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
