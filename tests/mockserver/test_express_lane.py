"""The express lane answers exactly what Connexion's own path answers.

Two real mocks with the same seed: one as served (a request with a scenarios credential
skips Connexion's guard middleware and is validated by the operation's Connexion
validators called directly), one with `express=False` (every request through Connexion's
guard and validation middleware). Each request goes to both, in the same order; status,
media type, the journal's rule and example, and the body must agree (fresh ids and
clocks aside).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from contracts import Contract, load_contract
from mockserver.app import MockServer
from mockserver.config import MockConfig
from tests.conftest import API_IDS, SPECS
from tests.mockserver.conftest import auth_headers, case_request, running

CONTRACTS = {api: load_contract(SPECS / f"{api}.yaml") for api in API_IDS}
_VOLATILE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuid
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"  # timestamp
    r"|(?<![0-9a-z])[0-9a-hjkmnp-tv-z]{26}(?![0-9a-z])"  # ulid
)

Served = tuple[httpx.Client, MockServer]
Pair = tuple[Served, Served]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with (
        running(MockConfig(seed=5)) as (express, express_server),
        running(MockConfig(seed=5, express=False)) as (connexion, connexion_server),
        httpx.Client(base_url=express, timeout=10) as a,
        httpx.Client(base_url=connexion, timeout=10) as b,
    ):
        yield (a, express_server), (b, connexion_server)


def _answer(served: Served, request: dict[str, Any]) -> tuple[Any, ...]:
    client, server = served
    before = asyncio.run(server.state.stats())["recorded_total"]
    response = client.request(**request)
    # The server thread journals a request just after sending its answer: wait for it.
    deadline = time.monotonic() + 5
    while (
        asyncio.run(server.state.stats())["recorded_total"] == before
        and time.monotonic() < deadline
    ):
        time.sleep(0.001)
    entry = asyncio.run(server.state.journal())[-1]
    return (
        response.status_code,
        response.headers.get("content-type"),
        entry.rule,
        entry.example,
        _VOLATILE.sub("<volatile>", response.text),
    )


def assert_same(pair: Pair, request: dict[str, Any]) -> tuple[Any, ...]:
    express, connexion = (_answer(served, request) for served in pair)
    assert express == connexion, request
    return express


def _variants(contract: Contract) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every scenario case, and each run again with what a careless client changes."""
    assert contract.scenarios is not None
    for case in contract.scenarios.cases:
        request = case_request(contract, case)
        yield case.name, request
        headers = request["headers"]
        cred = {k: v for k, v in headers.items() if k in auth_headers(contract)}
        rest = {k: v for k, v in headers.items() if k not in cred}
        yield f"{case.name}/no-credential", {**request, "headers": rest}
        yield (
            f"{case.name}/unknown-credential",
            {
                **request,
                "headers": {
                    **rest,
                    **dict.fromkeys(cred, "Bearer nope" if "Authorization" in cred else "nope"),
                },
            },
        )
        for name, value in cred.items():
            if value.startswith("Bearer "):
                lower = value.replace("Bearer ", "bearer ", 1)
                yield (
                    f"{case.name}/lower-case-scheme",
                    {**request, "headers": {**rest, name: lower}},
                )
        body = {k: v for k, v in request.items() if k != "json"}
        typed = {**headers, "Content-Type": "application/json"}
        for label, content in (
            ("malformed", b'{"a": '),
            ("null", b"null"),
            ("array", b"[]"),
            ("not-utf8", b'{"a": "\xff"}'),
            ("deep", b"[" * 10_000 + b"]" * 10_000),
            ("empty", b""),
        ):
            yield f"{case.name}/{label}", {**body, "headers": typed, "content": content}
        if "json" in request:
            text = {**headers, "Content-Type": "text/plain"}
            yield (
                f"{case.name}/text-plain",
                {**body, "headers": text, "content": json.dumps(request["json"]).encode()},
            )
        yield f"{case.name}/extra-query", {**request, "params": {**request["params"], "zzz": "1"}}


@pytest.mark.parametrize("api", API_IDS)
def test_documented_cases_and_their_variants_answer_alike(pair: Pair, api: str) -> None:
    statuses = set()
    for _name, request in _variants(CONTRACTS[api]):
        statuses.add(assert_same(pair, request)[0])
    assert {s for s in statuses if s < 300} and {401, 400} <= statuses


@pytest.mark.parametrize("api", API_IDS)
def test_generated_requests_answer_alike(pair: Pair, api: str) -> None:
    contract = CONTRACTS[api]
    op = contract.operation()
    schema = schemathesis.openapi.from_dict(dict(contract.resolved))
    operation = schema[op.path][op.method.upper()]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    credential = auth_headers(contract)

    @settings(
        max_examples=100,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="", headers=credential)
        request: dict[str, Any] = {
            "method": kwargs["method"],
            "url": f"/{api}{kwargs['url']}",
            "headers": {k: str(v) for k, v in (kwargs.get("headers") or {}).items()},
            "params": kwargs.get("params"),
        }
        if "json" in kwargs:
            request["json"] = kwargs["json"]
        elif kwargs.get("data") is not None:
            data = kwargs["data"]
            request["content"] = data if isinstance(data, bytes) else str(data).encode()
        assert_same(pair, request)

    check()
