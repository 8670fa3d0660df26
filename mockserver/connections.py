"""How the mock holds its connections: uvicorn's settings and its HTTP protocol, extended.

uvicorn reads a request's headers for as long as the client takes, and holds them whole
however large (httptools has no limit of its own). `GuardedHttpToolsProtocol`, given to
uvicorn as `http=` (its extension point for the protocol class; it finds the mock's
configuration on the app it serves), adds:

- a header-read timeout: a connection whose request headers are not complete
  `header_timeout` seconds after its first byte (or after it opened) gets 408 and is closed
  (closed silently when it sent nothing at all);
- a hard cap on the request line and headers (`HEADER_CAP_FACTOR` times the mock's
  `max_header_size`): past it the connection gets 431 and is closed before more is read.
  Below the cap, oversized headers reach the app, which answers 431 in the API's shape.

At a graceful shutdown it first ends the journal's streams (`dashboard`: an open dashboard
page), which would otherwise hold the shutdown up until its timeout.

- one write per short answer: a response's head is held until its body's first write (or
  the end of the event loop's turn, for a stream whose first event comes later) and both
  go out in one `writelines` — one system call and one TCP segment where uvicorn makes two.

The body-read timeout is the app's (`http.Limits.body`: 408 in the API's shape), armed only
for a body not all there yet (`BODY_RECEIVED` marks the scope of one that is); the
keep-alive idle timeout and the graceful-shutdown timeout are uvicorn's own
(`timeout_keep_alive`, `timeout_graceful_shutdown`), set from the same configuration.
"""

from __future__ import annotations

import json
import time
from asyncio import AbstractEventLoop, Future, Handle, TimerHandle, Transport
from collections.abc import Callable
from typing import Any, Protocol, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .asgi import BODY_RECEIVED, RequestNote
from .config import MockConfig
from .dashboard import JournalFeed
from .errors import PROBLEM_JSON, problem

__all__ = ["HEADER_CAP_FACTOR", "GuardedHttpToolsProtocol", "uvicorn_settings"]

HEADER_CAP_FACTOR = 4


class _HeadersRefused(Exception):
    """Raised from a parser callback to stop reading a request (httptools re-raises it
    wrapped, and uvicorn answers through `send_400_response`, which we override)."""


def _plain_reply(status: int, reason: str, code: str, detail: str) -> bytes:
    body = json.dumps(problem(status, code, "Request refused by the mock", detail)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header-read timeout and a header-size cap."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.mock = _mock_app(config.loaded_app)
        mock_config = self.mock.config if self.mock is not None else MockConfig()
        self.header_timeout = mock_config.header_timeout
        self.header_cap = HEADER_CAP_FACTOR * mock_config.max_header_size
        self._started = 0.0
        # a shared state's: each request numbered on receipt, each answer held until its
        # request is numbered (`RedisState`, through the connection's `_Outbox`)
        state = getattr(self.mock, "state", None)
        shared = getattr(state, "numbering", None) is not None
        self._received: Callable[[Any], None] | None = (
            getattr(self.mock, "received", None) if shared else None
        )
        self._before_answer: Callable[[], Future[Any] | None] | None = (
            getattr(state, "before_answer", None) if shared else None
        )
        self._outbox: _Outbox | None = None

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        self._header_timer: TimerHandle | None = None
        self._header_bytes = 0
        self._began = False  # a request's first byte arrived, its headers are not complete
        self._refusal: str | None = None
        super().connection_made(transport)
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._began and not answering:  # never inside another request's response
            detail = f"the request headers did not arrive within {self.header_timeout:g} s"
            self._refuse(408, "Request Timeout", "request-timeout", detail)
        self._close()

    def _open_outbox(self) -> None:
        if self._before_answer is not None and self._outbox is None:
            self._outbox = _Outbox(self.transport, self._before_answer)

    def _close(self) -> None:
        """Close the connection once the answers it holds (`_Outbox`) have left."""
        if self._outbox is not None:
            self._outbox.close()
        else:
            self.transport.close()

    def _refuse(self, status: int, reason: str, code: str, detail: str) -> None:
        """Answer a request the app never saw, and journal it with what it sent so far
        (behind the answers the connection holds, numbered as they are)."""
        reply = _plain_reply(status, reason, code, detail)
        if self.mock is None:
            self.transport.write(reply)
            return
        target: bytes = getattr(self, "url", b"")  # set from the request's first byte
        path, _, query = target.partition(b"?")
        # The parser knows the method once the target began (before, it names method 0).
        method = self.parser.get_method().decode("latin-1") if target else "?"
        scope: dict[str, Any] = {
            "method": method,
            "path": path.decode("latin-1"),
            "query_string": query,
            "headers": self.headers or [],
            "client": self.client,
        }
        if self._received is not None:
            self._received(scope)
            self._open_outbox()
        note = scope.setdefault("flowcontract", RequestNote())
        note.rule = f"connection: {detail}"
        if self._outbox is not None:
            self._outbox.send((reply,))
        else:
            self.transport.write(reply)
        self.mock.record(scope, b"", status, reply.partition(b"\r\n\r\n")[2], self._started)

    def shutdown(self) -> None:
        if self.mock is not None:
            self.mock.feed.close()
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._began = True
        self._started = time.perf_counter()
        self._header_bytes = 0
        self._arm_header_timer()
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.header_cap:
            self._refusal = f"the request line and headers exceed {self.header_cap} bytes"
            raise _HeadersRefused(self._refusal)

    def on_headers_complete(self) -> None:
        self._began = False
        self._disarm_header_timer()
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not before:
            self._open_outbox()
            held = _HeadHeldTransport(self.transport, self.loop, self._outbox)
            self.cycle.transport = cast(Transport, held)
            if self._received is not None:
                self._received(self.cycle.scope)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.cycle is not None:
            cast(dict[str, Any], self.cycle.scope)[BODY_RECEIVED] = True

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        self._refuse(431, "Request Header Fields Too Large", "headers-too-large", self._refusal)
        self._close()


class _HeadHeldTransport:
    """The connection's transport as one response sees it: its first write (the head) is
    held until the next write or the end of the loop's turn, whichever comes first. With a
    shared state what it writes goes through the connection's `_Outbox`, which holds it
    until the request is numbered (`RedisState.before_answer`)."""

    __slots__ = ("_end", "_first", "_flush", "_held", "_loop", "_send", "_transport")

    def __init__(
        self, transport: Transport, loop: AbstractEventLoop, outbox: _Outbox | None = None
    ) -> None:
        self._transport = transport
        self._loop = loop
        self._send = outbox.send if outbox is not None else self._write_now
        self._end = outbox.close if outbox is not None else transport.close
        self._first = True
        self._held = b""
        self._flush: Handle | None = None

    def write(self, data: bytes) -> None:
        if self._flush is not None:  # the head is held: both go in one write
            self._flush.cancel()
            self._flush = None
            self._send((self._held, data))
        elif self._first:
            self._first = False
            self._held = data
            self._flush = self._loop.call_soon(self._write_held)
        else:
            self._send((data,))

    def _write_held(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
            self._send((self._held,))

    def _write_now(self, parts: tuple[bytes, ...]) -> None:
        if not self._transport.is_closing():
            self._transport.writelines(parts)

    def close(self) -> None:
        self._write_held()
        self._end()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Outbox:
    """What one connection's answers write, in order, with a shared state: an answer leaves
    once Redis has numbered the requests received before it (`before`, the state's
    `before_answer`: None, or the future of the last numbering to wait for), so that a
    request answered before another was sent has the smaller number on every instance.
    Whatever is written meanwhile waits behind it; the numbering futures complete in the
    order sent, so waiting for the newest covers the rest."""

    __slots__ = ("_before", "_closing", "_gate", "_transport", "_waiting")

    def __init__(self, transport: Transport, before: Callable[[], Future[Any] | None]) -> None:
        self._transport = transport
        self._before = before
        self._gate: Future[Any] | None = None
        self._waiting: list[bytes] | None = None
        self._closing = False

    def send(self, parts: tuple[bytes, ...]) -> None:
        gate = self._before()
        if gate is not None:
            self._gate = gate
        if self._waiting is not None:
            self._waiting.extend(parts)
        elif gate is not None:
            self._waiting = list(parts)
            gate.add_done_callback(self._release)
        elif not self._transport.is_closing():
            self._transport.writelines(parts)

    def _release(self, _done: Future[Any]) -> None:
        gate = self._gate
        if gate is not None and not gate.done():  # a newer numbering to wait for
            gate.add_done_callback(self._release)
            return
        self._gate = None
        parts, self._waiting = self._waiting or [], None
        if not self._transport.is_closing():
            self._transport.writelines(parts)
        if self._closing:
            self._transport.close()

    def close(self) -> None:
        if self._waiting is not None:
            self._closing = True  # once what waits is written
        else:
            self._transport.close()


class _Journaling(Protocol):
    """What the protocol needs of the mock (`app.MockServer`)."""

    config: MockConfig
    feed: JournalFeed
    state: Any

    def received(self, scope: Any) -> None: ...

    def record(
        self, scope: Any, raw: bytes, status: int, response: bytes, started: float
    ) -> None: ...


def _mock_app(app: Any) -> _Journaling | None:
    """The mock uvicorn serves (under any wrapper uvicorn adds)."""
    for _ in range(4):
        if isinstance(getattr(app, "config", None), MockConfig) and hasattr(app, "record"):
            return cast(_Journaling, app)
        app = getattr(app, "app", None)
    return None


def uvicorn_settings(config: MockConfig) -> dict[str, Any]:
    """The uvicorn settings `mockserver serve` runs with (the tests' servers too)."""
    return {
        # By name, so that a --reload child imports it too; it reads its limits from the app.
        "http": f"{__name__}:GuardedHttpToolsProtocol",
        "lifespan": "on",
        "timeout_keep_alive": config.keepalive_timeout,
        "timeout_graceful_shutdown": config.shutdown_timeout,
        "server_header": False,
        # A mock answers whoever connects: no X-Forwarded-* rewriting of the client address
        # (uvicorn's default trusts 127.0.0.1), and no middleware for it on every request.
        "proxy_headers": False,
    }
