"""OpenAPI 3.1 documents served by the real mock on loopback: requests validated against
the 3.1 schemas (JSON Schema 2020-12), answers valid against them, a webhooks-only document
served with nothing to route, and 3.2 refused by the CLI in one line."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from contracts import Contract, load_contract
from mockserver.config import MockConfig
from tests.conftest import ROOT
from tests.mockserver.conftest import running
from tests.mockserver.test_cli import MOCKSERVER

FIXTURES = ROOT / "tests" / "fixtures"
PARTS = FIXTURES / "parts31.yaml"
WEBHOOKS = FIXTURES / "webhooks31.yaml"
A_PART = {"kind": "widget", "name": "Cog", "position": [1.5, -2]}


@pytest.fixture(scope="module")
def parts() -> Contract:
    return load_contract(PARTS, with_scenarios=False)


@pytest.fixture(scope="module", params=["express", "connexion"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """Both request paths: the express lane (validators called directly) and Connexion's
    middleware (`--no-express`)."""
    config = MockConfig(
        apis=(str(PARTS), str(WEBHOOKS)), seed=31, express=request.param == "express"
    )
    with running(config) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        yield client


def schema_of(contract: Contract, key: str, status: str) -> Mapping[str, Any]:
    schema = contract.operation(key).responses[status].content["application/json"].schema
    assert schema is not None
    return schema


def assert_valid(body: Any, schema: Mapping[str, Any]) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, (body, errors)


@pytest.mark.parametrize(
    "part",
    [
        A_PART,
        {**A_PART, "note": None, "weight": 0.01},  # a type array with null; exclusiveMinimum
        {**A_PART, "note": "spare", "photo": "iVBORw0KGgo="},  # contentMediaType: any string
    ],
    ids=["required-only", "null-and-bound", "content-media-type"],
)
def test_a_valid_part_is_added_and_answered_per_the_3_1_schema(
    client: httpx.Client, parts: Contract, part: dict[str, Any]
) -> None:
    response = client.post("/parts31/parts", json=part)
    assert response.status_code == 201, response.text
    body = response.json()
    assert_valid(body, schema_of(parts, "POST /parts", "201"))
    # the generated answer uses the 3.1 keywords: const, a prefixItems tuple, examples
    assert body["kind"] == "widget" and len(body["position"]) == 2
    assert body["name"] in ("Sprocket", "Flange")


@pytest.mark.parametrize(
    ("part", "field", "why"),
    [
        ({**A_PART, "kind": "gadget"}, "kind", "'widget' was expected"),
        ({**A_PART, "position": [1, "a"]}, "position.1", "'a' is not of type 'number'"),
        ({**A_PART, "position": [1, 2, 3]}, "position", "Expected at most 2 items"),
        ({**A_PART, "extra": 1}, "", "Unevaluated properties are not allowed ('extra'"),
        ({**A_PART, "weight": 0}, "weight", "0 is less than or equal to the minimum of 0"),
        ({**A_PART, "note": 5}, "note", "5 is not of type 'string', 'null'"),
        ({"kind": "widget", "position": [0, 0]}, "", "'name' is a required property"),
    ],
    ids=[
        "const",
        "prefixItems-type",
        "prefixItems-items-false",
        "unevaluatedProperties",
        "exclusiveMinimum",
        "type-array",
        "ref-sibling-required",
    ],
)
def test_a_part_violating_a_3_1_constraint_is_refused_naming_the_field(
    client: httpx.Client, part: dict[str, Any], field: str, why: str
) -> None:
    response = client.post("/parts31/parts", json=part)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert message.startswith(f"{field}: {why}" if field else why), message


@pytest.mark.parametrize(
    ("query", "status", "why"),
    [
        ("limit=1", 200, None),
        ("limit=50&colour=red", 200, None),
        ("limit=0", 400, "limit (query parameter): 0 is less than or equal to the minimum of 0"),
        ("limit=51", 400, "limit (query parameter): 51 is greater than the maximum of 50"),
        ("colour=blue", 400, "colour (query parameter): 'blue' is not one of"),
    ],
)
def test_query_parameters_are_checked_against_their_3_1_schemas(
    client: httpx.Client, parts: Contract, query: str, status: int, why: str | None
) -> None:
    response = client.get(f"/parts31/parts?{query}")
    assert response.status_code == status, response.text
    if why is None:
        assert_valid(response.json(), schema_of(parts, "GET /parts", "200"))
    else:
        assert response.json()["message"].startswith(why)


def test_a_const_path_parameter_accepts_its_value_only(
    client: httpx.Client, parts: Contract
) -> None:
    ok = client.get("/parts31/parts/widget")
    assert ok.status_code == 200
    assert_valid(ok.json(), schema_of(parts, "GET /parts/{kind}", "200"))
    refused = client.get("/parts31/parts/gadget")
    assert refused.status_code == 400
    assert refused.json()["message"] == "kind (path parameter): 'widget' was expected"


PHOTO = {"photo": ("front.png", b"\x89PNG\r\n\x1a\n", "image/png")}


@pytest.mark.parametrize(
    ("fields", "status", "why"),
    [
        ({"caption": "front", "rating": "5"}, 201, None),
        ({"caption": "front", "rating": "0"}, 400, "0 is less than or equal to the minimum of 0"),
        ({"caption": "front", "tag": "x"}, 400, "Unevaluated properties are not allowed ('tag'"),
    ],
    ids=["valid", "exclusiveMinimum", "unevaluatedProperties"],
)
def test_a_multipart_form_is_checked_against_its_3_1_schema(
    client: httpx.Client, parts: Contract, fields: dict[str, str], status: int, why: str | None
) -> None:
    response = client.post("/parts31/parts/widget/photos", data=fields, files=PHOTO)
    assert response.status_code == status, response.text
    if why is None:
        assert_valid(response.json(), schema_of(parts, "POST /parts/{kind}/photos", "201"))
    else:
        assert why in response.json()["message"]


@pytest.mark.parametrize(
    ("fields", "status", "why"),
    [
        ({"text": "Cog", "copies": "2", "shelf": "A"}, 201, None),
        ({"text": "Cog", "copies": "2"}, 400, "'shelf' is a dependency of 'copies'"),
        ({"text": "Cog", "shelf": "B"}, 400, "'A' was expected"),
        ({"text": "Cog", "colour": "red"}, 400, "('colour' was unexpected)"),
    ],
    ids=["valid", "dependentRequired", "const", "unevaluatedProperties"],
)
def test_a_url_encoded_form_is_checked_against_its_3_1_schema(
    client: httpx.Client, parts: Contract, fields: dict[str, str], status: int, why: str | None
) -> None:
    response = client.post("/parts31/parts/widget/labels", data=fields)
    assert response.status_code == status, response.text
    if why is None:
        assert_valid(response.json(), schema_of(parts, "POST /parts/{kind}/labels", "201"))
    else:
        assert why in response.json()["message"]


def test_a_webhooks_only_document_starts_with_nothing_to_route(client: httpx.Client) -> None:
    apis = {api["id"]: api for api in client.get("/__mock/health").json()["apis"]}
    assert apis["webhooks31"]["operations"] == 0
    assert apis["parts31"]["operations"] == 5
    unrouted = client.post("/webhooks31/newPet", json={"id": 1})
    assert unrouted.status_code == 404
    assert "no documented operation matches POST /webhooks31/newPet" in unrouted.text


def test_the_cli_refuses_3_2_in_one_line() -> None:
    spec = FIXTURES / "parts32.yaml"
    result = subprocess.run(
        [*MOCKSERVER, "serve", str(spec.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "mockserver: tests/fixtures/parts32.yaml:1:1: OpenAPI 3.2 is not supported yet "
        "(the mock serves 3.0.x and 3.1.x)\n"
    )


def test_an_operation_documenting_no_response_succeeds_without_a_body() -> None:
    """OpenAPI 3.1 makes `responses` optional: the mock promises nothing, so it answers 204
    (it used to fail with a 500); the guard still applies, whatever the scopes listed."""
    config = MockConfig(apis=(str(FIXTURES / "noresponses31.yaml"),))
    with (
        running(config) as (base, _),
        httpx.Client(
            base_url=f"{base}/noresponses31", limits=httpx.Limits(max_connections=1), timeout=10
        ) as client,
    ):
        refused = client.get("/users")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        bearer = {"Authorization": "Bearer any-token"}
        for _ in range(2):  # one connection: nothing left on it after the first answer
            answered = client.get("/users", headers=bearer)
            assert (answered.status_code, answered.content) == (204, b"")
            assert "content-length" not in answered.headers
        assert client.get("/users", headers={**bearer, "Prefer": "dynamic=true"}).status_code == 204
        unsatisfiable = client.get("/users", headers={**bearer, "Prefer": "code=200"})
        assert unsatisfiable.status_code == 422
        assert "documents no 200 response; available: none" in unsatisfiable.text


@pytest.mark.parametrize("express", [True, False], ids=["express", "connexion"])
def test_a_literal_null_body_is_accepted_where_the_3_1_schema_accepts_null(express: bool) -> None:
    config = MockConfig(apis=(str(FIXTURES / "untyped31.yaml"),), express=express)
    with running(config) as (base, _), httpx.Client(base_url=f"{base}/untyped31") as client:
        json_type = {"Content-Type": "application/json"}
        assert client.post("/backups", content=b"null", headers=json_type).status_code == 200
        assert client.post("/backups", json={"with_uploads": True}).status_code == 200
        refused = client.post("/backups", json={"with_uploads": "yes"})
        assert (refused.status_code, "with_uploads" in refused.text) == (400, True)
        # where the schema says `type: object`, a literal null is still refused
        typed = client.post("/restores", content=b"null", headers=json_type)
        assert typed.status_code == 400
        assert "the body is null" in typed.text
