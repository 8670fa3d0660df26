"""`PUT /__mock/prefer`: a default `Prefer` for requests that carry none (the pytest plugin's
`prefer=` marker), through the real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from contracts import load_contract
from tests.conftest import SPECS
from tests.mockserver.conftest import case_request

QUIVA = load_contract(SPECS / "quiva.yaml")
RUN = case_request(QUIVA, QUIVA.scenarios.cases[0])  # type: ignore[union-attr]
DEFAULT_RULE = "prefer: the default set by PUT /__mock/prefer"


@pytest.fixture()
def admin(fresh: httpx.Client) -> Iterator[httpx.Client]:
    """A freshly reset mock whose default preferences are cleared again afterwards."""
    fresh.headers["X-Mock-Admin"] = "1"  # what a call that changes the mock's state carries
    yield fresh
    fresh.delete("/__mock/prefer")


def test_a_default_preference_answers_requests_without_their_own(admin: httpx.Client) -> None:
    shown = admin.put("/__mock/prefer", json={"quiva": "code=400, example=ArchivedFlow"})
    assert shown.status_code == 200
    assert shown.json() == {
        "prefer": {"quiva": {"code": "400", "example": "ArchivedFlow", "dynamic": False}}
    }
    answer = admin.request(**RUN)
    assert (answer.status_code, answer.json()) == (400, {"error": "cannot run an archived flow"})
    own = admin.request(**{**RUN, "headers": {**RUN["headers"], "Prefer": "code=200"}})
    assert own.status_code == 200, "the request's own Prefer wins over the default"
    wiv = admin.post(
        "/wiv/workflows/w1/run", json={"payload": {}}, headers={"X-API-KEY": "wiv_test_api_key"}
    )
    assert wiv.status_code == 200, "another API keeps its usual answer"
    rules = [e["rule"] for e in admin.get("/__mock/requests").json()["requests"]]
    assert rules[0] == DEFAULT_RULE
    assert rules[1] == "prefer"
    assert DEFAULT_RULE not in rules[2]


def test_a_named_api_wins_over_the_star_and_delete_or_reset_clears(admin: httpx.Client) -> None:
    body = {"quiva": "code=400, example=MissingConfig", "*": "code=400, example=ArchivedFlow"}
    shown = admin.put("/__mock/prefer", json=body).json()["prefer"]
    assert sorted(shown) == ["altostrat", "example", "pharen", "quiva", "wiv"]
    assert shown["quiva"]["example"] == "MissingConfig"
    assert {shown[api]["example"] for api in shown if api != "quiva"} == {"ArchivedFlow"}
    assert admin.request(**RUN).json() == {"error": "missing configuration"}

    assert admin.delete("/__mock/prefer").json() == {"prefer": {}}
    assert admin.request(**RUN).status_code == 200
    admin.put("/__mock/prefer", json=body)
    assert admin.post("/__mock/reset").status_code == 200
    assert admin.get("/__mock/prefer").json() == {"prefer": {}}
    assert admin.request(**RUN).status_code == 200


def test_an_unsatisfiable_default_is_the_documented_422(admin: httpx.Client) -> None:
    admin.put("/__mock/prefer", json={"quiva": "code=418"})
    answer = admin.request(**RUN)
    assert answer.status_code == 422
    assert answer.json()["code"] == "prefer-unsatisfiable"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", 'send a JSON object of API id (or "*") to a Prefer value'),
        (b'["code=400"]', 'send a JSON object of API id (or "*") to a Prefer value'),
        (b'{"quiva": 400}', 'send a JSON object of API id (or "*") to a Prefer value'),
        (
            b'{"quiva": "respond-async"}',
            "quiva: 'respond-async' is not of the form code=NNN, example=NAME, dynamic=true",
        ),
        (b'{"nope": "code=400"}', "unknown api 'nope'"),
    ],
    ids=["not-json", "array", "not-a-string", "no-preference", "unknown-api"],
)
def test_a_bad_preference_is_refused_and_changes_nothing(
    admin: httpx.Client, body: bytes, error: str
) -> None:
    admin.put("/__mock/prefer", json={"quiva": "code=400, example=ArchivedFlow"})
    refused = admin.put("/__mock/prefer", content=body)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith(error)
    assert list(admin.get("/__mock/prefer").json()["prefer"]) == ["quiva"]
