"""Non-JSON responses through the real mock: text and XML from examples or generated,
binary bytes, and the media type chosen by the client's Accept (406 when none fits)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from contracts import load_contract
from contracts.examples import schema_validator
from mockserver.config import MockConfig
from tests.mockserver.conftest import running

SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes.yaml"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with (
        running(MockConfig(apis=(str(SHAPES),), seed=5)) as (base, _),
        httpx.Client(base_url=f"{base}/shapes") as c,
    ):
        yield c


def test_a_text_example_is_sent_as_written(client: httpx.Client) -> None:
    response = client.get("/greeting")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Hello, shapes!"


def test_text_without_example_is_a_generated_sentence_within_its_bounds(
    client: httpx.Client,
) -> None:
    for _ in range(5):
        response = client.get("/motto")
        assert response.headers["content-type"] == "text/plain"
        assert 0 < len(response.text) <= 40
        assert not response.text.startswith('"')  # text, not a JSON string


def test_accept_picks_the_xml_representation(client: httpx.Client) -> None:
    response = client.get("/report", headers={"Accept": "application/xml"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "report"  # xml.name
    assert root.find("title") is not None and root.find("title").text  # type: ignore[union-attr]
    rows = root.find("rows")  # wrapped: one element holding the items, each named row
    assert rows is not None and len(rows) >= 1 and {child.tag for child in rows} == {"row"}
    if "version" in root.attrib:  # xml.attribute
        assert root.attrib["version"].lstrip("-").isdigit()
    assert root.find("version") is None


def test_quality_values_decide_and_json_stays_the_default(client: httpx.Client) -> None:
    preferring_xml = {"Accept": "application/json;q=0.2, application/xml;q=0.9"}
    assert client.get("/report", headers=preferring_xml).headers["content-type"] == (
        "application/xml"
    )
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/*, text/html;q=0.1"}):
        response = client.get("/report", headers=headers)
        assert response.headers["content-type"] == "application/json"
        report = load_contract(SHAPES, with_scenarios=False).resolved["components"]["schemas"]
        errors = list(schema_validator(report["Report"], "3.0.3").iter_errors(response.json()))
        assert errors == []


def test_no_acceptable_type_is_the_documented_406(client: httpx.Client) -> None:
    response = client.get("/report", headers={"Accept": "text/csv"})
    assert response.status_code == 406
    error = load_contract(SHAPES, with_scenarios=False).resolved["components"]["schemas"]["Error"]
    assert list(schema_validator(error, "3.0.3").iter_errors(response.json())) == []


def test_no_acceptable_type_without_a_documented_406_is_refused_in_the_api_shape(
    client: httpx.Client,
) -> None:
    response = client.get("/greeting", headers={"Accept": "application/json"})
    assert response.status_code in (400, 406)
    body = response.json()
    assert "text/plain" in str(body)  # the refusal names what the API offers


def test_binary_media_answer_bytes(client: httpx.Client) -> None:
    response = client.get("/logo")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_contracts_verify_finds_nothing_in_the_mock_of_the_fixture(client: httpx.Client) -> None:
    """Schemathesis' plain JSON Schema reading of every answer (oneOf without the
    discriminator, media types, schemas) agrees with the mock's generated data."""
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("contracts")),
            "verify",
            str(SHAPES),
            "--base-url",
            str(client.base_url).rstrip("/"),
            "--max-examples",
            "10",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "shapes conforms to its contract" in run.stdout
