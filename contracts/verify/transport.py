"""Bounded HTTP for every request verify sends, its own and Schemathesis's.

Schemathesis 4 sends with `requests` and reads each body whole (an event stream up to a
number of events or its timeout, counted per read). A `BoundedAdapter`, mounted on every
session verify or Schemathesis opens, holds each exchange to `Bounds`:

- time: a watchdog shuts the connection down when `request_timeout` has passed since the
  request started, whatever the server does (never answers, trickles its headers or body
  a byte at a time, streams forever); each read is also limited to the same timeout;
- size: the body is read in chunks, up to `max_response_bytes`, never whole into memory;
  an event stream up to `max_stream_events` events, the bytes limit or the timeout.

The body read so far is handed on as a small in-memory response, so that Schemathesis
and `requests` read it as before. A failure is raised as a `TransportError` whose `kind`
names it (timeout, connection-refused, connection-reset, invalid-http, redirect-loop,
response-too-large); `transport_kind` names any exception `requests` raises.

This module is the one place that touches Schemathesis's transport internals: the
engine's session factory (`schemathesis.engine.context.make_session`, used by its unit
phases and its probes) is wrapped while `bounded_schemathesis` is active.
`tests/contracts/test_verify_any_server.py` fails loudly if that stops bounding its requests.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import re
import shlex
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = [
    "TRANSPORT_KINDS",
    "BoundedAdapter",
    "Bounds",
    "TransportError",
    "bounded_schemathesis",
    "bounded_session",
    "curl_command",
    "transport_kind",
]

TRANSPORT_KINDS = (
    "timeout",
    "connection-refused",
    "connection-reset",
    "invalid-http",
    "redirect-loop",
    "response-too-large",
)
_CHUNK = 64 * 1024
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_EVENT_END = re.compile(rb"(?:\r\n|\r|\n)(?:\r\n|\r|\n)")


@dataclass(frozen=True, kw_only=True)
class Bounds:
    """How long and how large one exchange may be.

    Attributes:
        request_timeout: seconds from sending the request to the end of its response
            (connect, each read and the whole response).
        max_response_bytes: the most of a body read; more is a `response-too-large` failure.
        max_stream_events: an event stream is read up to this many events.
    """

    request_timeout: float = 10.0
    max_response_bytes: int = 10 * 1024 * 1024
    max_stream_events: int = 20


class TransportError(requests.RequestException):
    """An exchange that did not complete as HTTP; `kind` is one of `TRANSPORT_KINDS`."""

    def __init__(self, kind: str, message: str, *, request: Any = None) -> None:
        super().__init__(message, request=request)
        self.kind = kind
        self.message = message


class _Watch:
    """One request's deadline; on expiry, the connection it uses is shut down."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.connection: HTTPConnection | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        _CURRENT.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _CURRENT.watch = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            # Wakes a read blocked in another thread; an OSError means it is closed already.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


_CURRENT = threading.local()


class _Watched:
    """A connection that tells the current `_Watch` it carries the request."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = getattr(_CURRENT, "watch", None)
        if watch is not None:
            watch.connection = self
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend(arg for arg in item.args if isinstance(arg, BaseException))
        for linked in (item.__cause__, item.__context__, getattr(item, "reason", None)):
            if isinstance(linked, BaseException):
                todo.append(linked)


# In order: the first kind any exception of the chain is an instance of. urllib3's
# NewConnectionError is a ConnectTimeoutError, so a refusal is looked for before a timeout.
_KINDS_BY_EXCEPTION: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("redirect-loop", (requests.TooManyRedirects,)),
    ("connection-refused", (ConnectionRefusedError,)),
    ("timeout", (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)),
    (
        "connection-reset",
        (
            ConnectionResetError,
            BrokenPipeError,
            ConnectionAbortedError,
            http.client.IncompleteRead,
            urllib3.exceptions.IncompleteRead,
        ),
    ),
    (
        "invalid-http",
        (
            http.client.HTTPException,
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.HeaderParsingError,
            requests.exceptions.InvalidHeader,
            requests.exceptions.ContentDecodingError,
            ssl.SSLError,
        ),
    ),
)


def transport_kind(exc: BaseException) -> str:
    """Which transport failure `exc` (anything `requests` raises) is."""
    chain = list(_chain(exc))
    for item in chain:
        if isinstance(item, TransportError):
            return item.kind
    for kind, types in _KINDS_BY_EXCEPTION:
        if any(isinstance(item, types) for item in chain):
            return kind
    if any("refused" in str(item).lower() for item in chain):
        return "connection-refused"
    return "connection-reset"


def _describe(exc: BaseException) -> str:
    innermost = list(_chain(exc))[-1]
    text = str(innermost).strip() or type(innermost).__name__
    return text.splitlines()[0][:300]


class _Replay(urllib3.HTTPResponse):
    """The part of a body that was read, served again from memory."""


class _Body:
    """The bytes of a body as they arrive; for an event stream, its complete events."""

    def __init__(self, stream: bool) -> None:
        self.stream = stream
        self.content = bytearray()
        self.events = 0  # complete events that carry data (comments are not events)
        self._end = 0  # where the last complete block ends

    def feed(self, chunk: bytes) -> None:
        # Blocks end at two line breaks in a row; only the new bytes (and the three before
        # them, where a break may have started) are searched.
        start = max(self._end, len(self.content) - 3)
        self.content += chunk
        if not self.stream:
            return
        for match in _EVENT_END.finditer(self.content, start):
            if match.start() < self._end:
                continue
            block = bytes(self.content[self._end : match.start()])
            self._end = match.end()
            lines = _LINE_BREAK.split(block)
            if any(line == b"data" or line.startswith(b"data:") for line in lines):
                self.events += 1

    def complete_events(self) -> bytes:
        return bytes(self.content[: self._end])


class BoundedAdapter(HTTPAdapter):
    """`requests`' adapter, each exchange held to `Bounds` (see the module docstring)."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        limit = self.bounds.request_timeout
        kwargs["timeout"] = (limit, limit)
        with _Watch(limit) as watch:
            try:
                response = super().send(request, stream=True, **kwargs)
                try:
                    self._read_body(response, watch)
                except BaseException:
                    response.raw.close()
                    raise
            except TransportError as exc:
                exc.request = request
                raise
            except (
                requests.RequestException,
                urllib3.exceptions.HTTPError,
                OSError,
                http.client.HTTPException,
            ) as exc:
                kind = "timeout" if watch.expired else transport_kind(exc)
                raise TransportError(kind, self._message(kind, exc), request=request) from exc
        return response

    def _message(self, kind: str, exc: BaseException | None) -> str:
        if kind == "timeout":
            return f"no complete response within --request-timeout {self.bounds.request_timeout:g}s"
        return _describe(exc) if exc is not None else kind

    def _timed_out(self, body: _Body) -> bool:
        """At the deadline: an event stream with events is cut short, anything else failed."""
        if body.stream and body.events:
            return True
        raise TransportError("timeout", self._message("timeout", None))

    def _read_body(self, response: requests.Response, watch: _Watch) -> None:
        raw = response.raw
        body = _Body("text/event-stream" in str(response.headers.get("content-type", "")).lower())
        limit = self.bounds.max_response_bytes
        announced = str(response.headers.get("content-length", "")).strip()
        if announced.isdigit() and int(announced) > limit:
            raise TransportError(
                "response-too-large",
                f"Content-Length: {announced} exceeds --max-response-bytes {limit}",
            )
        cut_short = False
        while not cut_short:
            if watch.expired or watch.remaining() <= 0:
                cut_short = self._timed_out(body)
                break
            try:
                chunk = raw.read1(_CHUNK, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException):
                if not watch.expired:
                    raise
                cut_short = self._timed_out(body)
                break
            if not chunk:
                if watch.expired:
                    cut_short = self._timed_out(body)
                break
            body.feed(chunk)
            if len(body.content) > limit:
                # Freed before raising: a kept exception (Schemathesis keeps its errors)
                # would keep its traceback's frames, and this body with them.
                body.content = bytearray()
                raise TransportError(
                    "response-too-large",
                    f"the body exceeds --max-response-bytes {limit} "
                    f"(Content-Length: {response.headers.get('content-length', 'not sent')})",
                )
            cut_short = body.stream and body.events >= self.bounds.max_stream_events
        content = body.complete_events() if cut_short else bytes(body.content)
        if cut_short:
            raw.close()  # the rest of an endless stream is not read
        else:
            raw.release_conn()
        headers = urllib3.HTTPHeaderDict(raw.headers)
        headers.discard("content-encoding")  # the body is decoded already
        response.raw = _Replay(
            body=io.BytesIO(content),
            headers=headers,
            status=raw.status,
            version=raw.version,
            reason=raw.reason,
            preload_content=False,
            decode_content=False,
            enforce_content_length=False,
        )
        response._content = content
        response._content_consumed = True


def bounded_session(bounds: Bounds, session: requests.Session | None = None) -> requests.Session:
    """`session` (a new one by default) with a `BoundedAdapter` for http and https."""
    session = session if session is not None else requests.Session()
    adapter = BoundedAdapter(bounds)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_PATCH_LOCK = threading.Lock()


@contextmanager
def bounded_schemathesis(bounds: Bounds) -> Iterator[None]:
    """While active, every session Schemathesis's engine opens is bounded by `bounds`."""
    from schemathesis.engine import context as engine_context

    with _PATCH_LOCK:
        original = engine_context.make_session

        def make_session(*args: Any, **kwargs: Any) -> requests.Session:
            return bounded_session(bounds, original(*args, **kwargs))

        engine_context.make_session = make_session
        try:
            yield
        finally:
            engine_context.make_session = original


def curl_command(request: requests.PreparedRequest | None) -> str:
    """A curl command that sends `request` again (used where Schemathesis gives none)."""
    if request is None:
        return "(the request was not built)"
    parts = ["curl", "-X", str(request.method)]
    for name, value in request.headers.items():
        if name.lower() in ("user-agent", "accept-encoding", "connection", "content-length"):
            continue
        shown = value.decode("latin-1") if isinstance(value, bytes) else value
        parts += ["-H", f"{name}: {shown}"]
    body = request.body
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        parts += ["-d", text]
    parts.append(str(request.url))
    return shlex.join(parts)
