"""The 3.0 view of an OpenAPI 3.1 document (`mockserver.oas31`): one test per conversion,
and every view accepted by Connexion's own loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from connexion.spec import Specification
from jsonschema import Draft202012Validator

from contracts import SpecError, load_contract
from mockserver.generate import Generator
from mockserver.oas31 import ORIGINAL_SCHEMA, connexion_document, schema_30, spec_errors, view_30
from tests.conftest import ROOT, SPECS

FIXTURES = ROOT / "tests" / "fixtures"


def test_a_type_array_with_null_is_a_type_and_nullable() -> None:
    assert schema_30({"type": ["string", "null"]}) == {"type": "string", "nullable": True}
    assert schema_30({"type": ["integer"]}) == {"type": "integer"}
    assert schema_30({"type": "null"}) == {"nullable": True, "enum": [None]}


def test_several_types_have_no_3_0_spelling_so_the_view_has_no_type() -> None:
    assert schema_30({"type": ["string", "integer", "null"]}) == {"nullable": True}


def test_const_is_a_one_value_enum() -> None:
    assert schema_30({"const": "widget"}) == {"enum": ["widget"]}
    assert schema_30({"const": None, "enum": [1, None]}) == {"enum": [None]}


def test_examples_array_gives_the_first_as_example() -> None:
    assert schema_30({"type": "string", "examples": ["a", "b"]}) == {
        "type": "string",
        "example": "a",
    }
    assert schema_30({"example": "own", "examples": ["a"]}) == {"example": "own"}
    assert schema_30({"examples": []}) == {}


@pytest.mark.parametrize(
    ("schema", "view"),
    [
        ({"exclusiveMinimum": 0}, {"minimum": 0, "exclusiveMinimum": True}),
        ({"exclusiveMaximum": 9.5}, {"maximum": 9.5, "exclusiveMaximum": True}),
        ({"exclusiveMinimum": 0, "minimum": 0}, {"minimum": 0, "exclusiveMinimum": True}),
        ({"exclusiveMinimum": 0, "minimum": 3}, {"minimum": 3}),
        ({"exclusiveMaximum": 10, "maximum": 4}, {"maximum": 4}),
        ({"exclusiveMaximum": 10, "maximum": 12}, {"maximum": 10, "exclusiveMaximum": True}),
    ],
    ids=["min", "max", "same-bound", "inclusive-min-stricter", "inclusive-max-stricter", "max"],
)
def test_numeric_exclusive_bounds_are_3_0_booleans(
    schema: dict[str, Any], view: dict[str, Any]
) -> None:
    assert schema_30(schema) == view


def test_2020_12_keywords_without_a_3_0_counterpart_are_dropped() -> None:
    schema = {
        "type": "array",
        "prefixItems": [{"type": "number"}],
        "items": False,
        "unevaluatedItems": False,
        "contains": {"type": "number"},
        "$comment": "x",
        "$defs": {"a": {}},
    }
    assert schema_30(schema) == {"type": "array", "items": {}}
    obj = {
        "type": "object",
        "unevaluatedProperties": False,
        "patternProperties": {"^a": {}},
        "propertyNames": {"pattern": "^a"},
        "dependentRequired": {"a": ["b"]},
        "dependentSchemas": {"a": {}},
        "if": {"required": ["a"]},
        "then": {"required": ["b"]},
        "else": {},
    }
    assert schema_30(obj) == {"type": "object"}
    text = {"type": "string", "contentMediaType": "text/plain", "maxLength": 3}
    assert schema_30(text) == {"type": "string", "format": "binary", "maxLength": 3}


def test_a_3_1_file_is_a_3_0_file() -> None:
    # what Connexion's form parser recognises as a file: format binary or base64
    png = {"type": "string", "contentMediaType": "image/png"}
    assert schema_30(png) == {"type": "string", "format": "binary"}
    encoded = {"type": "string", "contentMediaType": "image/png", "contentEncoding": "base64"}
    assert schema_30(encoded) == {"type": "string", "format": "base64"}
    assert schema_30({**png, "format": "byte"}) == {"type": "string", "format": "byte"}


def test_subschemas_are_converted_and_boolean_schemas_keep_their_meaning() -> None:
    schema = {
        "type": "object",
        "required": ["a", "a"],
        "properties": {"a": {"type": ["string", "null"]}, "no": False, "any": True},
        "additionalProperties": {"const": 1},
        "allOf": [{"examples": [1]}],
        "oneOf": [{"type": "null"}],
        "not": {"const": 2},
    }
    assert schema_30(schema) == {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string", "nullable": True}, "no": {"not": {}}, "any": {}},
        "additionalProperties": {"enum": [1]},
        "allOf": [{"example": 1}],
        "oneOf": [{"nullable": True, "enum": [None]}],
        "not": {"enum": [2]},
    }
    assert schema_30({"items": {"const": "x"}}) == {"items": {"enum": ["x"]}}


def test_what_3_0_forbids_empty_is_left_out() -> None:
    assert schema_30({"required": [], "enum": [], "allOf": []}) == {}


def test_the_document_is_3_0_3_without_what_3_0_lacks() -> None:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "t",
            "version": "1",
            "summary": "s",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "webhooks": {"hook": {"post": {"responses": {"200": {"description": "ok"}}}}},
        "components": {
            "schemas": {"A": {"type": "string"}},
            "pathItems": {},
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
                "tls": {"type": "mutualTLS"},
            },
        },
        "security": [{"key": []}, {"tls": []}],
        "tags": [{"name": "t"}],
    }
    view = view_30(document)
    assert view == {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1", "license": {"name": "MIT"}},
        "paths": {},
        "components": {
            "securitySchemes": {"key": document["components"]["securitySchemes"]["key"]}
        },
        "security": [{"key": []}],
        "tags": [{"name": "t"}],
    }


def test_an_operation_keeps_its_original_schemas_beside_the_view() -> None:
    body_schema = {"type": "object", "properties": {"a": {"const": 1}}}
    param_schema = {"type": ["integer", "null"], "exclusiveMinimum": 0}
    operation = {
        "parameters": [{"name": "n", "in": "query", "schema": param_schema}],
        "requestBody": {"content": {"application/json": {"schema": body_schema}}},
        "callbacks": {"cb": {}},
        "security": [{"tls": []}],
    }
    view = view_30({"openapi": "3.1.0", "info": {}, "paths": {"/x": {"post": operation}}})
    post = view["paths"]["/x"]["post"]
    assert post["parameters"] == [
        {
            "name": "n",
            "in": "query",
            "schema": {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True},
            ORIGINAL_SCHEMA: param_schema,
        }
    ]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {
        "type": "object",
        "properties": {"a": {"enum": [1]}},
        ORIGINAL_SCHEMA: body_schema,
    }
    # 3.1 lets an operation document no response; a requirement naming a mutualTLS scheme
    # cannot be met over plain HTTP and has no 3.0 spelling.
    assert post["responses"] == {"default": {"description": "undocumented"}}
    assert post["security"] == [] and "callbacks" not in post


@pytest.mark.parametrize(
    ("schema", "view_type"),
    [
        ({"const": "widget"}, "string"),
        ({"enum": [1, 2, None]}, "integer"),
        ({"enum": [True]}, "boolean"),
        ({"enum": ["a", 1]}, "string"),
        ({"type": ["integer", "string"], "maxLength": 3}, "string"),
        ({"minLength": 2}, "string"),
        ({"default": 1.5}, "number"),
    ],
)
def test_a_parameter_schema_always_has_the_type_connexions_parser_reads(
    schema: dict[str, Any], view_type: str
) -> None:
    param = {"name": "p", "in": "query", "schema": schema}
    view = view_30({"openapi": "3.1.0", "info": {}, "paths": {"/x": {"parameters": [param]}}})
    assert view["paths"]["/x"]["parameters"][0]["schema"]["type"] == view_type


def test_an_array_parameter_has_typed_items() -> None:
    param = {"name": "p", "in": "query", "schema": {"type": "array", "prefixItems": [{}]}}
    view = view_30({"openapi": "3.1.0", "info": {}, "paths": {"/x": {"parameters": [param]}}})
    assert view["paths"]["/x"]["parameters"][0]["schema"] == {
        "type": "array",
        "items": {"type": "string"},
    }


@pytest.mark.parametrize(
    "spec",
    [FIXTURES / "parts31.yaml", FIXTURES / "webhooks31.yaml", SPECS / "upstream" / "pharen.yaml"],
    ids=lambda p: p.name,
)
def test_connexion_loads_the_view_of_each_3_1_document(spec: Path) -> None:
    contract = load_contract(spec, with_scenarios=False)
    assert contract.openapi_version.startswith("3.1")
    loaded = Specification.from_dict(connexion_document(contract))
    assert loaded["openapi"] == "3.0.3"
    assert set(loaded["paths"]) == {op.path for op in contract.operations}


def test_a_3_0_document_is_served_as_it_is() -> None:
    contract = load_contract(SPECS / "quiva.yaml", with_scenarios=False)
    document = connexion_document(contract)
    assert document["servers"] == [{"url": "/"}]
    assert {k: v for k, v in document.items() if k != "servers"} == {
        k: v for k, v in contract.resolved.items() if k != "servers"
    }


def test_3_2_is_refused_at_its_version_field() -> None:
    with pytest.raises(SpecError) as refused:  # refused as it loads, before any view
        load_contract(FIXTURES / "parts32.yaml", with_scenarios=False)
    assert str(refused.value) == (
        f"{FIXTURES / 'parts32.yaml'}:1:1: OpenAPI 3.2 is not supported yet "
        "(the mock serves 3.0.x and 3.1.x)"
    )


def connexion_refusal(spec: Path, text: str, *, path: tuple[str, ...], value: Any) -> str:
    """The one line `spec_errors` makes of Connexion's refusal of `text` once the node at
    `path` of its served document is `value` (openapi-spec-validator refuses at load what
    Connexion would: the spoiled node is put where only Connexion sees it)."""
    spec.write_text(text)
    contract = load_contract(spec, with_scenarios=False)
    document = connexion_document(contract)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(SpecError) as refused, spec_errors(contract):
        Specification.from_dict(document)
    return str(refused.value)


def test_connexions_refusal_is_one_line_naming_the_node(tmp_path: Path) -> None:
    spec = tmp_path / "svc.yaml"
    text = (
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
        "  /x:\n    get:\n      responses:\n        '200': {description: ok}\n"
    )
    path = ("paths", "/x", "get", "responses", "200")
    assert connexion_refusal(spec, text, path=path, value={"description": 5}) == (
        f"{spec}:7:17: Connexion cannot serve this document at "
        "paths//x/get/responses/200/description: 5 is not of type 'string'"
    )


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_an_http_scheme_name_in_any_case_loads(tmp_path: Path, version: str) -> None:
    # OpenAPI's own tic-tac-toe example writes `scheme: Bearer` beside `bearerFormat`;
    # Connexion's 3.0 schema accepts `bearerFormat` only beside a lower-case `bearer`.
    spec = tmp_path / "svc.yaml"
    spec.write_text(
        f"openapi: {version}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n"
        "components:\n  securitySchemes:\n"
        "    jwt: {type: http, scheme: Bearer, bearerFormat: JWT}\n"
        "    basic: {type: http, scheme: Basic}\n"
    )
    contract = load_contract(spec, with_scenarios=False)
    document = connexion_document(contract)
    loaded = Specification.from_dict(document)
    schemes = loaded["components"]["securitySchemes"]
    assert schemes["jwt"]["scheme"] == "bearer" and schemes["basic"]["scheme"] == "basic"
    assert contract.security_schemes["jwt"]["scheme"] == "Bearer"  # the contract as written


def test_connexions_refusal_names_the_alternative_that_is_not_a_reference(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "svc.yaml"
    text = (
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "components:\n  securitySchemes:\n    key: {type: apiKey, in: header, name: k}\n"
    )
    path = ("components", "securitySchemes", "key", "in")
    assert connexion_refusal(spec, text, path=path, value="body") == (
        f"{spec}:6:25: Connexion cannot serve this document at "
        "components/securitySchemes/key/in: 'body' is not one of ['header', 'query', 'cookie']"
    )


@pytest.mark.parametrize(
    "schema",
    [
        {"const": {"kind": "widget"}},
        {"type": ["string", "null"], "examples": ["Sprocket"]},
        {"type": "null"},
        {"type": ["null"]},
        {"type": "array", "prefixItems": [{"type": "number"}, {"const": 1}], "items": False},
        {"type": "array", "prefixItems": [{"type": "boolean"}], "items": {"type": "integer"}},
        {"type": "array", "items": {"type": "integer"}, "minItems": 0, "maxItems": 0},
        {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3},
        {"type": "number", "exclusiveMinimum": 9.5, "maximum": 10},
        {"type": "number", "minimum": 0, "exclusiveMaximum": 0.5},
    ],
)
def test_generated_data_is_valid_against_a_3_1_schema(schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(schema)
    for seed in range(25):
        value = Generator(seed).value(schema)
        assert validator.is_valid(value), (seed, value)
