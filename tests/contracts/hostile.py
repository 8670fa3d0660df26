"""Hostile HTTP servers on loopback: raw sockets, each misbehaving in one way.

`contracts verify` must end against every one of them within its bounds, with a transport
finding. Each behaviour is a function of the connection and the request line it read;
`hostile(name)` serves one on a free port for the length of a block.

    with hostile("one-byte-per-second") as base_url: ...

The contract they are verified against is `SPEC`: `GET /items/{id}` (an integer id)
answering `{"id": <int>}`, and `GET /items/{id}/events`, an event stream.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

__all__ = ["BEHAVIOURS", "SPEC", "hostile"]

SPEC = """\
openapi: 3.0.3
info: {title: Items, version: "1.0"}
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: The item.
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties: {id: {type: integer}}
        "404":
          description: No such item, or an id that is not one.
          content:
            application/json:
              schema: {type: object, properties: {error: {type: string}}}
  /items/{id}/events:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: What happens to the item, as it happens.
          content:
            text/event-stream:
              schema:  # one event, as OpenAPI before 3.2 and Schemathesis read it
                type: object
                properties: {event: {type: string}, data: {type: string}}
        "404":
          description: No such item, or an id that is not one.
          content:
            application/json:
              schema: {type: object, properties: {error: {type: string}}}
"""

_ITEM = re.compile(r"^/items/([1-9][0-9]{0,8})(/events)?$")

# (connection, request path, request number) -> True to stop listening afterwards
Behaviour = Callable[[socket.socket, str, int], bool | None]


def _answer(path: str) -> bytes:
    """What a correct server answers to `GET path`."""
    found = _ITEM.match(path.split("?")[0])
    if found is None or found.group(2):
        status, body = "404 Not Found", json.dumps({"error": "no such item"}).encode()
    else:
        status, body = "200 OK", json.dumps({"id": int(found.group(1))}).encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def _hang(conn: socket.socket) -> None:
    """Keep the connection open without a word until the client gives up."""
    conn.settimeout(None)
    with contextlib.suppress(OSError):
        while conn.recv(1024):
            pass


def never_answers(conn: socket.socket, path: str, number: int) -> None:
    _hang(conn)
    return None


def answers_then_hangs(conn: socket.socket, path: str, number: int) -> None:
    if number == 1:
        conn.sendall(_answer(path))
    else:
        _hang(conn)


def stalls_after_headers(conn: socket.socket, path: str, number: int) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n")
    _hang(conn)


def one_byte_per_second(conn: socket.socket, path: str, number: int) -> None:
    for byte in _answer(path):
        conn.sendall(bytes([byte]))
        time.sleep(1)


def _endless(conn: socket.socket, head: bytes, chunk: bytes) -> None:
    conn.sendall(head)
    while True:
        conn.sendall(chunk)


def one_gigabyte(conn: socket.socket, path: str, number: int) -> None:
    # 1 GB generated as it is sent, never in memory (here or, the point, there), and not
    # announced: no Content-Length, the body ends when the connection does.
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        b'{"id": 1, "padding": "'
    )
    chunk = b"x" * 65536
    for _ in range(1_000_000_000 // len(chunk)):
        conn.sendall(chunk)


def one_gigabyte_announced(conn: socket.socket, path: str, number: int) -> None:
    # The same, announced: refused on its Content-Length, before a byte of it is read.
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
    )
    chunk = b"x" * 65536
    for _ in range(1_000_000_000 // len(chunk)):
        conn.sendall(chunk)


def endless_event(conn: socket.socket, path: str, number: int) -> None:
    # One event that never ends: a `data:` line that goes on for ever.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: "
    _endless(conn, head, b"x" * 65536)


def endless_events(conn: socket.socket, path: str, number: int) -> None:
    # A well-formed stream that never ends: what a live feed is. Not a defect.
    if not (found := _ITEM.match(path.split("?")[0])) or not found.group(2):
        conn.sendall(_answer(path))
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
    tick = 0
    while True:
        tick += 1
        conn.sendall(f"event: tick\ndata: {tick}\n\n".encode())
        time.sleep(0.001)


def gone_after_first_answer(conn: socket.socket, path: str, number: int) -> bool:
    # Answers once, then stops listening: every later connection is refused.
    conn.sendall(_answer(path))
    return True


def redirect_loop(conn: socket.socket, path: str, number: int) -> None:
    conn.sendall(
        f"HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n".encode()
    )


def invalid_http(conn: socket.socket, path: str, number: int) -> None:
    conn.sendall(b"HELLO THERE, THIS IS NOT HTTP\r\n\r\n")


def reset_mid_body(conn: socket.socket, path: str, number: int) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        b'{"id": 1, "na'
    )
    time.sleep(0.05)
    # SO_LINGER 0: closing sends a TCP RST instead of a FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


BEHAVIOURS: dict[str, Behaviour] = {
    "never-answers": never_answers,
    "answers-then-hangs": answers_then_hangs,
    "stalls-after-headers": stalls_after_headers,
    "one-byte-per-second": one_byte_per_second,
    "one-gigabyte-body": one_gigabyte,
    "one-gigabyte-announced": one_gigabyte_announced,
    "endless-event": endless_event,
    "endless-events": endless_events,
    "gone-after-first-answer": gone_after_first_answer,
    "redirect-loop": redirect_loop,
    "invalid-http": invalid_http,
    "reset-mid-body": reset_mid_body,
}


def _read_request(conn: socket.socket) -> str | None:
    """The path of the request on `conn` (its body, if any, is read and dropped)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        ),
        0,
    )
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    parts = lines[0].split(" ")
    return parts[1] if len(parts) > 1 else "/"


@contextlib.contextmanager
def hostile(name: str) -> Iterator[str]:
    """Serve behaviour `name` on 127.0.0.1 and yield its base URL."""
    behaviour = BEHAVIOURS[name]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    closing = threading.Event()
    connections: list[socket.socket] = []
    counter = iter(range(1, 1 << 62))
    lock = threading.Lock()

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            path = _read_request(conn)
            if path is None:
                return
            with lock:
                number = next(counter)
            if behaviour(conn, path, number):
                stop_listening()

    def stop_listening() -> None:
        closing.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()

    def accept() -> None:
        while not closing.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, name=f"hostile-{name}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_listening()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
