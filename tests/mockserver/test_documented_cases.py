"""Every scenario case, every request example and every documented example, end to end."""

from __future__ import annotations

import httpx
import pytest

from contracts import Case, load_contract
from tests.conftest import API_IDS, SPECS
from tests.mockserver.conftest import (
    assert_conforms,
    auth_headers,
    case_request,
    last_entry,
    success_case,
)

CONTRACTS = {api: load_contract(SPECS / f"{api}.yaml") for api in API_IDS}
CASES = [
    pytest.param(api, case, id=f"{api}-{case.name}")
    for api, contract in CONTRACTS.items()
    for case in (contract.scenarios.cases if contract.scenarios else ())
]
REQUEST_EXAMPLES = [
    pytest.param(api, name, id=f"{api}-{name}")
    for api, contract in CONTRACTS.items()
    for name in contract.operation().request_examples
]
RESPONSE_EXAMPLES = [
    pytest.param(api, status, example.name, id=f"{api}-{status}-{example.name}")
    for api, contract in CONTRACTS.items()
    for status, response in contract.operation().responses.items()
    for _, example in response.examples
]


@pytest.mark.parametrize(("api", "case"), CASES)
def test_scenario_case(fresh: httpx.Client, api: str, case: Case) -> None:
    contract = CONTRACTS[api]
    response = fresh.request(**case_request(contract, case))
    assert response.status_code == case.expect.status, response.text
    body = assert_conforms(contract, response)
    assert response.headers["content-type"].startswith(case.expect.media_type)
    documented = contract.operation().response_example(case.expect.example)
    assert documented is not None
    if case.expect.match == "exact":
        assert body == documented[2].value
    entry = last_entry(fresh, api)
    if case.expect.status in (400, 401) and entry["rule"].startswith(("guard", "validate")):
        return  # refusals are rendered in the documented shape with their own message
    assert entry["example"] == case.expect.example, entry["rule"]


@pytest.mark.parametrize(("api", "name"), REQUEST_EXAMPLES)
def test_request_example_gets_its_paired_response(fresh: httpx.Client, api: str, name: str) -> None:
    contract = CONTRACTS[api]
    kwargs = case_request(contract, success_case(contract))
    kwargs["json"] = contract.operation().request_examples[name].value
    response = fresh.request(**kwargs)
    assert response.status_code < 300, response.text
    assert_conforms(contract, response)
    assert contract.scenarios is not None
    assert last_entry(fresh, api)["example"] == contract.scenarios.pairs[name]


def test_quiva_pairs_are_exactly_the_documented_ones(fresh: httpx.Client) -> None:
    contract = CONTRACTS["quiva"]
    op = contract.operation()
    expected = {
        "singleTriggerSync": "awaitedSuccess",
        "complexTrigger": "complexResult",
        "singleTriggerAsync": "notAwaitedSuccess",
        "multipleTriggers": "notAwaitedSuccess",
        "minimalTrigger": "notAwaitedSuccess",
    }
    for request_example, response_example in expected.items():
        response = fresh.post(
            "/quiva/hub/workflows/1234567890/21312322/run",
            json=op.request_examples[request_example].value,
            headers=auth_headers(contract),
        )
        body = assert_conforms(contract, response)
        assert last_entry(fresh, "quiva")["example"] == response_example
        assert ("result" in body) == (response_example != "notAwaitedSuccess")


@pytest.mark.parametrize(("api", "status", "example"), RESPONSE_EXAMPLES)
def test_prefer_reaches_every_documented_example(
    fresh: httpx.Client, api: str, status: str, example: str
) -> None:
    contract = CONTRACTS[api]
    case = success_case(contract)
    kwargs = case_request(contract, case)
    kwargs["headers"]["Prefer"] = f"code={status}, example={example}"
    response = fresh.request(**kwargs)
    assert response.status_code == int(status)
    assert_conforms(contract, response)
    entry = last_entry(fresh, api)
    assert (entry["rule"], entry["example"]) == ("prefer", example)


@pytest.mark.parametrize("api", API_IDS)
def test_prefer_as_query_parameters(fresh: httpx.Client, api: str) -> None:
    contract = CONTRACTS[api]
    case = success_case(contract)
    status, response_ = next(
        (s, r) for s, r in contract.operation().responses.items() if s.startswith("4")
    )
    example = next(iter(response_.examples))[1].name
    kwargs = case_request(contract, case)
    kwargs["params"] = {**kwargs["params"], "__code": status, "__example": example}
    response = fresh.request(**kwargs)
    assert response.status_code == int(status)
    assert last_entry(fresh, api)["example"] == example


@pytest.mark.parametrize("api", API_IDS)
def test_impossible_preference_is_a_422_listing_what_exists(fresh: httpx.Client, api: str) -> None:
    contract = CONTRACTS[api]
    case = success_case(contract)
    for prefer, fragment in (
        ("code=418", "documents no 418"),
        ("example=NoSuchExample", "no example 'NoSuchExample'"),
    ):
        kwargs = case_request(contract, case)
        kwargs["headers"]["Prefer"] = prefer
        response = fresh.request(**kwargs)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "prefer-unsatisfiable"
        assert fragment in problem["detail"]
        for status in contract.operation().responses:
            assert status in problem["detail"]


@pytest.mark.parametrize("api", API_IDS)
def test_dynamic_preference_generates_valid_data(fresh: httpx.Client, api: str) -> None:
    contract = CONTRACTS[api]
    case = success_case(contract)
    kwargs = case_request(contract, case)
    kwargs["headers"]["Prefer"] = "dynamic=true"
    bodies = []
    for _ in range(3):
        response = fresh.request(**kwargs)
        assert response.status_code < 300
        bodies.append(assert_conforms(contract, response))
        assert last_entry(fresh, api)["example"] is None
    assert bodies[0] != bodies[1] or bodies[1] != bodies[2]
