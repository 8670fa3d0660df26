"""The validation proxy (`mockserver proxy`) in front of the project's own implementations
(tests/implementations), driven by real HTTP on loopback: each broken implementation shows
exactly its expected violations, the correct ones none; answers pass through unchanged
(an event stream as a stream); a dead or slow upstream is a 502/504, counted apart; the
real command writes its reports on SIGINT/SIGTERM and exits 1 on violations, 0 without.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from contracts.catalog import Contract
from contracts.requests import Request, case_request
from contracts.verify.documented import example_requests
from mockserver.build import load_contracts
from mockserver.config import MockConfig, ProxyConfig
from mockserver.connections import uvicorn_settings
from mockserver.proxy import ProxyServer
from tests.conftest import ROOT, SPECS
from tests.implementations import BROKEN, CORRECT, serve
from tests.implementations.pharen import Pharen, Workflow
from tests.mockserver.conftest import ADMIN, free_port

CONTRACTS = {c.api_id: c for c in load_contracts(MockConfig(specs_dir=SPECS))()}
Found = set[tuple[str, str]]  # (where, kind)


@contextmanager
def proxied(
    api: str,
    upstream: str,
    *,
    contract: Contract | None = None,
    max_body_size: int = 1_048_576,
    **options: Any,
) -> Iterator[tuple[httpx.Client, ProxyServer]]:
    """A proxy for `api` in front of `upstream`, served as `mockserver proxy` serves it;
    a client on it, the journal emptied of the readiness probe."""
    config = MockConfig(apis=(api,), cors=False, max_body_size=max_body_size)
    contracts = [contract or CONTRACTS[api]]
    proxy = ProxyServer(config, ProxyConfig(upstream=upstream, **options), contracts)
    settings = {**uvicorn_settings(config), "date_header": False}
    with (
        serve(proxy, loop="auto", **settings) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        client.post("/__mock/reset", headers=ADMIN).raise_for_status()
        yield client, proxy


def documented_traffic(contract: Contract) -> list[tuple[str, Request]]:
    """What a careful end-to-end suite sends: every scenarios case (some break the request
    contract on purpose) and every documented request example."""
    assert contract.scenarios is not None
    op = contract.operation(contract.scenarios.operation)
    cases = [(case.name, case_request(contract, op, case)) for case in contract.scenarios.cases]
    return cases + [(name, request) for name, request, _ in example_requests(contract, op)]


def send(client: httpx.Client, contract: Contract, request: Request) -> httpx.Response:
    op = contract.operation()
    body: dict[str, Any] = {"json": request.body} if request.has_body else {}
    return client.request(
        op.method.upper(), request.target(op), headers=request.all_headers(contract), **body
    )


def violations(client: httpx.Client) -> list[dict[str, Any]]:
    reply = client.get("/__mock/violations")
    reply.raise_for_status()
    listed: list[dict[str, Any]] = reply.json()["violations"]
    return listed


def drive(api: str, app: ASGIApp) -> dict[str, Found]:
    """The documented traffic through a proxy in front of `app`: what the proxy found, by
    request (case or example name)."""
    contract = CONTRACTS[api]
    found: dict[str, Found] = {}
    with serve(app) as upstream, proxied(api, upstream) as (client, _):
        for name, request in documented_traffic(contract):
            seen = len(violations(client))
            send(client, contract, request)
            new = violations(client)[seen:]
            found[name] = {(v["where"], v["kind"]) for v in new}
    return {name: kinds for name, kinds in found.items() if kinds}


# The scenarios cases that break the request contract on purpose: the proxy flags them in
# front of any implementation, correct or not (and the correct one refuses them).
REFUSED_REQUESTS: dict[str, dict[str, Found]] = {
    "quiva": {"no-credentials": {("request", "missing-credentials")}},
    "wiv": {
        "payload-not-object": {("request", "invalid-body")},
        "no-api-key": {("request", "missing-credentials")},
    },
    "altostrat": {
        "invalid-context": {("request", "invalid-body")},
        "no-token": {("request", "missing-credentials")},
    },
    "pharen": {
        "missing-team-id": {("request", "invalid-parameter")},
        "no-key": {("request", "missing-credentials")},
    },
    "example": {
        "dust-test-and-simulate": {("request", "invalid-body")},
        "run-id-prefix": {("request", "invalid-body")},
        "no-token": {("request", "missing-credentials")},
    },
}

# What the proxy finds in each broken implementation, by request, beyond the refused
# requests above. Empty where the defect is not in the contract: a message the scenarios
# fix (quiva), ids that repeat across requests (frozen ids), a scope only the prose names
# (pharen streaming); `contracts verify` finds those from the scenarios and repeated runs.
RESPONSE_BODY: Found = {("response", "invalid-body")}
UNDOCUMENTED: Found = {("response", "undocumented-status")}
DEFECTS: dict[str, dict[str, Found]] = {
    "quiva-archived-wrong-message": {},
    "quiva-tracking-id-format": {  # every answer that carries a trackingId
        name: RESPONSE_BODY
        for name in (
            "run",
            "api-key-accepted",
            "singleTriggerSync",
            "singleTriggerAsync",
            "multipleTriggers",
            "minimalTrigger",
            "complexTrigger",
        )
    },
    "quiva-batch-run-500": {"multipleTriggers": UNDOCUMENTED},
    "wiv-frozen-execution-id": {},
    "wiv-trigger-type-manual": {
        name: RESPONSE_BODY for name in ("run-with-input", "emptyPayload", "withInputData")
    },
    "wiv-auth-not-enforced": {
        "no-api-key": {("request", "missing-credentials"), ("response", "auth-not-enforced")}
    },
    "altostrat-200-not-202": {name: UNDOCUMENTED for name in ("execute", "schema-examples")},
    "altostrat-status-queued": {name: RESPONSE_BODY for name in ("execute", "schema-examples")},
    "altostrat-detail-errors": {  # every error answer
        **{
            name: RESPONSE_BODY
            for name in ("forbidden", "not-found", "server-error", "unknown-token")
        },
        "invalid-context": {("request", "invalid-body"), *RESPONSE_BODY},
        "no-token": {("request", "missing-credentials"), *RESPONSE_BODY},
    },
    "altostrat-frozen-run-id": {},
    "pharen-422-validation": {"missing-team-id": {("request", "invalid-parameter"), *UNDOCUMENTED}},
    "pharen-missing-started-at": {  # the run, also as the stream's last event
        name: RESPONSE_BODY for name in ("run", "stream", "input", "inputsWithTriggerType")
    },
    "pharen-stream-ends-with-done": {"stream": RESPONSE_BODY},
    "pharen-streaming-scope-ignored": {},
    "example-dust-test-and-simulate": {
        "dust-test-and-simulate": {
            ("request", "invalid-body"),
            ("response", "invalid-request-accepted"),
        }
    },
    "example-run-id-without-prefix": {
        "run-id-prefix": {
            ("request", "invalid-body"),
            ("response", "invalid-request-accepted"),
            *RESPONSE_BODY,
        }
    },
    "example-code-as-string": {  # every answer's envelope
        **{
            name: RESPONSE_BODY
            for name in ("run-active", "run-draft", "run-paused", "archived", "not-found")
        },
        **{name: RESPONSE_BODY for name in ("empty", "simulated")},
        "dust-test-and-simulate": {("request", "invalid-body"), *RESPONSE_BODY},
        "run-id-prefix": {("request", "invalid-body"), *RESPONSE_BODY},
        "no-token": {("request", "missing-credentials"), *RESPONSE_BODY},
    },
    "example-archived-409": {"archived": UNDOCUMENTED},
}


def test_every_broken_implementation_is_in_the_table() -> None:
    assert set(DEFECTS) == set(BROKEN)


@pytest.mark.parametrize("api", CORRECT)
def test_a_correct_implementation_shows_only_the_requests_meant_to_be_refused(api: str) -> None:
    assert drive(api, CORRECT[api]()) == REFUSED_REQUESTS[api]


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_implementation_shows_exactly_its_defect(name: str) -> None:
    variant = BROKEN[name]
    found = drive(variant.api, variant.factory())
    assert found == {**REFUSED_REQUESTS[variant.api], **DEFECTS[name]}


# -- the answer, as the upstream gave it ----------------------------------------------------


def case(api: str, name: str) -> Request:
    contract = CONTRACTS[api]
    assert contract.scenarios is not None
    found = next(c for c in contract.scenarios.cases if c.name == name)
    return case_request(contract, contract.operation(), found)


def quiva_app(run: Any) -> Starlette:
    """An upstream answering quiva's operation with `run` (a Starlette endpoint)."""
    return Starlette(routes=[Route("/hub/workflows/{c}/{f}/run", run, methods=["POST"])])


def test_answers_pass_through_unchanged_and_findings_stay_out_of_headers() -> None:
    contract = CONTRACTS["altostrat"]
    defect = BROKEN["altostrat-detail-errors"]
    with (
        serve(defect.factory()) as upstream,
        httpx.Client(base_url=upstream) as direct,
        proxied("altostrat", upstream) as (client, _),
    ):
        for name in ("no-token", "not-found"):
            expected = send(direct, contract, case("altostrat", name))
            answer = send(client, contract, case("altostrat", name))
            assert (answer.status_code, answer.content) == (expected.status_code, expected.content)
            without_date = [h for h in answer.headers.multi_items() if h[0] != "date"]
            assert without_date == [h for h in expected.headers.multi_items() if h[0] != "date"]
        assert {v["kind"] for v in violations(client)} == {"missing-credentials", "invalid-body"}


def test_an_event_stream_is_relayed_event_by_event() -> None:
    release = threading.Event()

    class HeldStream(Pharen):
        """pharen's stream, its last event held back until the test lets it go."""

        async def events(self, workflow_uuid: str, workflow: Workflow) -> AsyncIterator[str]:
            async for event in super().events(workflow_uuid, workflow):
                while event.startswith("event: run") and not release.is_set():
                    await asyncio.sleep(0.01)
                yield event

    contract, request = CONTRACTS["pharen"], case("pharen", "stream")
    op = contract.operation()
    with serve(HeldStream.build()) as upstream, proxied("pharen", upstream) as (client, _):
        with client.stream(
            "POST", request.target(op), headers=request.all_headers(contract), json=request.body
        ) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            chunks = answer.iter_raw()
            first = next(chunks)
            # the upstream still holds its last event back: the stream has not ended
            assert first.startswith(b"event: progress") and b"event: run" not in first
            release.set()
            rest = b"".join(chunks)
        assert rest.rstrip().split(b"\n\n")[-1].startswith(b"event: run")
        entry = client.get("/__mock/requests").json()["requests"][-1]
        assert (entry["status"], entry["violations"]) == (200, [])
        assert "event: progress" in entry["response_body"]


def test_an_unreachable_upstream_is_a_502_counted_apart_from_violations() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with proxied("quiva", dead) as (client, proxy):
        before = proxy.tally.upstream_failures["unreachable"]  # the readiness probe's
        answer = send(client, CONTRACTS["quiva"], case("quiva", "run"))
        assert answer.status_code == 502
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "upstream-unreachable"
        listed = client.get("/__mock/violations").json()
        assert listed["violations"] == []
        assert listed["run"]["upstream_failures"] == {"unreachable": before + 1}


def test_a_slow_upstream_is_a_504() -> None:
    async def run(_request: StarletteRequest) -> Response:
        await asyncio.sleep(1)
        return JSONResponse({"trackingId": "late"})

    with (
        serve(quiva_app(run)) as upstream,
        proxied("quiva", upstream, upstream_timeout=0.2) as (client, _),
    ):
        started = time.monotonic()
        answer = send(client, CONTRACTS["quiva"], case("quiva", "run"))
        assert answer.status_code == 504 and answer.json()["code"] == "upstream-timeout"
        assert time.monotonic() - started < 0.9
        run_counts = client.get("/__mock/violations").json()["run"]
        assert run_counts["upstream_failures"] == {"timeout": 1}


def test_a_body_over_the_limit_is_refused_by_the_proxy_not_forwarded() -> None:
    hits: list[str] = []

    async def run(request: StarletteRequest) -> Response:
        hits.append(request.url.path)
        return JSONResponse({"error": "unexpected"}, 400)

    big = Request(
        path={"collection_topic": "1", "flow_topic": "2"},
        body={"trigger": {"pad": "x" * 4096}},
        has_body=True,
    )
    with (
        serve(quiva_app(run)) as upstream,
        proxied("quiva", upstream, max_body_size=1024) as (client, _),
    ):
        assert send(client, CONTRACTS["quiva"], big).status_code == 413
        assert hits == []


def test_an_answer_over_the_limit_is_forwarded_whole_its_body_unchecked() -> None:
    large = {"trackingId": 42, "result": {"pad": "x" * 8192}}  # not the schema's shape

    async def run(_request: StarletteRequest) -> Response:
        return JSONResponse(large)

    with (
        serve(quiva_app(run)) as upstream,
        proxied("quiva", upstream, max_response_bytes=1024) as (client, _),
    ):
        answer = send(client, CONTRACTS["quiva"], case("quiva", "run"))
        assert answer.json() == large
        entry = client.get("/__mock/requests").json()["requests"][-1]
        assert entry["violations"] == [] and "not kept whole" in entry["rule"]


def test_a_client_that_leaves_ends_the_upstream_stream() -> None:
    ended = threading.Event()

    async def endless() -> AsyncIterator[str]:
        try:
            while True:
                yield 'event: progress\ndata: {"node_id": "n", "status": "running"}\n\n'
                await asyncio.sleep(0.05)
        finally:
            ended.set()

    async def run(_request: StarletteRequest) -> Response:
        return StreamingResponse(endless(), media_type="text/event-stream")

    contract, request = CONTRACTS["quiva"], case("quiva", "run")
    op = contract.operation()
    with serve(quiva_app(run)) as upstream, proxied("quiva", upstream) as (client, proxy):
        with (
            httpx.Client(base_url=client.base_url) as leaving,
            leaving.stream(
                "POST", request.target(op), headers=request.all_headers(contract), json=request.body
            ) as answer,
        ):
            assert next(answer.iter_raw()).startswith(b"event: progress")
        assert ended.wait(5), "the upstream stream is still being read"
        deadline = time.monotonic() + 5
        while proxy.tally.interrupted == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proxy.tally.interrupted == 1


# -- the command, as CI runs it ---------------------------------------------------------------

MOCKSERVER = [sys.executable, "-c", "from mockserver.cli import main; raise SystemExit(main())"]


@contextmanager
def proxy_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`mockserver proxy ARGS` in its own process; its base URL once it says Ready."""
    port = free_port()
    process = subprocess.Popen(
        [*MOCKSERVER, "proxy", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Ready."):
                break
        assert lines and lines[-1].startswith("Ready."), (lines, process.poll())
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def stopped(process: subprocess.Popen[str], sig: signal.Signals) -> str:
    """Stop the proxy as Ctrl-C or a CI runner does; what it printed."""
    process.send_signal(sig)
    out, _ = process.communicate(timeout=20)
    return out


def test_the_command_reports_violations_on_ctrl_c_and_exits_1(tmp_path: Path) -> None:
    report, junit = tmp_path / "proxy.json", tmp_path / "proxy.xml"
    contract = CONTRACTS["altostrat"]
    options = ("--report", str(report), "--junit-xml", str(junit))
    with (
        serve(BROKEN["altostrat-200-not-202"].factory()) as upstream,
        proxy_process("altostrat", "--upstream", upstream, *options) as (process, base),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        assert send(client, contract, case("altostrat", "execute")).status_code == 200
        assert send(client, contract, case("altostrat", "not-found")).status_code == 404
        out = stopped(process, signal.SIGINT)
        assert process.returncode == 1
    written = json.loads(report.read_text())
    assert (written["conforms"], written["exchanges"], written["violations"]) == (False, 2, 1)
    (finding,) = written["findings"]
    assert (finding["where"], finding["kind"], finding["first"]["status"]) == (
        "response",
        "undocumented-status",
        200,
    )
    assert finding["first"]["curl"].startswith("curl -X POST")
    suites = ET.parse(junit).getroot()
    assert suites.get("failures") == "1"
    failing = [c.get("name") for c in suites.iter("testcase") if c.find("failure") is not None]
    assert failing == ["response undocumented-status[POST /workflows/{workflowId}/execute]"]
    assert "2 exchanges, 1 violation in 1 of them" in out and f"report: {report}" in out


def test_the_command_exits_0_on_sigterm_when_the_answers_held(tmp_path: Path) -> None:
    """`--fail-on response`: a suite's deliberately invalid request (no credentials, to see
    the 401) is reported, and the run still conforms."""
    report = tmp_path / "proxy.json"
    options = ("--report", str(report), "--fail-on", "response")
    with (
        serve(CORRECT["quiva"]()) as upstream,
        proxy_process("quiva", "--upstream", upstream, *options) as (process, base),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        assert send(client, CONTRACTS["quiva"], case("quiva", "run")).status_code == 200
        assert send(client, CONTRACTS["quiva"], case("quiva", "no-credentials")).status_code == 401
        stopped(process, signal.SIGTERM)
        assert process.returncode == 0
    written = json.loads(report.read_text())
    assert (written["conforms"], written["exchanges"], written["violations"]) == (True, 2, 1)
    assert [(f["where"], f["kind"]) for f in written["findings"]] == [
        ("request", "missing-credentials")
    ]


def test_an_upstream_that_never_answers_does_not_fail_the_run(tmp_path: Path) -> None:
    report = tmp_path / "proxy.json"
    dead = f"http://127.0.0.1:{free_port()}"
    with (
        proxy_process("quiva", "--upstream", dead, "--report", str(report)) as (process, base),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        assert send(client, CONTRACTS["quiva"], case("quiva", "run")).status_code == 502
        stopped(process, signal.SIGTERM)
        assert process.returncode == 0
    written = json.loads(report.read_text())
    assert written["conforms"] is True and written["upstream_failures"] == {"unreachable": 1}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--upstream", "localhost:8000"],
            "--upstream 'localhost:8000' is not an http:// or https:// URL",
        ),
        (
            ["--upstream", "http://127.0.0.1:1", "--report", "no/such/dir/r.json"],
            "--report no/such/dir/r.json: no directory no/such/dir to write it in",
        ),
    ],
    ids=["upstream", "report"],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str], expected: str) -> None:
    done = subprocess.run(
        [*MOCKSERVER, "proxy", "quiva", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stderr) == (2, f"mockserver: {expected}\n")


# -- any document ---------------------------------------------------------------------------

ITEMS = """\
openapi: 3.0.3
info: {title: Items, version: "1"}
paths:
  /items/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: an item
          headers:
            X-Rate-Limit: {required: true, schema: {type: integer}}
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
"""


def test_any_document_headers_media_types_and_undocumented_answers(tmp_path: Path) -> None:
    spec = tmp_path / "items.yaml"
    spec.write_text(ITEMS)
    (contract,) = load_contracts(MockConfig(apis=(str(spec),)))()

    async def item(request: StarletteRequest) -> Response:
        which = request.path_params["id"]
        if which == "1":
            return JSONResponse({"id": 1})  # no X-Rate-Limit
        if which == "2":
            return Response("id: 2", media_type="text/plain", headers={"X-Rate-Limit": "9"})
        if which == "4":
            return JSONResponse({"error": "no item 4"}, 404)
        return JSONResponse({"id": 3}, headers={"X-Rate-Limit": "9"})

    app = Starlette(routes=[Route("/items/{id}", item, methods=["GET"])])
    found: dict[str, Found] = {}
    with serve(app) as upstream, proxied("items", upstream, contract=contract) as (client, _):
        for path in ("/items/1", "/items/2", "/items/3", "/items/4", "/items/x", "/elsewhere"):
            seen = len(violations(client))
            client.get(path)
            found[path] = {(v["where"], v["kind"]) for v in violations(client)[seen:]}
        preflight = {"Origin": "http://app.test", "Access-Control-Request-Method": "GET"}
        assert client.options("/items/1", headers=preflight).status_code == 405  # Starlette's
        assert violations(client)[-1]["path"] == "/elsewhere"  # the preflight: not judged
    assert found == {
        "/items/1": {("response", "missing-header")},
        "/items/2": {("response", "wrong-content-type")},
        "/items/3": set(),
        "/items/4": {("response", "undocumented-status")},
        "/items/x": {("request", "invalid-parameter"), ("response", "invalid-request-accepted")},
        "/elsewhere": {("request", "unknown-operation")},
    }
