"""The admin API and the Host check against a neighbour on the network and a web page
(issue 13, item 4): off loopback the admin API needs its token, no page can reset the
mock cross-site, and DNS rebinding gets 421 on every path."""

from __future__ import annotations

import re
import signal

import httpx
import pytest

from contracts import load_contract
from mockserver.config import MockConfig
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, running, success_request
from tests.mockserver.test_cli import serve

WIV = load_contract(SPECS / "wiv.yaml")
TOKEN = "s3cret-admin-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def wiv_run(base: str) -> httpx.Response:
    kwargs = success_request(WIV)
    return httpx.request(**{**kwargs, "url": base + kwargs["url"]})


def test_off_loopback_the_admin_api_needs_its_token() -> None:
    # Bound (as configured) to every interface; the test reaches it on loopback.
    with running(MockConfig(apis=("wiv",), host="0.0.0.0", admin_token=TOKEN)) as (base, _):
        assert wiv_run(base).status_code == 200
        # The attack as the issue writes it: anyone on the network reads and wipes.
        read = httpx.get(f"{base}/__mock/requests")
        wipe = httpx.post(f"{base}/__mock/reset", headers=ADMIN)
        wrong = httpx.get(f"{base}/__mock/requests", headers={"Authorization": "Bearer nope"})
        assert (read.status_code, wipe.status_code, wrong.status_code) == (401, 401, 401)
        assert read.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in read.json()["error"]
        assert "requests" not in read.json()
        # Health stays open (a load balancer's probe); the journal survived the attempt.
        assert httpx.get(f"{base}/__mock/health").json()["status"] == "ok"
        journal = httpx.get(f"{base}/__mock/requests", headers=BEARER).json()["requests"]
        run_path = success_request(WIV)["url"]
        assert [(e["path"], e["status"]) for e in journal][-1] == (run_path, 200)
        # With the token, the owner resets it.
        reset = httpx.post(f"{base}/__mock/reset", headers={**BEARER, **ADMIN})
        assert reset.status_code == 200
        assert httpx.get(f"{base}/__mock/requests", headers=BEARER).json()["count"] == 0


def test_on_loopback_the_admin_api_stays_open(base_url: str) -> None:
    assert httpx.get(f"{base_url}/__mock/requests", params={"limit": 1}).status_code == 200
    assert httpx.post(f"{base_url}/__mock/reset", headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    ("headers", "content"),
    [
        # a form post (the classic CSRF)
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"x=1"),
        # fetch(url, {method: "POST", mode: "no-cors"}): no body, no content type
        ({}, b""),
        ({"Content-Type": "text/plain"}, b"{}"),
        # a browser that says where it comes from
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, b"{}"),
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, b"{}"),
        ({"X-Mock-Admin": "1", "Origin": "null"}, b""),
    ],
    ids=["form", "no-cors", "text-plain", "sec-fetch-cross-site", "foreign-origin", "null-origin"],
)
def test_a_cross_site_reset_is_refused(
    base_url: str, headers: dict[str, str], content: bytes
) -> None:
    httpx.post(f"{base_url}/__mock/reset", headers=ADMIN)
    assert wiv_run(f"{base_url}").status_code == 200
    refused = httpx.post(f"{base_url}/__mock/reset", headers=headers, content=content)
    assert refused.status_code == 403
    assert "error" in refused.json()
    # nothing was wiped: the request made before is still there
    journal = httpx.get(f"{base_url}/__mock/requests", params={"api": "wiv"}).json()
    assert journal["count"] == 1
    assert httpx.get(f"{base_url}/__mock/health").json()["status"] == "ok"


def test_a_same_origin_or_scripted_reset_passes(base_url: str) -> None:
    port = base_url.rsplit(":", 1)[1]
    for headers in (
        {"Content-Type": "application/json"},
        {"X-Mock-Admin": "1"},
        {"X-Mock-Admin": "1", "Origin": f"http://localhost:{port}"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"},
    ):
        assert httpx.post(f"{base_url}/__mock/reset", headers=headers).status_code == 200


def test_a_preflight_for_the_admin_api_is_never_granted(base_url: str) -> None:
    preflight = httpx.options(
        f"{base_url}/__mock/reset",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "path", ["/__mock/requests", "/__mock/health", "/wiv/workflows/w1/run", "/nowhere"]
)
def test_dns_rebinding_gets_421_on_every_path(base_url: str, path: str) -> None:
    """A page at attacker.example rebinds its name to 127.0.0.1: its requests reach the
    mock with `Host: attacker.example:PORT`."""
    httpx.post(f"{base_url}/__mock/reset", headers=ADMIN)
    port = base_url.rsplit(":", 1)[1]
    kwargs = success_request(WIV)
    response = httpx.request(
        "POST" if path.startswith("/wiv") else "GET",
        base_url + path,
        headers={**kwargs["headers"], "Host": f"attacker.example:{port}"},
        json=kwargs.get("json"),
    )
    assert response.status_code == 421
    assert "--allowed-host" in response.text
    assert "trackingId" not in response.text and "requests" not in response.json()
    # the mock answers to its own names still, and a refused API call is journaled
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert httpx.get(f"{base_url}/__mock/health", headers={"Host": host}).status_code == 200
    journal = httpx.get(f"{base_url}/__mock/requests").json()["requests"]
    if path.startswith("/wiv") or path == "/nowhere":
        assert [(e["path"], e["status"]) for e in journal] == [(path, 421)]
        assert journal[0]["rule"].startswith("refused: the mock does not answer to Host")
    else:
        assert journal == []


def test_a_421_under_an_api_is_in_its_error_shape(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/wiv/workflows/w1/run", headers={"Host": "rebound.example"}, json={}
    )
    first_400 = next(iter(WIV.operation().responses["400"].examples))[1].value
    assert response.status_code == 421
    assert set(response.json()) == set(first_400)


def test_allowed_host_names_another_host() -> None:
    config = MockConfig(apis=("wiv",), allowed_hosts=("mock.internal",))
    with running(config) as (base, _):
        ok = httpx.get(f"{base}/__mock/health", headers={"Host": "mock.internal:4010"})
        other = httpx.get(f"{base}/__mock/health", headers={"Host": "mock.external"})
        assert (ok.status_code, other.status_code) == (200, 421)


def test_serve_off_loopback_prints_and_requires_a_generated_token() -> None:
    with serve("wiv", "--host", "0.0.0.0") as (proc, base, _):
        assert httpx.get(f"{base}/__mock/requests").status_code == 401
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    warning = next(line for line in err.splitlines() if "warning: binding 0.0.0.0" in line)
    assert "admin API (/__mock/)" in warning and "Authorization: Bearer" in warning
    token = re.search(r"admin token \(generated\): (\S+)", warning)
    assert token is not None and len(token.group(1)) >= 24


def test_serve_uses_the_token_given_and_does_not_print_it() -> None:
    with serve("wiv", "--host", "0.0.0.0", "--admin-token", TOKEN) as (proc, base, _):
        assert httpx.get(f"{base}/__mock/requests").status_code == 401
        assert httpx.get(f"{base}/__mock/requests", headers=BEARER).status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert TOKEN not in out + err
    assert "admin token: the one given" in err


def test_serve_refuses_a_foreign_host_and_allows_a_named_one() -> None:
    with serve("wiv", "--allowed-host", "mock.internal") as (proc, base, _):
        assert httpx.get(f"{base}/__mock/health", headers={"Host": "evil.test"}).status_code == 421
        named = httpx.get(f"{base}/__mock/health", headers={"Host": "mock.internal"})
        assert named.status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1", 200),
        ("[::1]:4010", 200),
        ("LOCALHOST:4010", 200),
        ("localhost.", 200),
        ("192.168.1.5:4010", 200),  # the machine's own address: an IP cannot be rebound
        ("localhost.attacker.example", 421),
        ("127.0.0.1.nip.io", 421),
        ("attacker.example:80", 421),
        ("[::1].attacker.example", 421),
    ],
)
def test_which_hosts_the_mock_answers_to(base_url: str, host: str, status: int) -> None:
    assert httpx.get(f"{base_url}/__mock/health", headers={"Host": host}).status_code == status
