"""What a fuzzer or a careless client sends: the mock answers in the API's shape and stays well."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contracts import load_contract
from contracts.verify import VerifyOptions, load_for_verify, render_console, verify
from mockserver.app import MockServer
from mockserver.config import MockConfig
from tests.conftest import API_IDS, ROOT, SPECS
from tests.mockserver.conftest import ADMIN, case_request, free_port, running, success_request
from tests.mockserver.test_cli import MOCKSERVER, serve

CONTRACTS = {api: load_contract(SPECS / f"{api}.yaml") for api in API_IDS}


def good_request(api: str) -> dict[str, Any]:
    return success_request(CONTRACTS[api])


@pytest.mark.parametrize("api", API_IDS)
def test_ten_megabyte_body_is_a_413_in_the_apis_shape(client: httpx.Client, api: str) -> None:
    kwargs = good_request(api)
    kwargs.pop("json", None)
    kwargs["headers"] = {**kwargs["headers"], "Content-Type": "application/json"}
    response = client.request(**kwargs, content=b'{"x": "' + b"a" * 10_000_000 + b'"}')
    assert response.status_code == 413
    body = response.json()
    first_400 = next(iter(CONTRACTS[api].operation().responses["400"].examples))[1].value
    assert set(body) == set(first_400)  # the API's own error shape
    assert client.request(**good_request(api)).status_code < 300


def test_limits_outside_every_api_answer_a_mock_problem(base_url: str) -> None:
    big = httpx.post(f"{base_url}/elsewhere", content=b"x" * 2_000_000)
    assert big.status_code == 413
    assert big.headers["content-type"] == "application/problem+json"
    assert big.json()["code"] == "request-too-large"
    huge = httpx.get(f"{base_url}/elsewhere", headers={"X-Huge": "h" * 20_000})
    assert (huge.status_code, huge.json()["code"]) == (431, "headers-too-large")


def test_body_limit_is_configurable() -> None:
    with running(MockConfig(apis=("wiv",), max_body_size=100)) as (base, _):
        kwargs = good_request("wiv")
        kwargs["json"] = {"payload": {"text": "x" * 200}}
        kwargs["url"] = base + kwargs["url"]
        assert httpx.request(**kwargs).status_code == 413
        kwargs["json"] = {"payload": {}}
        assert httpx.request(**kwargs).status_code == 200


@pytest.mark.parametrize("api", API_IDS)
def test_a_64_kilobyte_header_is_refused_and_the_server_lives(base_url: str, api: str) -> None:
    kwargs = good_request(api)
    kwargs["url"] = base_url + kwargs["url"]
    kwargs["headers"] = {**kwargs["headers"], "X-Huge": "h" * 65_536}
    try:
        response = httpx.request(**kwargs)
        assert 400 <= response.status_code < 500
    except httpx.RemoteProtocolError:
        pass  # the server closed the connection on the oversized header: also a refusal
    good = good_request(api)
    good["url"] = base_url + good["url"]
    assert httpx.request(**good).status_code < 300


@pytest.mark.parametrize(
    "path",
    [
        "/quiva/hub/workflows/..%2F..%2Fetc/passwd/run",
        "/quiva/hub/..%2F..%2F__mock/health",
        "/quiva/%2e%2e/%2e%2e/__mock/reset",
    ],
)
def test_encoded_traversal_is_a_4xx_in_the_apis_shape(client: httpx.Client, path: str) -> None:
    response = client.post(path, json={"trigger": {}}, headers={"Authorization": "Bearer t"})
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_concurrency_keeps_every_request_in_order_per_connection(
    mock: tuple[str, MockServer],
) -> None:
    base, server = mock
    httpx.post(f"{base}/__mock/reset", headers=ADMIN)
    kwargs = good_request("wiv")
    workers, per_worker = 64, 32  # 2 048 requests at concurrency 64

    async def worker(w: int) -> list[int]:
        async with httpx.AsyncClient(
            base_url=base, limits=httpx.Limits(max_connections=1), timeout=60
        ) as c:
            statuses = []
            for i in range(per_worker):
                r = await c.post(
                    kwargs["url"], json={"payload": {"w": w, "i": i}}, headers=kwargs["headers"]
                )
                statuses.append(r.status_code)
            return statuses

    async def load() -> list[list[int]]:
        return await asyncio.gather(*(worker(w) for w in range(workers)))

    results = asyncio.run(load())
    assert {s for statuses in results for s in statuses} == {200}
    entries = asyncio.run(server.state.journal("wiv"))
    assert len(entries) == workers * per_worker
    by_worker: dict[int, list[int]] = {}
    for entry in entries:  # journal order
        by_worker.setdefault(entry.body["payload"]["w"], []).append(entry.body["payload"]["i"])
    assert by_worker == {w: list(range(per_worker)) for w in range(workers)}


def test_reset_during_load_loses_no_request(mock: tuple[str, MockServer]) -> None:
    base, _ = mock
    archived = case_request(CONTRACTS["quiva"], CONTRACTS["quiva"].scenarios.cases[1])  # type: ignore[union-attr]
    run = good_request("quiva")
    stop = threading.Event()

    def resetting() -> None:
        with httpx.Client(base_url=base) as c:
            while not stop.wait(0.005):
                assert c.post("/__mock/reset", headers=ADMIN).status_code == 200

    async def load() -> list[tuple[int, int]]:
        async with httpx.AsyncClient(
            base_url=base, limits=httpx.Limits(max_connections=16), timeout=60
        ) as c:

            async def one(i: int) -> tuple[int, int]:
                a = await c.request(**run)
                b = await c.request(**archived)
                return a.status_code, b.status_code

            return await asyncio.gather(*(one(i) for i in range(300)))

    thread = threading.Thread(target=resetting)
    thread.start()
    try:
        pairs = asyncio.run(load())
    finally:
        stop.set()
        thread.join()
    assert set(pairs) == {(200, 400)}  # every run answered, the archived fixture never lost
    assert httpx.request(**{**archived, "url": base + archived["url"]}).json() == {
        "error": "cannot run an archived flow"
    }


def test_journal_is_a_bounded_ring() -> None:
    # 300 entries: older ones are kept in compressed blocks of 256, the oldest block
    # partly dropped; the admin API reads them back whole, in order.
    with running(MockConfig(apis=("wiv",), journal_size=300)) as (base, server):
        kwargs = good_request("wiv")
        with httpx.Client(base_url=base) as c:
            for i in range(700):
                c.post(kwargs["url"], json={"payload": {"i": i}}, headers=kwargs["headers"])
            listed = c.get("/__mock/requests").json()
            health = c.get("/__mock/health").json()
        entries = asyncio.run(server.state.journal())
        assert len(entries) == 300 == listed["count"] == health["journal_entries"]
        total = health["recorded_total"]  # the 700, and the readiness probe before them
        assert [e.body["payload"]["i"] for e in entries] == list(range(400, 700))
        assert [e["body"]["payload"]["i"] for e in listed["requests"]] == list(range(400, 700))
        assert [e.seq for e in entries] == list(range(total - 299, total + 1))
        assert all(e["headers"]["x-api-key"].startswith("****") for e in listed["requests"])


def test_secrets_never_reach_the_log_or_errors() -> None:
    port = free_port()
    secret = "phk_" + "s3cr3t" * 6
    proc = subprocess.Popen(
        [*MOCKSERVER, "serve", "pharen", "--port", str(port), "--log-level", "debug"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/__mock/health")
                break
            except httpx.TransportError:
                threading.Event().wait(0.1)
        url = f"{base}/pharen/api/flow/workflows/11111111-1111-4111-8111-111111111111/execute/"
        answers = [
            httpx.post(
                url,
                params={"team_id": "22222222-2222-4222-8222-222222222222"},
                json={},
                headers={"Authorization": f"Bearer {secret}"},
            ).text,
            httpx.post(url, json={}, headers={"Authorization": f"Bearer {secret}"}).text,
            httpx.post(url, json={}, headers={"Authorization": f"Basic {secret}"}).text,
            httpx.get(f"{base}/__mock/requests").text,
        ]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    assert secret not in output
    for answer in answers:
        assert secret not in answer


def test_no_admin() -> None:
    with running(MockConfig(apis=("quiva",), admin=False)) as (base, _):
        assert httpx.get(f"{base}/__mock/health").status_code == 404
        assert httpx.post(f"{base}/__mock/reset", headers=ADMIN).status_code in (404, 405)


@pytest.fixture(scope="module")
def mock_process() -> Iterator[str]:
    """The mock as users run it (its own process: Schemathesis must not share its GIL)."""
    with serve() as (_, base, _):
        yield base


@pytest.mark.parametrize("api", API_IDS)
def test_a_thousand_generated_requests_find_nothing(mock_process: str, api: str) -> None:
    # Schemathesis's coverage and fuzzing phases, valid and invalid input: no 5xx, every
    # response conforms (status, content type, schema), invalid input refused.
    # Where unknown credentials are accepted, Schemathesis's ignored_auth check re-sends
    # every accepted case twice (its failure is filtered as explained) and the count
    # includes those; where they are rejected the check passes once and stops, so twice
    # the examples make the thousand requests.
    scenarios = CONTRACTS[api].scenarios
    rejects = scenarios is not None and scenarios.unknown_credentials == "reject"
    options = VerifyOptions(
        base_url=f"{mock_process}/{api}",
        phases=("properties",),
        max_examples=1000 if rejects else 500,
        seed=3,
        workers=2,
    )
    report = verify(load_for_verify(api, options), options)
    assert report.phases[0].requests >= 1000
    assert report.findings == [], render_console(report)


LENIENT_JSON = {
    "nan": b'{"trigger": {"x": NaN}}',
    "infinity": b'{"trigger": {"x": Infinity}}',
    "out-of-range": b'{"trigger": {"x": 1e999999}}',
    "lone-surrogate": b'{"trigger": {"x": "\\ud800"}}',
    "4301-digits": b'{"trigger": {"x": ' + b"9" * 4301 + b"}}",
}


@pytest.mark.parametrize("body", LENIENT_JSON.values(), ids=LENIENT_JSON.keys())
@pytest.mark.parametrize("express", [True, False], ids=["express", "connexion"])
def test_json_only_python_accepts_is_refused_and_the_journal_stays_readable(
    body: bytes, express: bool
) -> None:
    """RFC 8259 JSON only: a 400 in quiva's shape, and the journal still serializes."""
    with running(MockConfig(apis=("quiva",), express=express)) as (base, _):
        kwargs = good_request("quiva")
        kwargs.pop("json", None)
        kwargs["url"] = base + kwargs["url"]
        kwargs["headers"] = {**kwargs["headers"], "Content-Type": "application/json"}
        refused = httpx.request(**kwargs, content=body)
        assert refused.status_code == 400, refused.text
        assert set(refused.json()) == {"error"}
        assert "not valid JSON" in refused.json()["error"]
        journal = httpx.get(f"{base}/__mock/requests")
        assert journal.status_code == 200
        entry = journal.json()["requests"][-1]
        assert entry["status"] == 400
        assert entry["body"].startswith("<not strict JSON: ")
        kwargs.pop("headers")
        assert httpx.request(**good_request("quiva") | {"url": kwargs["url"]}).status_code == 200
