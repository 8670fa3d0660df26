"""CORS as frontend dev servers need it (and as Prism does it)."""

from __future__ import annotations

import httpx

from mockserver.config import MockConfig
from tests.mockserver.conftest import running

ORIGIN = "http://localhost:3000"
URL = "/quiva/hub/workflows/c1/21312322/run"


def test_preflight_is_answered_with_what_was_asked(client: httpx.Client) -> None:
    response = client.options(
        URL,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-api-key, x-api-key, prefer, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "x-api-key", "prefer", "content-type"):
        assert header in allowed


def test_actual_responses_carry_the_origin_and_exposed_headers(client: httpx.Client) -> None:
    for headers in ({"Authorization": "Bearer t"}, {}):  # success and refusal alike
        response = client.post(URL, json={"trigger": {}}, headers={"Origin": ORIGIN, **headers})
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "content-type" in response.headers["access-control-expose-headers"].lower()


def test_cors_off() -> None:
    with running(MockConfig(apis=("quiva",), cors=False)) as (base, _):
        response = httpx.options(
            base + URL, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in response.headers
        post = httpx.post(
            base + URL,
            json={"trigger": {}},
            headers={"Origin": ORIGIN, "Authorization": "Bearer qv_test_token"},
        )
        assert post.status_code == 200 and "access-control-allow-origin" not in post.headers
