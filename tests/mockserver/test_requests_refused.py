"""Requests the API would refuse: the documented status, in that API's own error shape."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from contracts import load_contract
from mockserver.config import MockConfig
from tests.conftest import API_IDS, SPECS
from tests.mockserver.conftest import (
    assert_conforms,
    auth_headers,
    last_entry,
    running,
    success_request,
)

CONTRACTS = {api: load_contract(SPECS / f"{api}.yaml") for api in API_IDS}


def _message(body: object) -> str:
    """The human message wherever the API keeps it."""
    if isinstance(body, dict):
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
        for value in body.values():
            if isinstance(value, dict):
                return _message(value)
    return ""


def _base(api: str) -> dict[str, object]:
    return success_request(CONTRACTS[api])


REFUSALS = [
    (
        "malformed JSON",
        {"content": b'{"trigger": ', "headers": {"Content-Type": "application/json"}},
        "not valid JSON",
    ),
    (
        "invalid UTF-8",
        {"content": b'{"a": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}},
        "not valid utf-8",
    ),
    (
        "deeply nested JSON",
        {"content": b"[" * 10_000 + b"]" * 10_000, "headers": {"Content-Type": "application/json"}},
        "",
    ),
    ("JSON array for an object", {"json": [1, 2]}, "is not of type 'object'"),
    (
        "literal null for an object",
        {"content": b"null", "headers": {"Content-Type": "application/json"}},
        "null",
    ),
    ("JSON string for an object", {"json": "run"}, "is not of type 'object'"),
    (
        "unknown content type",
        {"content": b"trigger=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        "content type",
    ),
]


@pytest.mark.parametrize("api", API_IDS)
@pytest.mark.parametrize(("label", "change", "fragment"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal_in_the_apis_shape(
    client: httpx.Client, api: str, label: str, change: dict[str, object], fragment: str
) -> None:
    contract = CONTRACTS[api]
    kwargs = _base(api)
    kwargs.pop("json", None)
    headers = dict(kwargs.pop("headers"))  # type: ignore[call-overload]
    headers.update(change.get("headers", {}))  # type: ignore[call-overload]
    kwargs.update({k: v for k, v in change.items() if k != "headers"})
    response = client.request(**kwargs, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    body = assert_conforms(contract, response)
    assert fragment.lower() in _message(body).lower()
    good = client.request(**_base(api))  # the server is still well
    assert good.status_code < 300


FIELD_REFUSALS = [
    ("pharen", {"path": "/pharen/api/flow/workflows/not-a-uuid/execute/"}, "workflow_uuid"),
    ("pharen", {"params": {}}, "team_id"),
    ("example", {"json": {"runId": "abc"}}, "runId"),
    ("example", {"json": {"dustTest": True, "simulate": True}}, "mutually exclusive"),
    ("example", {"json": {"version": "two"}}, "version"),
    ("wiv", {"json": {"payload": [1]}}, "payload"),
    ("altostrat", {"json": {"context": "x"}}, "context"),
    ("quiva", {"json": {"trigger": {}, "await": "yes"}}, "await"),
]


@pytest.mark.parametrize(
    ("api", "change", "field"), FIELD_REFUSALS, ids=[f"{a}-{f}" for a, _, f in FIELD_REFUSALS]
)
def test_refusal_names_the_field(
    client: httpx.Client, api: str, change: dict[str, object], field: str
) -> None:
    kwargs = _base(api)
    if "path" in change:
        kwargs["url"] = change.pop("path")
    kwargs.update(change)
    response = client.request(**kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    body = assert_conforms(CONTRACTS[api], response)
    assert field in _message(body)


@pytest.mark.parametrize("api", API_IDS)
def test_missing_credentials_get_the_apis_401(client: httpx.Client, api: str) -> None:
    contract = CONTRACTS[api]
    kwargs = _base(api)
    kwargs["headers"] = {}
    response = client.request(**kwargs)  # type: ignore[arg-type]
    assert response.status_code == 401
    body = assert_conforms(contract, response)
    assert "credentials" in _message(body)
    assert last_entry(client, api)["rule"].startswith("guard")


@pytest.mark.parametrize("api", API_IDS)
@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"])
def test_malformed_credentials_get_the_apis_401(
    client: httpx.Client, api: str, header: str
) -> None:
    kwargs = _base(api)
    kwargs["headers"] = {"Authorization": header}
    response = client.request(**kwargs)  # type: ignore[arg-type]
    assert response.status_code == 401
    assert_conforms(CONTRACTS[api], response)


def test_quiva_accepts_either_credential(client: httpx.Client) -> None:
    contract = CONTRACTS["quiva"]
    kwargs = _base("quiva")
    for headers in (auth_headers(contract), auth_headers(contract, "api_key")):
        kwargs["headers"] = headers
        assert client.request(**kwargs).status_code == 200  # type: ignore[arg-type]
    kwargs["headers"] = {"X-Api-Key": ""}
    assert client.request(**kwargs).status_code == 401  # type: ignore[arg-type]


def test_wiv_wants_its_own_header(client: httpx.Client) -> None:
    kwargs = _base("wiv")
    kwargs["headers"] = {"Authorization": "Bearer wiv_test_api_key"}
    response = client.request(**kwargs)  # type: ignore[arg-type]
    assert response.status_code == 401
    assert "X-API-KEY" in _message(response.json())


def test_unknown_path_under_an_api_is_a_404_in_its_shape(client: httpx.Client) -> None:
    response = client.post("/quiva/hub/nothing", json={})
    assert response.status_code == 404
    assert "POST /hub/workflows/{collection_topic}/{flow_topic}/run" in response.json()["error"]


def test_unknown_path_outside_the_apis_is_a_mock_problem(client: httpx.Client) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "/quiva" in response.json()["detail"]


# Tic Tac Toe's shape (learn.openapis.org): the operation's own 400 is `text/html`, its 401
# plain text; another operation documents a JSON error the refusal must not borrow.
NON_JSON_ERRORS = """\
openapi: 3.0.3
info: {title: Squares, version: '1'}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
paths:
  /squares/{row}:
    get:
      parameters:
        - {name: row, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 3}}
      security: [{bearer: []}]
      responses:
        '200':
          description: the square
          content: {application/json: {schema: {type: string, enum: [X, O, '.']}}}
        '400':
          description: illegal coordinates
          content:
            text/html:
              schema: {type: string, maxLength: 40}
              example: Illegal coordinates
        '401':
          description: who are you
          content: {text/plain: {schema: {type: string, enum: [Unauthorized]}}}
  /games:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {type: object}}}
      responses:
        '201': {description: started}
        '400':
          description: invalid
          content:
            application/json:
              schema: {type: object, required: [message], properties: {message: {type: string}}}
"""


def test_a_refusal_takes_the_operations_own_non_json_error(tmp_path: Path) -> None:
    spec = tmp_path / "squares.yaml"
    spec.write_text(NON_JSON_ERRORS, encoding="utf-8")
    with running(MockConfig(apis=(str(spec),))) as (base, _), httpx.Client(base_url=base) as c:
        refused = c.get("/squares/squares/9", headers={"Authorization": "Bearer t"})
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("text/html")
        # the message, cut to the schema's maxLength
        assert refused.text == "row (path parameter): 9 is greater than the maximum of 3"[:40]
        anonymous = c.get("/squares/squares/1")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("text/plain")
        assert anonymous.text == "Unauthorized"  # the message fits no enum: a value that does
        assert c.get("/squares/squares/1", headers={"Authorization": "Bearer t"}).json() in (
            "X",
            "O",
            ".",
        )
