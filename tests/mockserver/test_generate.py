"""Generated data validates against its schema, by the real validator (jsonschema with the
OpenAPI dialects: Draft 4 + `nullable` for 3.0, Draft 2020-12 for 3.1), never by ours."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from contracts import Contract, load_contract
from contracts.examples import schema_validator
from mockserver.config import MockConfig
from mockserver.generate import Generator, sample_regex
from mockserver.render import json_bytes
from tests.mockserver.conftest import running

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SHAPES = FIXTURES / "shapes.yaml"


def errors_of(
    value: Any, schema: Mapping[str, Any], version: str, document: Any = None
) -> list[str]:
    full = dict(schema)
    if document is not None and "components" in document:
        full.setdefault("components", document["components"])
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in schema_validator(full, version).iter_errors(value)
    ]


def assert_generates_valid(
    schema: Mapping[str, Any], version: str, document: Any = None, seeds: int = 5
) -> None:
    for seed in range(seeds):
        value = Generator(seed).value(schema, document=document, openapi_version=version)
        assert errors_of(value, schema, version, document) == [], (schema, value)
        json_bytes(value)  # encodable: no lone surrogate


# -- schemas drawn by Hypothesis ---------------------------------------------------------

_PATTERNS = (
    r"^[a-z]{3,8}$",
    r"^ord_[0-9a-f]{6}$",
    r"^\d{3}-\d{4}$",
    r"^(?:red|green|blue)$",
    r"^[\ud800-\udfffa-c]{2,5}$",
    r"^[^\s]+@[^\s]+$",
    r"^(ab|cd)\1$",
    r"^[\u0020-\uffff]{1,4}$",
)
_FORMATS = ("date", "date-time", "uuid", "email", "uri", "ipv4", "ipv6", "hostname", "byte")
_NAMES = st.sampled_from(["id", "name", "email", "created_at", "url", "kind", "count", "tags"])


@st.composite
def string_schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    choice = draw(st.sampled_from(["plain", "pattern", "format", "enum"]))
    if choice == "pattern":
        schema["pattern"] = draw(st.sampled_from(_PATTERNS))
    elif choice == "format":
        schema["format"] = draw(st.sampled_from(_FORMATS))
    elif choice == "enum":
        schema["enum"] = draw(st.lists(st.text(max_size=5), min_size=1, max_size=4, unique=True))
    else:
        low = draw(st.integers(0, 12))
        schema["minLength"] = low
        if draw(st.booleans()):
            schema["maxLength"] = low + draw(st.integers(0, 6))
    return schema


@st.composite
def number_schemas(draw: st.DrawFn, v31: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(["integer", "number"]))
    schema: dict[str, Any] = {"type": kind}
    step: float | None = draw(st.sampled_from([None, None, 2, 5, 0.5, 0.1, 0.25]))
    if kind == "integer" and isinstance(step, float):
        step = 3
    width = 2 * (step or 1) + 4
    if draw(st.booleans()):
        low = draw(st.integers(-(10**6), 10**6))
        if v31 and draw(st.booleans()):
            schema["exclusiveMinimum"] = low
        else:
            schema["minimum"] = low
            if draw(st.booleans()):
                schema["exclusiveMinimum"] = True if not v31 else low - 1
        if draw(st.booleans()):
            key = "exclusiveMaximum" if v31 and draw(st.booleans()) else "maximum"
            schema[key] = low + width + draw(st.integers(0, 100))
    elif draw(st.booleans()):
        schema["maximum"] = draw(st.integers(-(10**6), 10**6))
    if step is not None:
        schema["multipleOf"] = step
    if kind == "integer" and draw(st.booleans()):
        schema["format"] = draw(st.sampled_from(["int32", "int64"]))
    return schema


def leaf_schemas(v31: bool) -> st.SearchStrategy[dict[str, Any]]:
    leaves = [
        string_schemas(),
        number_schemas(v31),
        st.just({"type": "boolean"}),
        st.just({}),
    ]
    if v31:
        leaves += [st.just({"type": "null"}), st.builds(lambda v: {"const": v}, st.integers())]
    return st.one_of(leaves)


def nullable(schema: dict[str, Any], v31: bool) -> dict[str, Any]:
    kind = schema.get("type")
    if not isinstance(kind, str):
        return schema
    return {**schema, "type": [kind, "null"]} if v31 else {**schema, "nullable": True}


def compound(children: st.SearchStrategy[dict[str, Any]], v31: bool) -> Any:
    @st.composite
    def objects(draw: st.DrawFn) -> dict[str, Any]:
        props = draw(st.dictionaries(_NAMES, children, max_size=4))
        required = [p for p in props if draw(st.booleans())]
        schema: dict[str, Any] = {"type": "object", "properties": props, "required": required}
        if not required:
            del schema["required"]
        extra = draw(st.sampled_from(["absent", "false", "schema"]))
        if extra == "false":
            schema["additionalProperties"] = False
        elif extra == "schema":
            schema["additionalProperties"] = draw(children)
        if draw(st.booleans()):
            schema["minProperties"] = min(len(props), 2) if extra == "false" else 2
        return schema

    @st.composite
    def arrays(draw: st.DrawFn) -> dict[str, Any]:
        low = draw(st.integers(0, 3))
        schema: dict[str, Any] = {"type": "array", "items": draw(children), "minItems": low}
        if draw(st.booleans()):
            schema["maxItems"] = low + draw(st.integers(0, 3))
        return schema

    @st.composite
    def unique_arrays(draw: st.DrawFn) -> dict[str, Any]:
        items = draw(st.sampled_from([{"type": "string", "format": "uuid"}, {"type": "integer"}]))
        return {"type": "array", "items": items, "uniqueItems": True, "minItems": 3}

    @st.composite
    def combined(draw: st.DrawFn) -> dict[str, Any]:
        kind = draw(st.sampled_from(["allOf", "oneOf", "anyOf", "not", "nullable"]))
        if kind == "allOf":
            parts = draw(st.lists(objects(), min_size=1, max_size=3))
            for n, part in enumerate(parts):  # disjoint parts, as inheritance writes them
                part.pop("additionalProperties", None)
                part.pop("minProperties", None)
                part["properties"] = {f"{k}{n}": v for k, v in part["properties"].items()}
                if "required" in part:
                    part["required"] = [f"{k}{n}" for k in part["required"]]
            return {"allOf": parts}
        if kind == "oneOf":  # branches of distinct types: one at a time can match
            return {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "integer"},
                    {"type": "object", "required": ["a"], "properties": {"a": draw(children)}},
                ]
            }
        if kind == "anyOf":
            return {"anyOf": draw(st.lists(children, min_size=1, max_size=3))}
        if kind == "not":
            return {"not": {"type": draw(st.sampled_from(["string", "integer", "object"]))}}
        return nullable(draw(children), v31)

    return st.one_of(objects(), arrays(), unique_arrays(), combined())


def schemas(v31: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(leaf_schemas(v31), lambda c: compound(c, v31), max_leaves=12)


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
@_SETTINGS
@given(data=st.data(), seed=st.integers(0, 1000))
def test_generated_values_validate(version: str, data: st.DataObject, seed: int) -> None:
    schema = data.draw(schemas(v31=version.startswith("3.1")), label="schema")
    value = Generator(seed).value(schema, openapi_version=version)
    assert errors_of(value, schema, version) == [], value
    json_bytes(value)


# -- every schema of real documents ------------------------------------------------------


def document_schemas(contract: Contract) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every component schema and every response schema of the resolved document."""
    components = (contract.resolved.get("components") or {}).get("schemas") or {}
    for name, schema in components.items():
        yield f"components/{name}", schema
    for op in contract.operations:
        for status, response in op.responses.items():
            for media_type, media in response.content.items():
                if media.schema is not None and "json" in media_type:
                    yield f"{op.key} {status} {media_type}", media.schema


def test_every_schema_of_the_five_specs_generates_valid_data(
    contracts: dict[str, Contract],
) -> None:
    checked = 0
    for contract in contracts.values():
        for _, schema in document_schemas(contract):
            assert_generates_valid(schema, contract.openapi_version, contract.resolved)
            checked += 1
    assert checked > 20


def test_every_schema_of_the_fixture_generates_valid_data_resolved_or_not() -> None:
    contract = load_contract(SHAPES, with_scenarios=False)
    for _, schema in document_schemas(contract):
        assert_generates_valid(schema, contract.openapi_version, contract.resolved, seeds=20)
    written = contract.source.data
    for schema in written["components"]["schemas"].values():
        assert_generates_valid(schema, contract.openapi_version, written, seeds=20)


# -- what each keyword family does -------------------------------------------------------


def test_a_recursive_schema_ends_and_fills_only_required_fields_when_deep() -> None:
    document = load_contract(SHAPES, with_scenarios=False).source.data
    node = document["components"]["schemas"]["Node"]

    def depth(value: Any) -> int:
        below = [depth(c) for c in value["children"]] + (
            [depth(value["parent"])] if "parent" in value else []
        )
        return 1 + max(below, default=0)

    for seed in range(30):
        value = Generator(seed).value(node, document=document)
        assert depth(value) <= 5
        assert errors_of(value, node, "3.0.3", document) == []


def plain_errors(value: Any, schema: Mapping[str, Any], document: Any) -> list[str]:
    """JSON Schema's reading (Draft 4, no discriminator): what Schemathesis checks."""
    full = {**schema, "components": document["components"]}
    return [e.message for e in Draft4Validator(full).iter_errors(value)]


def test_a_discriminator_tags_the_branch_and_plain_one_of_holds_too() -> None:
    document = load_contract(SHAPES, with_scenarios=False).source.data
    pet = {"$ref": "#/components/schemas/Pet"}
    for seed in range(40):
        value = Generator(seed).value(pet, document=document)
        assert errors_of(value, pet, "3.0.3", document) == [], value
        assert plain_errors(value, pet, document) == [], value
        # every Dog is a Cat too (Cat allows any field): only cats meet both readings
        assert value["kind"] == "cat"


def test_one_of_without_discriminator_matches_one_branch_only() -> None:
    document = load_contract(SHAPES, with_scenarios=False).source.data
    either = {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}
    for seed in range(40):
        value = Generator(seed).value(either, document=document)
        # a Dog is always a Cat too (Cat allows any field): only cats satisfy oneOf
        assert errors_of(value, either, "3.0.3", document) == [], value
        assert "good" not in value


def test_discriminator_values_follow_the_mapping_when_branches_are_exclusive() -> None:
    document = {
        "components": {
            "schemas": {
                "Circle": {
                    "type": "object",
                    "required": ["shape", "radius"],
                    "properties": {"shape": {"type": "string"}, "radius": {"type": "number"}},
                    "additionalProperties": False,
                },
                "Square": {
                    "type": "object",
                    "required": ["shape", "side"],
                    "properties": {"shape": {"type": "string"}, "side": {"type": "integer"}},
                    "additionalProperties": False,
                },
            }
        }
    }
    schema = {
        "oneOf": [
            {"$ref": "#/components/schemas/Circle"},
            {"$ref": "#/components/schemas/Square"},
        ],
        "discriminator": {
            "propertyName": "shape",
            "mapping": {"round": "#/components/schemas/Circle"},
        },
    }
    seen = {}
    for seed in range(30):
        value = Generator(seed).value(schema, document=document)
        assert errors_of(value, schema, "3.0.3", document) == []
        assert plain_errors(value, schema, document) == []
        seen["radius" in value] = value["shape"]
    assert seen == {True: "round", False: "Square"}


def test_a_regex_class_over_the_surrogates_never_yields_one() -> None:
    import random

    rng = random.Random(3)
    for pattern in (r"[\ud800-\udfff]", r"^[\ud7f0-\ue010]{5}$", "[\ud800a]"):
        for _ in range(200):
            text = sample_regex(pattern, rng)
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text), pattern
            text.encode("utf-8")


def test_json_bytes_escapes_a_lone_surrogate_instead_of_failing() -> None:
    assert json_bytes({"a": "x\ud800y"}) == b'{"a":"x\\ud800y"}'
    assert json_bytes({"a": "é"}) == '{"a":"é"}'.encode()


@pytest.mark.parametrize(
    ("schema", "check"),
    [
        ({"type": "integer", "format": "int32", "minimum": 2**31 - 3}, lambda v: v < 2**31),
        ({"type": "number", "multipleOf": 0.1, "minimum": 0.05, "maximum": 0.35}, bool),
        ({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, lambda v: v == 6),
        ({"type": "string", "format": "byte"}, lambda v: len(v) % 4 == 0),
        ({"type": "object", "minProperties": 3}, lambda v: len(v) >= 3),
        ({"type": ["null", "integer"]}, lambda v: isinstance(v, int)),
        ({"not": {"type": "string"}}, lambda v: not isinstance(v, str)),
    ],
    ids=[
        "int32-ceiling",
        "float-multiple",
        "exclusive-31",
        "byte",
        "min-properties",
        "null-or-int",
        "not",
    ],
)
def test_keyword(schema: dict[str, Any], check: Any) -> None:
    for seed in range(10):
        value = Generator(seed).value(schema, openapi_version="3.1.0")
        assert errors_of(value, schema, "3.1.0") == [], value
        assert check(value), value


UNTAGGABLE = FIXTURES / "untaggable.yaml"


def test_a_discriminator_no_branch_can_carry_leaves_its_optional_property_out() -> None:
    """Served by the real mock: each answer meets the OpenAPI reading (the tag names the
    branch) and plain JSON Schema's; what no value can meet is left out."""
    document = load_contract(UNTAGGABLE, with_scenarios=False).source.data
    schema = document["paths"]["/player"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    with running(MockConfig(apis=(str(UNTAGGABLE),), seed=3)) as (base, _app):
        for _ in range(12):
            answer = httpx.get(f"{base}/untaggable/player", headers={"Prefer": "dynamic=true"})
            assert answer.status_code == 200
            body = answer.json()
            assert errors_of(body, schema, "3.0.3", document) == [], body
            assert plain_errors(body, schema, document) == [], body
            assert "item" not in body
            assert body.get("queue", []) == []
            assert body["next"]["type"] == "song"
