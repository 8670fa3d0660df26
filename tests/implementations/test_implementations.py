"""The implementations under test, over real HTTP: the correct apps answer every documented case
as the contract says, and every broken variant shows its one defect where the correct app does not.

These prove the fixtures themselves, independently of `contracts verify`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import Contract, load_contract
from contracts.examples import schema_validator, server_sent_events
from contracts.requests import Request, case_request, default_parameters
from contracts.scenarios import Case
from tests.implementations import BROKEN, CORRECT, KINDS, serve

SPECS = Path(__file__).resolve().parents[2] / "specs"
CONTRACTS = {api: load_contract(SPECS / f"{api}.yaml") for api in CORRECT}
FLOWCONTRACT_CHECKS = {"documented_error", "example_response", "fresh_ids"}


# -- requests built from the contract and its scenarios ---------------------------------------


def default_headers(api: str) -> dict[str, str]:
    return Request().all_headers(CONTRACTS[api])


def url_for(contract: Contract, path: Mapping[str, Any]) -> str:
    return Request(path=path).target(contract.operation())


def example_params(contract: Contract) -> tuple[dict[str, Any], dict[str, Any]]:
    """Path and required query values from the parameters' documented examples."""
    return default_parameters(contract, contract.operation())


def send_case(client: httpx.Client, contract: Contract, case: Case) -> httpx.Response:
    op = contract.operation()
    request = case_request(contract, op, case)
    kwargs: dict[str, Any] = {"json": request.body} if request.has_body else {}
    return client.request(
        op.method.upper(), request.target(op), headers=request.all_headers(contract), **kwargs
    )


# -- what the contract says about a response ---------------------------------------------------


def sse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def schema_errors(contract: Contract, schema: Mapping[str, Any], value: Any) -> list[str]:
    validator = schema_validator(schema, contract.openapi_version)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]


def conformance_errors(contract: Contract, response: httpx.Response) -> list[str]:
    """Why `response` does not conform to the operation's documented responses (none if it does)."""
    documented = contract.operation().responses.get(str(response.status_code))
    if documented is None:
        return [f"status {response.status_code} is not documented"]
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    media = documented.content.get(media_type)
    if media is None or media.schema is None:
        return [f"{response.status_code} documents no {media_type!r} body"]
    if media_type != "text/event-stream":
        return schema_errors(contract, media.schema, response.json())
    # The media type's schema describes one event, as Schemathesis parses it.
    errors = [
        f"event #{i}: {error}"
        for i, event in enumerate(server_sent_events(response.text))
        for error in schema_errors(contract, media.schema, event)
    ]
    schemas = contract.resolved["components"]["schemas"]
    events = sse_events(response.text)
    if [name for name, _ in events][-1:] != ["run"]:
        errors.append(f"the stream does not end with a run event: {events}")
    for name, data in events:
        schema = schemas["NodeProgress" if name == "progress" else "WorkflowRun"]
        errors += schema_errors(contract, schema, data)
    return errors


# -- the correct apps ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {api: stack.enter_context(serve(factory())) for api, factory in CORRECT.items()}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as http:
        yield http


def api_client(base_url: str, api: str, *, credentials: bool = True) -> httpx.Client:
    headers = default_headers(api) if credentials else {}
    return httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=10)


CASES = [
    pytest.param(api, case, id=f"{api}-{case.name}")
    for api, contract in CONTRACTS.items()
    for case in (contract.scenarios.cases if contract.scenarios else ())
]


@pytest.mark.parametrize(("api", "case"), CASES)
def test_correct_app_answers_every_scenario_case(
    urls: dict[str, str], client: httpx.Client, api: str, case: Case
) -> None:
    contract = CONTRACTS[api]
    client.base_url = httpx.URL(urls[api])
    response = send_case(client, contract, case)
    assert response.status_code == case.expect.status, response.text
    assert response.headers["content-type"].split(";")[0] == case.expect.media_type
    assert conformance_errors(contract, response) == []
    if case.expect.example and case.expect.match == "exact":
        documented = contract.operation().response_example(case.expect.example)
        assert documented is not None
        assert response.json() == documented[2].value


REQUEST_EXAMPLES = [
    pytest.param(api, name, id=f"{api}-{name}")
    for api, contract in CONTRACTS.items()
    for name in contract.operation().request_examples
]


@pytest.mark.parametrize(("api", "example"), REQUEST_EXAMPLES)
def test_correct_app_answers_every_request_example_like_its_paired_response(
    urls: dict[str, str], api: str, example: str
) -> None:
    contract = CONTRACTS[api]
    assert contract.scenarios is not None
    op = contract.operation()
    path, query = example_params(contract)
    with api_client(urls[api], api) as http:
        response = http.post(
            url_for(contract, path), params=query, json=op.request_examples[example].value
        )
    documented = op.response_example(contract.scenarios.pairs[example])
    assert documented is not None
    assert response.status_code == int(documented[0].status), response.text
    assert conformance_errors(contract, response) == []
    assert response.json().keys() == documented[2].value.keys()


def run_once(base_url: str, api: str, body: Any = None) -> httpx.Response:
    contract = CONTRACTS[api]
    path, query = example_params(contract)
    with api_client(base_url, api) as http:
        response = http.post(url_for(contract, path), params=query, json=body)
    assert response.status_code in (200, 202), response.text
    assert conformance_errors(contract, response) == []
    return response


DEFAULT_BODY: dict[str, Any] = {
    "quiva": {"trigger": {"message": "hi"}},
    "wiv": {"payload": {}},
    "altostrat": None,
    "pharen": None,
    "example": None,
}
RUN_IDS: dict[str, Callable[[Any], str]] = {
    "quiva": lambda body: body["trackingId"],
    "wiv": lambda body: body["data"]["execution_id"],
    "altostrat": lambda body: body["id"],
    "pharen": lambda body: body["id"],
    "example": lambda body: body["data"]["runId"] + body["requestId"],
}
ID_FORMATS = {
    "quiva": r"ms\.hub\.run\.[0-9a-f-]{36}\.ms\.hub\.config\.workflow\.1234567890\.21312322",
    "wiv": r"exec_[0-9a-f]{12}",
    "altostrat": r"fl_run_[0-9abcdefghjkmnpqrstvwxyz]{26}",
    "pharen": r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
    "example": r"run_[0-9a-z]{12}[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
}


@pytest.mark.parametrize("api", list(CORRECT))
def test_correct_app_gives_fresh_ids_in_the_documented_format(
    urls: dict[str, str], api: str
) -> None:
    ids = {RUN_IDS[api](run_once(urls[api], api, DEFAULT_BODY[api]).json()) for _ in range(3)}
    assert len(ids) == 3
    for run_id in ids:
        assert re.fullmatch(ID_FORMATS[api], run_id), run_id


def test_wiv_echoes_payload_and_workflow_id_with_a_utc_timestamp(urls: dict[str, str]) -> None:
    payload = {"user_id": "12345", "nested": {"ü": [1, 2.5, None]}}
    data = run_once(urls["wiv"], "wiv", {"payload": payload}).json()["data"]
    assert data["payload"] == payload
    assert data["workflow_id"] == "workflow_def456ghi789"
    stamp = datetime.strptime(data["timestamp"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)
    assert run_once(urls["wiv"], "wiv", {}).json()["data"]["payload"] == {}


@pytest.mark.parametrize(("api", "field"), [("altostrat", "started_at"), ("pharen", "started_at")])
def test_runs_start_now(urls: dict[str, str], api: str, field: str) -> None:
    run = run_once(urls[api], api).json()
    started = datetime.fromisoformat(run[field].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - started) < timedelta(minutes=1)
    if api == "altostrat":
        assert run["status"] == "pending"
    else:
        assert run["workflow_id"] == "11111111-1111-4111-8111-111111111111"


def test_example_echoes_the_callers_run_id(urls: dict[str, str]) -> None:
    body = run_once(urls["example"], "example", {"runId": "run_mine"}).json()
    assert body["data"]["runId"] == "run_mine"


def test_quiva_awaits_only_when_asked(urls: dict[str, str]) -> None:
    assert "result" in run_once(urls["quiva"], "quiva", {"trigger": {}, "await": True}).json()
    assert "result" not in run_once(urls["quiva"], "quiva", {"trigger": {}, "await": False}).json()
    assert run_once(urls["quiva"], "quiva", {"triggers": [{}, {}], "enable_log": True}).json()


def test_quiva_tracking_id_stays_in_format_for_any_topic(urls: dict[str, str]) -> None:
    contract = CONTRACTS["quiva"]
    for collection, flow in [("ü½", "a.b"), ("x\ny", "\t"), ("a b", "-")]:
        with api_client(urls["quiva"], "quiva") as http:
            response = http.post(
                url_for(contract, {"collection_topic": collection, "flow_topic": flow}),
                json={"trigger": {}},
            )
        assert response.status_code == 200
        assert conformance_errors(contract, response) == []


MALFORMED: dict[str, list[Any]] = {  # bodies each API refuses with its 400
    "quiva": [
        b"{not json",
        b"[]",
        b"null",
        b"",
        b'{"trigger": {"x": NaN}}',
        {"trigger": "x"},
        {"trigger": None},
        {"triggers": {}},
        {"triggers": [1]},
        {"trigger": {}, "await": "yes"},
        {"trigger": {}, "enable_log": 1},
    ],
    "wiv": [b"{", b"[1]", b"", b'"text"', {"payload": "x"}, {"payload": None}, {"payload": []}],
    "altostrat": [b"{", b"42", {"context": 42}, {"context": None}, {"context": ["a"]}],
    "pharen": [b"{", b"[]", {"input": "x"}, {"inputs": []}, {"trigger_type": 1}],
    "example": [
        b"{",
        b"[]",
        {"runId": "abc"},
        {"runId": 5},
        {"dustTest": True, "simulate": True},
        {"dustTest": "true"},
        {"simulate": 1},
        {"version": "1"},
        {"version": True},
        {"version": 1.5},
        {"payload": "x"},
        {"chatMessageId": 1},
    ],
}
BAD_QUERIES: dict[str, list[dict[str, str]]] = {
    "quiva": [{"draft": "yes"}, {"draft": "1"}],
    "pharen": [
        {"team_id": "not-a-uuid"},
        {"team_id": "22222222-2222-4222-8222-222222222222", "stream": "maybe"},
    ],
}


@pytest.mark.parametrize(
    ("api", "body"),
    [
        pytest.param(api, body, id=f"{api}-{i}")
        for api, bodies in MALFORMED.items()
        for i, body in enumerate(bodies)
    ],
)
def test_correct_app_refuses_malformed_bodies_with_its_400(
    urls: dict[str, str], api: str, body: Any
) -> None:
    contract = CONTRACTS[api]
    path, query = example_params(contract)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with api_client(urls[api], api) as http:
        response = http.post(
            url_for(contract, path),
            params=query,
            content=content,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert conformance_errors(contract, response) == []


@pytest.mark.parametrize(
    ("api", "query"),
    [pytest.param(api, q, id=f"{api}-{q}") for api, qs in BAD_QUERIES.items() for q in qs],
)
def test_correct_app_refuses_malformed_query_with_its_400(
    urls: dict[str, str], api: str, query: dict[str, str]
) -> None:
    contract = CONTRACTS[api]
    path, _ = example_params(contract)
    with api_client(urls[api], api) as http:
        response = http.post(url_for(contract, path), params=query, json=DEFAULT_BODY[api])
    assert response.status_code == 400, response.text
    assert conformance_errors(contract, response) == []


def test_pharen_refuses_a_workflow_uuid_that_is_no_uuid(urls: dict[str, str]) -> None:
    contract = CONTRACTS["pharen"]
    with api_client(urls["pharen"], "pharen") as http:
        response = http.post(
            url_for(contract, {"workflow_uuid": "not-a-uuid"}),
            params={"team_id": "22222222-2222-4222-8222-222222222222"},
        )
    assert response.status_code == 400
    assert conformance_errors(contract, response) == []


WRONG_CREDENTIALS = {
    "quiva": [
        {"Authorization": "Bearer nope"},
        {"X-Api-Key": "nope"},
        {"Authorization": "qv_test_token"},
        {"Authorization": "Bearer nope", "X-Api-Key": "qv_test_api_key"},
        {"Authorization": "Bearer qv_test_token", "X-Api-Key": "nope"},
    ],
    "wiv": [{"X-API-KEY": "nope"}, {"X-API-KEY": ""}, {"Authorization": "Bearer wiv_test_api_key"}],
    "altostrat": [{"Authorization": "Bearer nope"}, {"Authorization": "Basic alto_test_token"}],
    "pharen": [{"Authorization": "Bearer nope"}, {"Authorization": "phk_your_api_key"}],
    "example": [{"Authorization": "Bearer nope"}, {"Authorization": "Bearer"}],
}


@pytest.mark.parametrize(
    ("api", "headers"),
    [
        pytest.param(api, h, id=f"{api}-{i}")
        for api, hs in WRONG_CREDENTIALS.items()
        for i, h in enumerate(hs)
    ],
)
def test_correct_app_refuses_unknown_credentials_with_its_401(
    urls: dict[str, str], api: str, headers: dict[str, str]
) -> None:
    contract = CONTRACTS[api]
    path, query = example_params(contract)
    with api_client(urls[api], api, credentials=False) as http:
        response = http.post(
            url_for(contract, path), params=query, json=DEFAULT_BODY[api], headers=headers
        )
    assert response.status_code == 401, response.text
    assert conformance_errors(contract, response) == []


@pytest.mark.parametrize("api", list(CORRECT))
def test_correct_app_allows_only_post(urls: dict[str, str], api: str) -> None:
    contract = CONTRACTS[api]
    path, query = example_params(contract)
    with api_client(urls[api], api) as http:
        response = http.get(url_for(contract, path), params=query)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


# -- the broken variants --------------------------------------------------------------------------


def post(http: httpx.Client, api: str, path: Mapping[str, str] | None = None, **kw: Any) -> Any:
    contract = CONTRACTS[api]
    default_path, query = example_params(contract)
    return http.post(url_for(contract, {**default_path, **(path or {})}), **{"params": query, **kw})


def frozen(http: httpx.Client, api: str) -> bool:
    first, second = (RUN_IDS[api](post(http, api, json=DEFAULT_BODY[api]).json()) for _ in "12")
    return bool(first == second)


def anonymous_status(http: httpx.Client, api: str) -> int:
    with httpx.Client(base_url=http.base_url, trust_env=False, timeout=10) as bare:
        return int(post(bare, api, json=DEFAULT_BODY[api]).status_code)


def violates(api: str, response: httpx.Response) -> bool:
    return bool(conformance_errors(CONTRACTS[api], response))


PHAREN_TEAM = "22222222-2222-4222-8222-222222222222"
# variant name -> a request (or two) against an app of its API; True when the defect shows
PROBES: dict[str, Callable[[httpx.Client], bool]] = {
    "quiva-archived-wrong-message": lambda http: (
        post(http, "quiva", {"flow_topic": "archived"}, json={"trigger": {}}).json()
        != {"error": "cannot run an archived flow"}
    ),
    "quiva-tracking-id-format": lambda http: violates(
        "quiva", post(http, "quiva", json={"trigger": {}})
    ),
    "quiva-batch-run-500": lambda http: (
        post(http, "quiva", json={"triggers": [{"a": 1}, {"b": 2}]}).status_code >= 500
    ),
    "wiv-frozen-execution-id": lambda http: frozen(http, "wiv"),
    "wiv-trigger-type-manual": lambda http: violates("wiv", post(http, "wiv", json={})),
    "wiv-auth-not-enforced": lambda http: anonymous_status(http, "wiv") != 401,
    "altostrat-200-not-202": lambda http: post(http, "altostrat").status_code != 202,
    "altostrat-status-queued": lambda http: violates("altostrat", post(http, "altostrat")),
    "altostrat-detail-errors": lambda http: violates(
        "altostrat", post(http, "altostrat", {"workflowId": "fl_missing"})
    ),
    "altostrat-frozen-run-id": lambda http: frozen(http, "altostrat"),
    "pharen-422-validation": lambda http: (
        post(http, "pharen", params={}).status_code not in (400, 401, 403, 404)
    ),
    "pharen-missing-started-at": lambda http: violates("pharen", post(http, "pharen")),
    "pharen-stream-ends-with-done": lambda http: violates(
        "pharen", post(http, "pharen", params={"team_id": PHAREN_TEAM, "stream": "true"})
    ),
    "pharen-streaming-scope-ignored": lambda http: (
        post(
            http,
            "pharen",
            params={"team_id": PHAREN_TEAM, "stream": "true"},
            headers={"Authorization": "Bearer phk_no_stream"},
        ).status_code
        != 403
    ),
    "example-dust-test-and-simulate": lambda http: (
        post(http, "example", json={"dustTest": True, "simulate": True}).status_code == 200
    ),
    "example-run-id-without-prefix": lambda http: (
        post(http, "example", json={"runId": "abc"}).status_code == 200
    ),
    "example-code-as-string": lambda http: violates("example", post(http, "example", json={})),
    "example-archived-409": lambda http: (
        post(http, "example", {"id": "wf_archived"}, json={}).status_code != 400
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_variant_shows_its_defect_where_the_correct_app_does_not(
    urls: dict[str, str], name: str
) -> None:
    variant = BROKEN[name]
    probe = PROBES[name]
    with api_client(urls[variant.api], variant.api) as http:
        assert not probe(http), f"the correct {variant.api} app shows {name}'s defect"
    with serve(variant.factory()) as base_url, api_client(base_url, variant.api) as http:
        assert probe(http), f"{name} does not show its defect: {variant.defect}"


def test_every_variant_is_probed_and_named_for_a_real_check() -> None:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    known = set(CHECKS.get_all_names()) | FLOWCONTRACT_CHECKS
    assert set(PROBES) == set(BROKEN)
    for name, variant in BROKEN.items():
        assert variant.api in CORRECT, name
        assert variant.defect, name
        assert set(variant.checks) <= known, (name, set(variant.checks) - known)


def test_variants_cover_every_api_twice_and_every_failure_kind() -> None:
    per_api = {api: [v for v in BROKEN.values() if v.api == api] for api in CORRECT}
    assert all(len(variants) >= 2 for variants in per_api.values()), per_api
    assert {v.kind for v in BROKEN.values()} == set(KINDS)
