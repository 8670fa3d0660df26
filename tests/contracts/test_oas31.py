"""OpenAPI 3.1 in the contract core: a `$ref` with siblings read as 2020-12 means it, and
requests built from 3.1 parameters (`const`, `examples`)."""

from __future__ import annotations

from pathlib import Path

from contracts import load_contract
from contracts.catalog import ref_siblings_as_all_of
from contracts.requests import default_parameters

SPEC = """\
openapi: {version}
info: {{title: t, version: '1'}}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Base'
              description: with a sibling
              required: [tag]
      responses:
        '200': {{description: ok}}
components:
  schemas:
    Base:
      type: object
      properties:
        tag: {{type: string}}
"""


def test_constraining_siblings_of_a_ref_apply_with_its_target(tmp_path: Path) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(SPEC.format(version="3.1.0"))
    for read_only in (False, True):  # prance, and inline_local_refs (lint, diff)
        contract = load_contract(spec, with_scenarios=False, read_only=read_only)
        schema = contract.operation("POST /a").request_body
        assert schema is not None
        assert schema["content"]["application/json"]["schema"] == {
            "allOf": [{"type": "object", "properties": {"tag": {"type": "string"}}}],
            "description": "with a sibling",
            "required": ["tag"],
        }


def test_a_3_0_ref_keeps_its_3_0_meaning(tmp_path: Path) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(SPEC.format(version="3.0.3"))
    contract = load_contract(spec, with_scenarios=False)
    body = contract.operation("POST /a").request_body
    assert body is not None
    assert body["content"]["application/json"]["schema"] == {
        "type": "object",
        "properties": {"tag": {"type": "string"}},
    }


def test_only_schema_constraints_beside_a_ref_are_rewritten() -> None:
    annotated = {"$ref": "#/components/schemas/A", "description": "d", "summary": "s"}
    path_item = {"$ref": "#/components/pathItems/P", "get": {"responses": {}}}
    parameter = {"$ref": "#/components/parameters/P", "required": True}
    document = {"a": annotated, "b": [path_item], "c": parameter}
    assert ref_siblings_as_all_of(document) == document
    nested = {"properties": {"x": {"$ref": "#/X", "allOf": [{"minLength": 1}], "maxLength": 3}}}
    assert ref_siblings_as_all_of(nested) == {
        "properties": {"x": {"allOf": [{"$ref": "#/X"}, {"minLength": 1}], "maxLength": 3}}
    }


def test_a_3_1_parameter_has_its_const_or_first_example_as_default(tmp_path: Path) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /parts/{kind}:\n    get:\n"
        "      parameters:\n"
        "        - {name: kind, in: path, required: true, schema: {const: widget}}\n"
        "        - {name: size, in: query, required: true, schema: {type: integer, examples: [3]}}\n"
        "      responses:\n        '200': {description: ok}\n"
    )
    contract = load_contract(spec, with_scenarios=False)
    path, query = default_parameters(contract, contract.operation())
    assert (path, query) == ({"kind": "widget"}, {"size": 3})
