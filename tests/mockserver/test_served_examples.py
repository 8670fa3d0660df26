"""An example that breaks its own schema is never served as it is: the real mock serves it
repaired or generated, warns once at start-up, and `contracts lint` reports the same ones."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import Contract, load_contract
from contracts.examples import schema_validator
from contracts.lint import lint_spec
from mockserver.app import MockServer
from mockserver.config import MockConfig
from tests.mockserver.conftest import running

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes.yaml"
_WARNING = re.compile(
    r"^(?P<file>.+):(?P<line>\d+): example (?P<name>\S+) of (?P<op>\S+ \S+) (?P<status>\d+) "
    r"does not match its schema: (?P<cause>.+); (?P<served>serving generated data|serving it repaired)$"
)


@pytest.fixture(scope="module")
def shapes() -> Contract:
    return load_contract(SHAPES, with_scenarios=False)


@pytest.fixture(scope="module")
def served(
    shapes: Contract, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, MockServer, list[str]]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logger = logging.getLogger("mockserver")
    logger.addHandler(handler)
    try:
        with running(MockConfig(apis=(str(SHAPES),), seed=3)) as (base, server):
            yield base, server, [r.getMessage() for r in records if r.levelno == logging.WARNING]
    finally:
        logger.removeHandler(handler)


def body_errors(shapes: Contract, op_key: str, status: str, body: Any) -> list[str]:
    schema = shapes.operation(op_key).responses[status].content["application/json"].schema
    assert schema is not None
    validator = schema_validator({**schema, "components": shapes.resolved["components"]}, "3.0.3")
    return [e.message for e in validator.iter_errors(body)]


def test_start_up_warns_once_per_invalid_example(served: tuple[str, MockServer, list[str]]) -> None:
    warnings = [w for w in served[2] if "does not match its schema" in w]
    parsed = [_WARNING.match(w) for w in warnings]
    assert all(parsed), warnings
    seen = {(m["name"], m["op"], m["status"], m["served"]) for m in parsed if m}
    assert seen == {
        ("broken", "GET /orders/{id}", "200", "serving generated data"),
        ("example", "GET /counts", "200", "serving it repaired"),
        # one response shared by two operations: one warning, naming the first
        ("stale", "GET /orders", "200", "serving generated data"),
    }
    assert len(warnings) == 3
    first = next(m for m in parsed if m and m["name"] == "broken")
    assert (
        first["file"] == str(SHAPES) and "total: 'twelve' is not of type 'number'" in first["cause"]
    )


def test_an_invalid_example_is_answered_with_generated_data_valid_for_its_schema(
    served: tuple[str, MockServer, list[str]], shapes: Contract
) -> None:
    with httpx.Client(base_url=served[0]) as client:
        for request in (
            {},
            {"headers": {"Prefer": "example=broken"}},
            {"params": {"__example": "broken"}},
        ):
            response = client.get("/shapes/orders/ord_1", **request)
            assert response.status_code == 200
            body = response.json()
            assert body != {"id": "ord_1", "total": "twelve"}
            assert body_errors(shapes, "GET /orders/{id}", "200", body) == []
        for path in ("/shapes/orders", "/shapes/archive/orders"):
            listed = client.get(path).json()
            assert body_errors(shapes, "GET /orders", "200", listed) == []
            assert all(order["currency"] in ("EUR", "USD") for order in listed)


def test_an_unambiguous_type_slip_is_served_repaired(
    served: tuple[str, MockServer, list[str]],
) -> None:
    with httpx.Client(base_url=served[0]) as client:
        assert client.get("/shapes/counts").json() == {"count": 5}


def test_a_valid_example_is_served_as_written(served: tuple[str, MockServer, list[str]]) -> None:
    with httpx.Client(base_url=served[0]) as client:
        response = client.get("/shapes/orders/x", headers={"Prefer": "code=404"})
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "no such order"}


def test_a_refusal_never_takes_the_shape_of_an_error_example_its_schema_refuses() -> None:
    """A refusal is an instance of the API's documented error: an error example its own
    schema refuses (missing a required field) lends no shape; data generated for the
    schema does, with the refusal's message, and is drawn again until the schema accepts
    it (GitHub's `oneOf` of two error shapes)."""
    spec = SHAPES.parent / "errorshape.yaml"
    contract = load_contract(spec, with_scenarios=False)
    schema = contract.operation("PATCH /advisories").responses["422"].content["application/json"]
    validator = schema_validator(schema.schema or {}, contract.openapi_version)
    blob = contract.operation("POST /blobs").responses["422"].content["application/json"]
    one_of = schema_validator(blob.schema or {}, contract.openapi_version)
    with running(MockConfig(apis=(str(spec),), seed=3)) as (base, _server):
        for body in ({"severity": "bogus"}, [{"severity": "low"}]):
            refused = httpx.patch(f"{base}/errorshape/advisories", json=body)
            assert refused.status_code == 422, refused.text
            assert [e.message for e in validator.iter_errors(refused.json())] == []
            assert "is not" in refused.json()["message"]
        # generated for a `oneOf` whose branches both accept {message, documentation_url}:
        # every refusal is valid under exactly one
        for _ in range(60):
            refused = httpx.post(f"{base}/errorshape/blobs", json={"content": 1})
            assert refused.status_code == 422, refused.text
            assert [e.message for e in one_of.iter_errors(refused.json())] == [], refused.text


def test_lint_reports_exactly_the_examples_the_mock_replaces(
    served: tuple[str, MockServer, list[str]],
) -> None:
    replaced = {
        (m["file"], int(m["line"])) for m in (_WARNING.match(w) for w in served[2]) if m is not None
    }
    reported = {
        (f.file, f.line)
        for f in lint_spec(SHAPES)
        if f.rule == "example-invalid"
        # a response example, or one written in components/examples (where both report it)
        and (
            ".responses." in f.path
            or f.path.startswith(("components.responses.", "components.examples."))
        )
    }
    assert reported == replaced
    assert len(replaced) == 3


def test_generated_answers_validate_recursive_tagged_and_surrogate_patterns(
    served: tuple[str, MockServer, list[str]], shapes: Contract
) -> None:
    with httpx.Client(base_url=served[0]) as client:
        for op_key, url in (
            ("GET /trees/{id}", "/shapes/trees/t1"),
            ("GET /pets", "/shapes/pets"),
            ("GET /labels", "/shapes/labels"),
        ):
            for _ in range(5):
                response = client.get(url, headers={"Prefer": "dynamic=true"})
                assert response.status_code == 200, response.text
                assert body_errors(shapes, op_key, "200", response.json()) == [], response.text


def test_examples_are_checked_where_the_contracts_load_and_the_warnings_reach_stderr() -> None:
    """As `mockserver serve` builds the app: the check runs in the loading child, so the
    serving process never imports its validators (openapi-schema-validator, pydantic)."""
    script = """
import sys
from mockserver.build import build_app
from mockserver.config import MockConfig
build_app(MockConfig(apis=(sys.argv[1],)))
print(sorted(m for m in ("openapi_schema_validator", "pydantic", "prance") if m in sys.modules))
"""
    run = subprocess.run(
        [sys.executable, "-c", script, str(SHAPES)], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 3 and all(_WARNING.match(line) for line in lines), lines
