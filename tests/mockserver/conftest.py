"""A real mock server on a free loopback port, and helpers that check what it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from contracts import Contract, requests
from contracts.examples import schema_validator
from contracts.requests import Request, wire
from contracts.scenarios import Case
from mockserver.app import MockServer
from mockserver.build import build_app
from mockserver.config import MockConfig
from mockserver.connections import uvicorn_settings
from tests.conftest import SPECS
from tests.implementations import serve

ADMIN = {"X-Mock-Admin": "1"}  # what a call that changes the mock's state must carry


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_process(*args: str) -> Iterator[str]:
    """`mockserver serve ARGS` as a user runs it, in its own process on a free loopback
    port; yield its base URL once `/__mock/health` answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from mockserver.cli import main; raise SystemExit(main())",
            "serve",
            "--port",
            str(port),
            *args,
        ],
        cwd=SPECS.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base_url}/__mock/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("mockserver serve did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def running(config: MockConfig) -> Iterator[tuple[str, MockServer]]:
    """Serve `config` as `mockserver serve` would (its lifespan, its uvicorn settings and
    HTTP protocol) on a free loopback port; yield the base URL and the server."""
    app = build_app(MockConfig(**{**config.__dict__, "specs_dir": config.specs_dir or SPECS}))
    with serve(app, loop="auto", **uvicorn_settings(app.config)) as base:
        yield base, app


@pytest.fixture(scope="session")
def mock() -> Iterator[tuple[str, MockServer]]:
    with running(MockConfig(seed=7)) as served:
        yield served


@pytest.fixture(scope="session")
def base_url(mock: tuple[str, MockServer]) -> str:
    return mock[0]


@pytest.fixture()
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as c:
        yield c


@pytest.fixture()
def fresh(mock: tuple[str, MockServer], client: httpx.Client) -> httpx.Client:
    """A client on a mock whose journal and state were just reset."""
    assert client.post("/__mock/reset", headers=ADMIN).status_code == 200
    return client


def auth_headers(contract: Contract, credential: str = "default") -> dict[str, str]:
    """The headers that present the scenarios' credential `credential`."""
    return Request(credential=credential).all_headers(contract)


def case_request(contract: Contract, case: Case) -> dict[str, Any]:
    """The httpx.request() arguments that send a scenario case to the API at /<id>
    (built by `contracts.requests`, as verify and the docs/cases.md listing build it)."""
    op = contract.operation()
    request = requests.case_request(contract, op, case)
    path, _, _ = request.target(op).partition("?")
    kwargs: dict[str, Any] = {
        "method": op.method.upper(),
        "url": f"/{contract.api_id}{path}",
        "params": {k: wire(v) for k, v in request.query.items()},
        "headers": request.all_headers(contract),
    }
    if request.has_body:
        kwargs["json"] = request.body
    return kwargs


def success_case(contract: Contract) -> Case:
    """The first case its scenarios expect a 2xx for: a request the API runs."""
    assert contract.scenarios is not None
    return next(c for c in contract.scenarios.cases if c.expect.status < 300)


def success_request(contract: Contract) -> dict[str, Any]:
    """`success_case` as httpx.request() arguments."""
    return case_request(contract, success_case(contract))


def assert_conforms(contract: Contract, response: httpx.Response) -> Any:
    """The response's status is documented and its body validates against that schema."""
    op = contract.operation()
    status = str(response.status_code)
    assert status in op.responses, f"undocumented status {status}: {response.text}"
    media_type = response.headers.get("content-type", "").split(";")[0]
    documented = op.responses[status].content
    assert media_type in documented, f"{status} {media_type} not in {list(documented)}"
    schema = documented[media_type].schema
    if media_type != "application/json":
        return response.text
    body = response.json()
    if schema:
        errors = [
            e.message for e in schema_validator(schema, contract.openapi_version).iter_errors(body)
        ]
        assert errors == [], f"{status} body does not match its schema: {errors}: {body}"
    return body


def last_entry(client: httpx.Client, api: str) -> Mapping[str, Any]:
    entries = client.get("/__mock/requests", params={"api": api}).json()["requests"]
    return entries[-1]
