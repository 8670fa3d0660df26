"""pharen's stream=true: server-sent events as a standard SSE client reads them."""

from __future__ import annotations

import json

import httpx
import pytest

from contracts import load_contract
from contracts.examples import schema_validator, server_sent_events
from tests.conftest import SPECS

PHAREN = load_contract(SPECS / "pharen.yaml")
URL = "/pharen/api/flow/workflows/11111111-1111-4111-8111-111111111111/execute/"
TEAM = {"team_id": "22222222-2222-4222-8222-222222222222", "stream": "true"}


def parse_sse(lines: list[str]) -> list[tuple[str, str]]:
    """The WHATWG event-stream algorithm, enough for event/data fields."""
    events, name, data = [], "message", []
    for line in lines:
        if line == "":
            if data:
                events.append((name, "\n".join(data)))
            name, data = "message", []
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    return events


def test_stream_sends_progress_then_the_run(client: httpx.Client) -> None:
    with client.stream(
        "POST",
        URL,
        params=TEAM,
        json={"inputs": {"company": "Pharen"}},
        headers={"Authorization": "Bearer phk_your_api_key"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(list(response.iter_lines()))
    names = [name for name, _ in events]
    assert names[-1] == "run" and set(names[:-1]) == {"progress"} and len(names) >= 2
    schemas = PHAREN.resolved["components"]["schemas"]
    for name, data in events:
        payload = json.loads(data)
        schema = schemas["NodeProgress"] if name == "progress" else schemas["WorkflowRun"]
        assert not list(schema_validator(schema, PHAREN.openapi_version).iter_errors(payload)), (
            payload
        )
    run = json.loads(events[-1][1])
    assert run["workflow_id"] == "11111111-1111-4111-8111-111111111111"
    assert run["status"] == "completed"


def test_stream_needs_a_key_that_allows_it(client: httpx.Client) -> None:
    response = client.post(
        URL, params=TEAM, json={}, headers={"Authorization": "Bearer phk_no_stream"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["required_scope"] == "streaming"
    plain = client.post(
        URL,
        params={"team_id": TEAM["team_id"]},
        json={},
        headers={"Authorization": "Bearer phk_no_stream"},
    )
    assert plain.status_code == 200


def test_each_event_validates_against_the_documented_event_schema(client: httpx.Client) -> None:
    """The `text/event-stream` schema describes one event (`{event, data, id, retry}`), the
    way Schemathesis parses and validates them."""
    response = client.post(
        URL,
        params=TEAM,
        json={},
        headers={"Authorization": "Bearer phk_your_api_key"},
    )
    schema = PHAREN.operation().responses["200"].content["text/event-stream"].schema
    events = server_sent_events(response.text)
    assert [e["event"] for e in events][-1] == "run"
    for event in events:
        assert not list(schema_validator(schema, PHAREN.openapi_version).iter_errors(event)), event
    assert list(
        schema_validator(schema, PHAREN.openapi_version).iter_errors(
            {"event": "done", "data": "{}"}
        )
    )


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/json", "application/json"),
        ("application/json, text/event-stream;q=0", "application/json"),
        ("text/event-stream", "text/event-stream"),
        ("text/*", "text/event-stream"),
        ("*/*", "text/event-stream"),
    ],
)
def test_stream_true_answers_what_the_client_accepts(
    client: httpx.Client, accept: str, media_type: str
) -> None:
    """A client that does not accept events gets the documented 200 JSON run (the vendor
    documents no 406), still subject to the streaming scope."""
    response, refused = (
        client.post(
            URL, params=TEAM, json={}, headers={"Authorization": f"Bearer {key}", "Accept": accept}
        )
        for key in ("phk_your_api_key", "phk_no_stream")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    if media_type == "application/json":
        schema = PHAREN.resolved["components"]["schemas"]["WorkflowRun"]
        body = response.json()
        assert not list(schema_validator(schema, PHAREN.openapi_version).iter_errors(body)), body
    assert refused.status_code == 403
