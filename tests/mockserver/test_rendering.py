"""Fields a real server fills in: fresh per request, in the documented format; echoes echo."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts import load_contract
from mockserver import render
from mockserver.render import Skeleton, json_bytes, render_example
from tests.conftest import SPECS
from tests.mockserver.conftest import assert_conforms, auth_headers

C = {
    api: load_contract(SPECS / f"{api}.yaml")
    for api in ("quiva", "wiv", "altostrat", "pharen", "example")
}


def _twice(client: httpx.Client, api: str, url: str, **kwargs: object) -> tuple[dict, dict]:  # type: ignore[type-arg]
    headers = auth_headers(C[api])
    bodies = []
    for _ in range(2):
        response = client.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, response.text
        bodies.append(assert_conforms(C[api], response))
    return bodies[0], bodies[1]


def _recent(stamp: datetime) -> bool:
    return abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


def test_quiva_tracking_id_is_fresh_and_names_the_flow(client: httpx.Client) -> None:
    a, b = _twice(
        client,
        "quiva",
        "/quiva/hub/workflows/col-9/flow-7/run",
        json={"trigger": {"x": 1}, "await": True},
    )
    pattern = r"ms\.hub\.run\.([0-9a-f-]{36})\.ms\.hub\.config\.workflow\.col-9\.flow-7"
    ids = [re.fullmatch(pattern, body["trackingId"]) for body in (a, b)]
    assert all(ids) and ids[0].group(1) != ids[1].group(1)  # type: ignore[union-attr]
    uuid.UUID(ids[0].group(1))  # type: ignore[union-attr]
    assert "result" in a


def test_quiva_unawaited_run_has_no_result(client: httpx.Client) -> None:
    a, _ = _twice(client, "quiva", "/quiva/hub/workflows/c/f/run", json={"trigger": {"x": 1}})
    assert set(a) == {"trackingId"}


def test_wiv_execution_is_fresh_and_echoes(client: httpx.Client) -> None:
    payload = {"user_id": "u-1", "nested": {"n": [1, 2]}}
    a, b = _twice(client, "wiv", "/wiv/workflows/wf_42/run", json={"payload": payload})
    for body in (a, b):
        data = body["data"]
        assert re.fullmatch(r"exec_[0-9a-f]{12}", data["execution_id"])
        assert data["payload"] == payload
        assert data["workflow_id"] == "wf_42"
        stamp = datetime.strptime(data["timestamp"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
        assert _recent(stamp)
    assert a["data"]["execution_id"] != b["data"]["execution_id"]
    assert a["data"]["execution_id"] != "exec_abc123def456"


def test_wiv_without_payload_echoes_an_empty_one(client: httpx.Client) -> None:
    a, _ = _twice(client, "wiv", "/wiv/workflows/wf_42/run", json={})
    assert a["data"]["payload"] == {}


def test_altostrat_run_is_fresh_and_just_accepted(client: httpx.Client) -> None:
    a, b = _twice(client, "altostrat", "/altostrat/workflows/fl_abc/execute", json={})
    assert a["id"] != b["id"] and a["id"] != "fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4"
    assert re.fullmatch(r"fl_run_[0-9a-hjkmnp-tv-z]{26}", a["id"])
    assert a["status"] in {"pending", "running"}
    assert _recent(datetime.fromisoformat(a["started_at"].replace("Z", "+00:00")))


def test_pharen_run_is_fresh_and_echoes_the_workflow(client: httpx.Client) -> None:
    wf, team = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    a, b = _twice(
        client,
        "pharen",
        f"/pharen/api/flow/workflows/{wf}/execute/",
        params={"team_id": team},
        json={"inputs": {}},
    )
    assert a["workflow_id"] == wf
    assert a["id"] != b["id"]
    uuid.UUID(a["id"])
    assert _recent(datetime.fromisoformat(a["started_at"].replace("Z", "+00:00")))


def test_example_echoes_run_id_or_makes_one(client: httpx.Client) -> None:
    a, _ = _twice(
        client, "example", "/example/v1/workflows/wf_active/run", json={"runId": "run_mine"}
    )
    assert a["data"]["runId"] == "run_mine"
    c, d = _twice(client, "example", "/example/v1/workflows/wf_active/run", json={})
    assert re.fullmatch(r"run_[a-z0-9]{12}", c["data"]["runId"])
    assert c["data"]["runId"] != d["data"]["runId"]
    assert c["requestId"] != d["requestId"]


def test_an_encoded_slash_stays_inside_its_path_segment(client: httpx.Client) -> None:
    response = client.post(
        "/quiva/hub/workflows/team%2Fa/flow%2F1/run",
        json={"trigger": {"x": 1}},
        headers=auth_headers(C["quiva"]),
    )
    assert response.status_code == 200
    assert response.json()["trackingId"].endswith(".ms.hub.config.workflow.team/a.flow/1")


def _templated_examples() -> list[tuple[str, str, object, dict]]:  # type: ignore[type-arg]
    cases = []
    for api, contract in C.items():
        sc = contract.scenarios
        for op in contract.operations:
            for response in op.responses.values():
                for _, example in response.examples:
                    templates = sc.render.get(example.name) if sc else None
                    if templates:
                        cases.append((api, example.name, example.value, dict(templates)))
    return cases


@pytest.mark.parametrize(
    "context",
    [
        {
            "path": {"collection_topic": "c/1", "flow_topic": "f\n2", "workflow_id": "wf_1"},
            "body": {"runId": "run_abc", "payload": {"é": [1, None]}, "inputs": {"q": "x"}},
            "query": {"team_id": "t"},
            "headers": {},
        },
        {"path": {}, "body": None, "query": {}, "headers": {}},  # every echo unresolved
    ],
    ids=["echoes-resolve", "echoes-missing"],
)
def test_a_skeleton_renders_the_bytes_a_rendered_copy_serializes_to(
    context: dict,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return frozen

    monkeypatch.setattr(render, "datetime", FrozenClock)  # {now} and {ulid}: one instant
    monkeypatch.setattr(render.time, "time", frozen.timestamp)
    examples = _templated_examples()
    assert {api for api, *_ in examples} >= {"quiva", "wiv", "altostrat", "pharen", "example"}
    for api, name, value, templates in examples:
        skeleton = Skeleton.build(value, templates)
        if not isinstance(value, dict):  # pharen's event stream is rendered event by event
            assert skeleton is None
            continue
        assert skeleton is not None, f"{api} {name}: every documented template has its field"
        for seed in range(3):
            expected = json_bytes(render_example(value, templates, context, random.Random(seed)))
            assert skeleton.render(context, random.Random(seed)) == expected, (api, name)


def test_a_skeleton_is_not_cut_where_rendering_adds_or_nests_fields() -> None:
    example = {"a": {"b": 1}, "c": "x"}
    assert Skeleton.build(example, {"a.z": "{uuid}"}) is None  # the field is not there
    assert Skeleton.build(example, {"a": "{uuid}", "a.b": "{uuid}"}) is None  # nested
    assert Skeleton.build(["x"], {"0": "{uuid}"}) is None
    built = Skeleton.build(example, {"c": "{body.c}", "a.b": "{body.b}"})
    assert built is not None
    assert built.render({"body": {"c": 'q"\\', "b": [1]}}, random.Random(0)) == (
        b'{"a":{"b":[1]},"c":"q\\"\\\\"}'
    )
