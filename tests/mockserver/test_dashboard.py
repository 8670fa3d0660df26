"""The dashboard over plain HTTP: its three static files (types, headers, access) and the
journal's event stream (`GET /__mock/requests/stream`): entries as events, resumed from
`Last-Event-ID`, filtered by API, bounded, and ended at shutdown without holding it up."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

import httpx
import pytest

from contracts import load_contract
from mockserver.config import MockConfig
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, running, success_request
from tests.mockserver.test_cli import serve

QUIVA = load_contract(SPECS / "quiva.yaml")
WIV = load_contract(SPECS / "wiv.yaml")
STREAM = "/__mock/requests/stream"
UI = {
    "/__mock/ui": ("dashboard.html", "text/html; charset=utf-8"),
    "/__mock/ui/": ("dashboard.html", "text/html; charset=utf-8"),
    "/__mock/ui/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/__mock/ui/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}


def run(client: httpx.Client, contract: Any = WIV, **headers: str) -> int:
    kwargs = success_request(contract)
    return client.request(**{**kwargs, "headers": {**kwargs["headers"], **headers}}).status_code


def events(lines: Iterator[str], count: int) -> list[dict[str, Any]]:
    """The next `count` events of a text/event-stream (comments and `retry:` skipped)."""
    found: list[dict[str, Any]] = []
    event: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "event" in event:
                found.append(event)
                if len(found) == count:
                    return found
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            event[name] = json.loads(value) if name == "data" else value
    raise AssertionError(f"the stream ended after {found}")


@pytest.mark.parametrize("path", sorted(UI))
def test_the_pages_files_ship_in_the_package_and_are_served_as_what_they_are(
    base_url: str, path: str
) -> None:
    name, media_type = UI[path]
    reply = httpx.get(base_url + path)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == media_type
    assert reply.content == (files("mockserver") / "ui" / name).read_bytes()
    # its own script and style only, never framed, never a Referer with ?token= in it
    policy = reply.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "no-referrer"


def test_the_page_loads_nothing_from_elsewhere(base_url: str) -> None:
    page = httpx.get(f"{base_url}/__mock/ui").text
    assert 'src="/__mock/ui/dashboard.js"' in page
    assert 'href="/__mock/ui/dashboard.css"' in page
    for name in ("dashboard.html", "dashboard.js", "dashboard.css"):
        text = (files("mockserver") / "ui" / name).read_text()
        assert "http://" not in text
        assert "https://" not in text


def test_the_page_and_its_files_are_read_only(base_url: str) -> None:
    assert httpx.post(f"{base_url}/__mock/ui", headers=ADMIN).status_code == 405
    assert httpx.get(f"{base_url}/__mock/ui/other.js").status_code == 404


def test_with_a_token_the_files_are_open_and_the_data_is_not() -> None:
    token = "dashboard-token-for-tests"
    bearer = {"Authorization": f"Bearer {token}"}
    # Bound (as configured) to every interface; the test reaches it on loopback.
    with running(MockConfig(apis=("wiv",), host="0.0.0.0", admin_token=token)) as (base, _):
        for path in UI:  # code the package ships, no data: a browser cannot send the token
            assert httpx.get(base + path).status_code == 200
        refused = httpx.get(base + STREAM)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(base + STREAM, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        with httpx.stream("GET", base + STREAM, headers=bearer, timeout=10) as reply:
            assert reply.status_code == 200
            assert reply.headers["content-type"].startswith("text/event-stream")
        # the Host check (DNS rebinding) applies to the page as to the rest of /__mock/
        rebound = httpx.get(f"{base}/__mock/ui", headers={"Host": "attacker.example"})
        assert rebound.status_code == 421


def test_without_the_admin_api_there_is_no_page() -> None:
    with running(MockConfig(apis=("wiv",), admin=False)) as (base, _):
        assert httpx.get(f"{base}/__mock/ui").status_code == 404
        assert httpx.get(base + STREAM).status_code == 404


def test_the_stream_sends_the_journal_then_each_new_request(fresh: httpx.Client) -> None:
    assert run(fresh) == 200
    listed = fresh.get("/__mock/requests").json()["requests"]
    with fresh.stream("GET", STREAM) as reply:
        assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert reply.headers["cache-control"] == "no-cache"
        lines = reply.iter_lines()
        assert next(lines) == "retry: 2000"
        (first,) = events(lines, 1)
        # each entry as GET /__mock/requests lists it, its seq as the event id
        assert first == {"id": str(listed[0]["seq"]), "event": "request", "data": listed[0]}
        assert first["data"]["rule"] == "pair"  # the documented request example's answer
        # live: a request sent while the stream is open arrives on it
        assert run(fresh, QUIVA, Prefer="code=400, example=ArchivedFlow") == 400
        (second,) = events(lines, 1)
        assert int(second["id"]) > int(first["id"])
        assert second["data"]["api"] == "quiva"
        assert second["data"]["status"] == 400
        assert (second["data"]["rule"], second["data"]["example"]) == ("prefer", "ArchivedFlow")


def test_the_stream_resumes_after_the_last_event_id(fresh: httpx.Client) -> None:
    for _ in range(3):
        assert run(fresh) == 200
    seqs = [e["seq"] for e in fresh.get("/__mock/requests").json()["requests"]]
    with fresh.stream("GET", STREAM, headers={"Last-Event-ID": str(seqs[0])}) as reply:
        assert [int(e["id"]) for e in events(reply.iter_lines(), 2)] == seqs[1:]
    with fresh.stream("GET", STREAM, params={"since": seqs[1]}) as reply:
        assert [int(e["id"]) for e in events(reply.iter_lines(), 1)] == seqs[2:]


def test_the_stream_of_one_api(fresh: httpx.Client) -> None:
    assert run(fresh, WIV) == 200
    assert run(fresh, QUIVA) == 200
    with fresh.stream("GET", STREAM, params={"api": "quiva"}) as reply:
        lines = reply.iter_lines()
        assert [e["data"]["api"] for e in events(lines, 1)] == ["quiva"]
        assert run(fresh, WIV) == 200
        assert run(fresh, QUIVA) == 200
        assert [e["data"]["api"] for e in events(lines, 1)] == ["quiva"]


def test_the_stream_says_when_the_journal_is_reset(fresh: httpx.Client) -> None:
    with fresh.stream("GET", STREAM) as reply:
        lines = reply.iter_lines()
        assert fresh.post("/__mock/reset", headers=ADMIN).status_code == 200
        assert events(lines, 1) == [{"event": "reset", "data": {}}]
        assert run(fresh) == 200
        assert events(lines, 1)[0]["event"] == "request"


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ({"since": "x"}, {}, 400),
        ({"since": "-1"}, {}, 400),
        ({}, {"Last-Event-ID": "1.5"}, 400),
        ({"since": "²"}, {}, 400),
        ({"api": "nope"}, {}, 404),
    ],
)
def test_the_stream_refuses_what_it_cannot_follow(
    client: httpx.Client, query: dict[str, str], headers: dict[str, str], status: int
) -> None:
    reply = client.get(STREAM, params=query, headers=headers)
    assert reply.status_code == status
    assert "error" in reply.json()


def test_streams_are_bounded_and_a_closed_one_frees_its_place() -> None:
    with running(MockConfig(apis=("wiv",))) as (base, app):
        app.feed.limit = 2
        with (
            httpx.stream("GET", base + STREAM, timeout=10) as one,
            httpx.stream("GET", base + STREAM, timeout=10) as two,
        ):
            assert (one.status_code, two.status_code) == (200, 200)
            third = httpx.get(base + STREAM)
            assert third.status_code == 503
            assert "2 journal streams are open already" in third.json()["error"]
        # the server notices the clients left (at its next step) and frees their places
        deadline = time.monotonic() + 10
        while (status := stream_status(base)) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200


def stream_status(base: str) -> int:
    with httpx.stream("GET", base + STREAM, timeout=10) as reply:
        return reply.status_code


def test_an_open_stream_does_not_hold_up_shutdown() -> None:
    # A graceful shutdown waits for in-flight requests up to --shutdown-timeout: an open
    # dashboard must not make Ctrl-C take that long.
    with serve("wiv", "--shutdown-timeout", "30") as (proc, base, told):
        assert f"dashboard  {base}/__mock/ui" in told
        ended: list[tuple[float, str]] = []
        opened = threading.Event()

        def follow() -> None:
            try:
                with httpx.stream("GET", base + STREAM, timeout=60) as reply:
                    for _ in reply.iter_bytes():
                        opened.set()
                ended.append((time.monotonic(), "ended"))
            except httpx.TransportError as exc:  # cut, not ended
                ended.append((time.monotonic(), repr(exc)))

        reader = threading.Thread(target=follow)
        reader.start()
        assert opened.wait(10), "the stream did not open"
        with httpx.Client(base_url=base) as client:
            assert run(client) == 200
        time.sleep(0.5)  # the stream is open and has sent that request
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        exited = time.monotonic() - stopped
        reader.join(timeout=5)
        assert [how for _, how in ended] == ["ended"]
        assert ended[0][0] - stopped < 3
        assert exited < 10  # far from the 30 s the stream would have held it


def test_serve_says_how_to_open_the_page_with_a_token() -> None:
    with serve("wiv", "--admin-token", "given-token") as (_, base, told):
        assert f"dashboard  {base}/__mock/ui (open it once with ?token=<admin token>)" in told
        assert not any("given-token" in line for line in told)  # a token given is not echoed
