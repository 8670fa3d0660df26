"""What the journal keeps (issue 13, items 5 and 6): no secret, whoever declared it; every
value of a repeated header; oversized parts cut and marked; a bound in bytes."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import yaml

from contracts import load_contract
from mockserver.config import MockConfig
from mockserver.redact import HEADER_VALUE_LIMIT
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, running, success_request

QUIVA = load_contract(SPECS / "quiva.yaml")
WIV = load_contract(SPECS / "wiv.yaml")

SECRETS = {
    "query_api_key": "qApiKeyValue0001",
    "query_token": "qTokenValue00002",
    "query_access_token": "qAccessToken0003",
    "amz": "AmzSessionToken0004",
    "auth_token": "XAuthTokenValue0005",
    "bearer_one": "firstBearerValue0006",
    "bearer_two": "secondBearerValue0007",
    "password": "hunter2-password-0008",
    "client_secret": "clientSecretValue0009",
    "cookie": "sessionCookieValue0010",
}


def test_no_secret_reaches_the_journal(fresh: httpx.Client) -> None:
    kwargs = success_request(QUIVA)
    headers = [(k, v) for k, v in kwargs["headers"].items() if k.lower() != "authorization"]
    headers += [
        ("Authorization", f"Bearer {SECRETS['bearer_one']}"),
        ("Authorization", f"Bearer {SECRETS['bearer_two']}"),
        ("X-Amz-Security-Token", SECRETS["amz"]),
        ("X-Auth-Token", SECRETS["auth_token"]),
        ("Cookie", f"session={SECRETS['cookie']}"),
        ("X-Request-Id", "visible-request-id"),
    ]
    body = {
        **kwargs["json"],
        "account": {"password": SECRETS["password"], "user": "ann"},
        "clients": [{"client_secret": SECRETS["client_secret"], "name": "visible-name"}],
    }
    query = {
        "api_key": SECRETS["query_api_key"],
        "token": SECRETS["query_token"],
        "access_token": SECRETS["query_access_token"],
        "page": "2",
    }
    response = fresh.request(
        kwargs["method"], kwargs["url"], params=query, headers=headers, json=body
    )
    assert response.status_code < 500
    (entry,) = fresh.get("/__mock/requests").json()["requests"]
    dump = json.dumps(entry)
    leaked = [name for name, secret in SECRETS.items() if secret in dump]
    assert leaked == []
    # Masked, not dropped: every value is there, its last 4 characters shown.
    assert entry["headers"]["authorization"] == "****0006, ****0007"
    assert entry["headers"]["x-amz-security-token"] == "****0004"
    assert entry["headers"]["x-auth-token"] == "****0005"
    assert entry["headers"]["cookie"] == "****0010"
    assert entry["headers"]["x-request-id"] == "visible-request-id"
    assert entry["query"] == "api_key=****0001&token=****0002&access_token=****0003&page=2"
    assert entry["body"]["account"] == {"password": "****0008", "user": "ann"}
    assert entry["body"]["clients"] == [{"client_secret": "****0009", "name": "visible-name"}]
    assert entry["body"]["trigger"] == kwargs["json"]["trigger"]
    assert fresh.get("/__mock/health").json()["status"] == "ok"


def test_a_form_body_and_a_body_that_is_not_strict_json_are_masked_too(
    fresh: httpx.Client,
) -> None:
    kwargs = success_request(WIV)
    fresh.post(
        kwargs["url"],
        headers={**kwargs["headers"], "Content-Type": "application/x-www-form-urlencoded"},
        content=b"user=ann&password=formPassword0011",
    )
    fresh.post(
        kwargs["url"],
        headers={**kwargs["headers"], "Content-Type": "application/json"},
        content=b'{"secret": "nanSecretValue0012", "n": NaN}',
    )
    form, not_strict = fresh.get("/__mock/requests").json()["requests"]
    assert form["body"] == "user=ann&password=****0011"
    assert "nanSecretValue0012" not in json.dumps(not_strict)
    assert '"secret": "****0012"' in not_strict["body"]


def _with_own_schemes(tmp_path: Path) -> Path:
    """example.yaml whose spec declares credentials no convention names."""
    spec = yaml.safe_load((SPECS / "example.yaml").read_text())
    spec["components"]["securitySchemes"].update(
        {
            "partnerHeader": {"type": "apiKey", "in": "header", "name": "X-Partner-Pass"},
            "partnerQuery": {"type": "apiKey", "in": "query", "name": "pq"},
            "partnerCookie": {"type": "apiKey", "in": "cookie", "name": "wf"},
        }
    )
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_the_credentials_a_spec_declares_are_masked(tmp_path: Path) -> None:
    spec = _with_own_schemes(tmp_path)
    with running(MockConfig(apis=(str(spec),))) as (base, _):
        httpx.post(
            f"{base}/example/v1/workflows/wf_active/run",
            params={"pq": "partnerQueryValue0013", "other": "shown"},
            headers={"X-Partner-Pass": "partnerHeaderValue0014", "Cookie": "wf=cookie0015abc"},
            json={},
        )
        entries = httpx.get(f"{base}/__mock/requests", params={"api": "example"}).json()
    entry = entries["requests"][-1]
    assert entry["headers"]["x-partner-pass"] == "****0014"
    assert entry["query"] == "pq=****0013&other=shown"
    assert "cookie0015abc" not in json.dumps(entry)


def test_a_431_with_a_huge_header_is_journaled_cut_and_marked() -> None:
    """Below the protocol's cap the app answers 431 in the API's shape; above it the
    connection is refused before more is read. Both are journaled, cut, nothing lost."""
    with running(MockConfig(apis=("wiv",))) as (base, _):
        kwargs = success_request(WIV)
        url = base + kwargs["url"]
        httpx.post(f"{base}/__mock/reset", headers=ADMIN)
        app_level = httpx.post(url, headers={**kwargs["headers"], "X-Huge": "h" * 40_000})
        assert app_level.status_code == 431
        try:
            protocol_level = httpx.post(
                url, headers={**kwargs["headers"], "X-Huge": "h" * 16_000_000}
            )
            assert protocol_level.status_code == 431
        except httpx.TransportError:
            pass  # closed while the client was still sending: refused all the same
        assert httpx.request(**{**kwargs, "url": url}).status_code == 200
        entries = httpx.get(f"{base}/__mock/requests").json()["requests"]
    assert [e["status"] for e in entries] == [431, 431, 200]
    cut_by_app, cut_by_protocol, fine = entries
    assert len(cut_by_app["headers"]["x-huge"]) < HEADER_VALUE_LIMIT + 100
    assert cut_by_app["headers"]["x-huge"].endswith("...<truncated, 40000 bytes>")
    assert cut_by_app["truncated"] == ["x-huge: 40000 bytes, the first 4096 kept"]
    assert cut_by_protocol["path"] == kwargs["url"]
    assert cut_by_protocol["rule"].startswith("connection: the request line and headers exceed")
    assert cut_by_protocol["headers"]["x-api-key"].startswith("****")
    assert fine["truncated"] == []
    assert len(json.dumps(entries)) < 30_000


def test_the_journal_is_bounded_in_bytes_and_reads_fast() -> None:
    bound = 1024 * 1024
    with running(MockConfig(apis=("wiv",), journal_bytes=bound)) as (base, server):
        kwargs = success_request(WIV)
        url = base + kwargs["url"]
        with httpx.Client(timeout=30) as client:
            for i in range(150):  # ~40 KB of headers each, 6 MB in all
                headers = {**kwargs["headers"], "X-Huge": f"{i:04d}" + "h" * 40_000}
                assert client.post(url, headers=headers, json={}).status_code == 431
            headers = {**kwargs["headers"], "Content-Type": "application/json"}
            for i in range(30):  # 900 KB bodies: under the body limit, over the journal's
                body = json.dumps({"payload": {"text": "x" * 900_000, "i": i}}).encode()
                assert client.post(url, headers=headers, content=body).status_code == 200
            stats = asyncio.run(server.state.stats())
            assert stats["journal_bytes"] <= bound
            assert stats["recorded_total"] == 150 + 30 + 1  # and the start-up probe
            started = time.perf_counter()
            last = client.get(f"{base}/__mock/requests", params={"limit": 1}).json()
            elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    (entry,) = last["requests"]
    assert entry["status"] == 200 and entry["body"] == f"<{len(body)} bytes>"
    assert entry["truncated"] == [f"body: {len(body)} bytes, not kept"]
