"""Slow clients and shutdown (issue 13, items 7 and 8): headers and bodies that take too
long get 408 and a closed connection, idle connections are closed, a body shorter than its
Content-Length no longer waits forever, and at shutdown what is still in flight gets 503
in the API's shape, without a traceback; others are served all along.

Timeouts are set small (a second or two) so these take seconds."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx
import uvicorn

from contracts import load_contract
from mockserver.config import MockConfig
from mockserver.connections import GuardedHttpToolsProtocol
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, free_port, running, success_request
from tests.mockserver.test_cli import serve

WIV = load_contract(SPECS / "wiv.yaml")
RUN = success_request(WIV)
KEY = RUN["headers"]["X-API-KEY"]
FAST = MockConfig(apis=("wiv",), header_timeout=1, body_timeout=1, keepalive_timeout=1)


def first_error_fields() -> set[str]:
    return set(next(iter(WIV.operation().responses["400"].examples))[1].value)


@contextmanager
def connected(base: str) -> Iterator[socket.socket]:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        yield sock
    finally:
        sock.close()


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65_536):
        chunks.append(chunk)
    return b"".join(chunks)


def head(content_length: int) -> bytes:
    return (
        f"POST {RUN['url']} HTTP/1.1\r\nHost: localhost\r\nX-API-KEY: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n"
    ).encode()


def wait_until_listening(base: str) -> None:
    """`Ready.` is printed at the app's start-up, a moment before uvicorn listens."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with suppress(httpx.TransportError):
            httpx.get(f"{base}/__mock/health")
            return
        time.sleep(0.05)


def journal(base: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = httpx.get(f"{base}/__mock/requests").json()["requests"]
    return entries


def test_headers_dripped_past_the_timeout_get_408_and_a_closed_connection() -> None:
    with running(FAST) as (base, _), connected(base) as sock:
        httpx.post(f"{base}/__mock/reset", headers=ADMIN)
        started = time.monotonic()
        sock.sendall(f"POST {RUN['url']} HTTP/1.1\r\nHost: localhost\r\n".encode())
        answer = b""
        for i in range(20):  # a header line every 0.2 s, for 4 s if let
            try:
                sock.sendall(f"X-Drip-{i}: {i}\r\n".encode())
            except OSError:
                break
            time.sleep(0.2)
            sock.setblocking(False)
            try:
                answer += sock.recv(65_536)
            except BlockingIOError:
                pass
            finally:
                sock.setblocking(True)
            if answer:
                break
        answer += read_all(sock)
        elapsed = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "request-timeout"
        assert elapsed < 2.5
        assert httpx.request(**{**RUN, "url": base + RUN["url"]}).status_code == 200
        entries = journal(base)
    assert [(e["path"], e["status"]) for e in entries] == [(RUN["url"], 408), (RUN["url"], 200)]
    assert entries[0]["headers"]["x-drip-0"] == "0"  # type: ignore[index]


def test_a_connection_that_sends_nothing_is_closed_quietly() -> None:
    with running(FAST) as (base, _), connected(base) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""
        assert time.monotonic() - started < 2.5


def test_a_body_shorter_than_its_content_length_gets_408_in_the_apis_shape() -> None:
    with running(FAST) as (base, _), connected(base) as sock:
        httpx.post(f"{base}/__mock/reset", headers=ADMIN)
        started = time.monotonic()
        sock.sendall(head(100) + b'{"payload": {}}')  # 15 of the 100 bytes promised
        answer = read_all(sock)
        elapsed = time.monotonic() - started
        entries = journal(base)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in rest.lower()
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert set(body) == first_error_fields()
    assert "did not arrive within 1 s" in json.dumps(body)
    assert 0.9 < elapsed < 2.5
    assert [(e["status"], e["rule"]) for e in entries] == [
        (408, "limit: the request body did not arrive within 1 s")
    ]


def test_a_dripped_body_gets_408() -> None:
    with running(FAST) as (base, _), connected(base) as sock:
        sock.sendall(head(40))
        sent = 0
        while sent < 40:
            try:
                sock.sendall(b" ")
            except OSError:
                break
            sent += 1
            time.sleep(0.1)
            if sent == 25:
                break
        assert read_all(sock).startswith(b"HTTP/1.1 408 ")
        assert httpx.get(f"{base}/__mock/health").json()["status"] == "ok"


def test_an_idle_kept_alive_connection_is_closed() -> None:
    with running(FAST) as (base, _), connected(base) as sock:
        body = b'{"payload": {}}'
        sock.sendall(head(len(body)) + body)
        time.sleep(0.3)
        first = sock.recv(65_536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert read_all(sock) == b""  # closed by the server, not by us
        assert time.monotonic() - started < 2.5


def test_two_hundred_slow_clients_do_not_stop_the_others() -> None:
    # A mock the slow clients held up would answer only once they time out (4 s).
    config = MockConfig(apis=("wiv",), header_timeout=4, body_timeout=4)
    with running(config) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        slow = [socket.create_connection((host, int(port)), timeout=10) for _ in range(200)]
        try:
            for i, sock in enumerate(slow):  # half drip headers, half drip a body
                sock.sendall(
                    head(1000) + b"{" if i % 2 else f"GET / HTTP/1.1\r\nX: {i}\r\n".encode()
                )
            served = []
            with httpx.Client(base_url=base, timeout=5) as client:
                deadline = time.monotonic() + 1.5
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    status = client.request(**RUN).status_code
                    served.append((status, time.monotonic() - started))
                    for sock in slow[::2]:
                        with suppress(OSError):  # already closed: fine
                            sock.sendall(b"X-More: 1\r\n")
            assert len(served) >= 10
            assert all(status == 200 and took < 1.0 for status, took in served)
            answers = [read_all(sock) for sock in slow]  # each closed by the server
        finally:
            for sock in slow:
                sock.close()
        assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), {a[:20] for a in answers}
        assert httpx.request(**{**RUN, "url": base + RUN["url"]}).status_code == 200


def test_shutdown_answers_what_is_in_flight_503_without_a_traceback() -> None:
    with serve("wiv", "--shutdown-timeout", "1", "--body-timeout", "30") as (proc, base, _):
        wait_until_listening(base)
        with connected(base) as sock:
            sock.sendall(head(100) + b'{"payload"')  # in flight: its body never completes
            time.sleep(0.3)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            answer = read_all(sock)
            elapsed = time.monotonic() - started
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert answer.startswith(b"HTTP/1.1 503 "), answer
    assert set(json.loads(answer.partition(b"\r\n\r\n")[2])) == first_error_fields()
    assert b"shutting down" in answer
    assert elapsed < 4
    assert "Traceback" not in err and "CancelledError" not in err, err


async def _head_then_a_late_body(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await asyncio.sleep(1.5)
    await send({"type": "http.response.body", "body": b"late"})


def test_a_head_sent_before_a_late_body_reaches_the_client_at_once() -> None:
    # The protocol holds a response's head to send it with the body's first write: a head
    # whose body comes later (a stream's first event) must still leave at the loop's turn.
    port = free_port()
    config = uvicorn.Config(
        _head_then_a_late_body,
        host="127.0.0.1",
        port=port,
        http=GuardedHttpToolsProtocol,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with connected(f"http://127.0.0.1:{port}") as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            sock.settimeout(1.0)
            first = sock.recv(65_536)  # within a second: long before the body
            assert first.startswith(b"HTTP/1.1 200 ")
            assert b"late" not in first
            sock.settimeout(5)
            rest = b""
            while b"0\r\n\r\n" not in rest:
                rest += sock.recv(65_536)
            assert b"4\r\nlate\r\n" in first + rest
    finally:
        server.should_exit = True
        thread.join(10)
