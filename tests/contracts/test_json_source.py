"""A JSON spec is parsed by `json` and its lines found on demand: the same places as
YAML's parser records for the same text."""

from __future__ import annotations

import json
from pathlib import Path

from contracts.yamlsource import load_source
from tests.conftest import SPECS


def test_a_json_document_locates_every_node_where_yaml_does(tmp_path: Path) -> None:
    text = json.dumps(load_source(SPECS / "pharen.yaml").data, indent=2)
    as_json = load_source(_write(tmp_path / "spec.json", text))
    as_yaml = load_source(_write(tmp_path / "spec.yaml", text))  # JSON is YAML
    assert as_json.data == as_yaml.data
    assert as_json.positions == {}  # nothing computed up front
    assert len(as_yaml.positions) > 200
    for path, where in as_yaml.positions.items():
        assert as_json.locate(path) == where, path
    assert as_json.locate(("paths", "/nowhere", "get")) == as_yaml.locate(("paths",))


def test_a_json_file_that_is_not_strict_json_is_read_as_yaml(tmp_path: Path) -> None:
    source = load_source(_write(tmp_path / "spec.json", "{openapi: 3.0.3, info: {title: t}}\n"))
    assert source.data == {"openapi": "3.0.3", "info": {"title": "t"}}
    assert source.locate(("info", "title")) == (1, 25)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
