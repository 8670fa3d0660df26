"""flowcontract's pytest plugin at work: `QuivaClient`, the code under test, runs against a mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.pytest_plugin import FlowcontractMock  # the fixture's type, for annotations


class WorkflowError(Exception):
    pass


class QuivaClient:  # the code under test
    def __init__(self, base_url: str, token: str):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})

    def run(self, collection: str, flow: str, trigger: Any, *, wait: bool = True) -> Any:
        response = self.http.post(
            f"/hub/workflows/{collection}/{flow}/run", json={"trigger": trigger, "await": wait}
        )
        if response.status_code >= 400:
            raise WorkflowError(response.json()["error"])
        return response.json()


@pytest.fixture
def quiva(flowcontract_mock: FlowcontractMock) -> Iterator[QuivaClient]:
    client = QuivaClient(flowcontract_mock.url("quiva"), token="qv_test_token")
    with client.http:
        yield client


def test_a_run_answers_with_its_tracking_id(
    quiva: QuivaClient, flowcontract_mock: FlowcontractMock
) -> None:
    result = quiva.run("sales", "21312322", {"user_id": "u1", "action": "welcome"})

    assert result["trackingId"].startswith("ms.hub.run.")
    flowcontract_mock.assert_called(
        "quiva", "runWorkflow", times=1, body={"trigger": {"user_id": "u1"}, "await": True}
    )


def test_an_archived_flow_cannot_run(quiva: QuivaClient) -> None:
    # a documented business error (the scenarios' `archived` flow), not a contract violation
    with pytest.raises(WorkflowError, match="archived"):
        quiva.run("sales", "archived", {"user_id": "u1"})


@pytest.mark.flowcontract(prefer={"quiva": "code=400, example=MissingConfig"})
def test_any_documented_error_on_demand(
    quiva: QuivaClient, flowcontract_mock: FlowcontractMock
) -> None:
    # the same client code, answered with quiva's documented MissingConfig error
    with pytest.raises(WorkflowError):
        quiva.run("sales", "21312322", {"user_id": "u1"})

    [request] = flowcontract_mock.requests("quiva", "runWorkflow")
    assert (request["status"], request["example"]) == (400, "MissingConfig")


@pytest.mark.flowcontract(strict=False)
def test_a_request_the_contract_refuses(
    quiva: QuivaClient, flowcontract_mock: FlowcontractMock
) -> None:
    # `trigger` must be an object: without strict=False this test would fail on its own
    with pytest.raises(WorkflowError, match="trigger"):
        quiva.run("sales", "21312322", trigger="not an object")

    [request] = flowcontract_mock.requests("quiva")
    assert request["status"] == 400
    assert request["rule"].startswith("validate: trigger")
