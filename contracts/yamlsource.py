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


class _JsonLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 timestamps: dates remain strings, as in JSON."""


_JsonLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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


def load_source(path: Path | str, error: type[FlowcontractError] = FlowcontractError) -> Source:
    """Parse a YAML or JSON file; any failure is `error` with the file, line and cause."""
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
        loader = _JsonLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
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
    positions: dict[JsonPath, tuple[int, int]] = {}
    if node is not None:
        _walk(node, (), positions)
    return Source(path=path, text=text, data=data, positions=positions)
