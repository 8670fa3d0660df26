"""ASGI plumbing shared by the mock's stages: the callable types, sending a whole response,
reading and replaying a body, and the note each request carries through the stages.

`RequestNote` is what the stages learn about a request (its API, operation, the rule that
answered, the example, the lane, the body parsed by validation) and the journal records.
It travels in `scope["flowcontract"]`; `note_of(scope)` reads it (creating it if absent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from .sessions import DEFAULT_SESSION

__all__ = [
    "BODY_RECEIVED",
    "UNPARSED",
    "ASGIApp",
    "LaneName",
    "Message",
    "Receive",
    "RequestNote",
    "Scope",
    "Send",
    "bodiless",
    "captured",
    "note_of",
    "read_body",
    "replay",
    "send_bytes",
    "without_body",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LaneName = Literal["express", "connexion"]
UNPARSED: Any = object()  # RequestNote.body: validation did not parse the body
# Set in the scope by the mock's HTTP protocol (`connections`) once the whole request has
# arrived: reading its body cannot wait, so it needs no timeout.
BODY_RECEIVED = "flowcontract.body_received"


@dataclass(slots=True)
class RequestNote:
    """What the stages learned about one request, for the next stage and the journal."""

    api: str | None = None
    operation: str | None = None  # `METHOD /path`
    rule: str = "connexion"  # what decided the answer: `default`, `guard: ...`, `limit: ...`
    example: str | None = None
    lane: LaneName | None = None  # None: refused before any lane (the limits)
    body: Any = UNPARSED  # the body as request validation parsed it
    raw_path_params: dict[str, str] | None = None  # as sent (routing), for `style` parsing
    path_params: dict[str, Any] | None = None  # typed by their schemas (validation)
    query: dict[str, Any] | None = None  # the documented query parameters, typed
    session: str = DEFAULT_SESSION  # `sessions.take_session`: the header or `__session`
    seq: int = 0  # given on receipt by a shared state (`State.numbering`), else by `record`


def note_of(scope: Scope) -> RequestNote:
    """The request's note (a new one if no stage has written it yet)."""
    note: RequestNote | None = scope.get("flowcontract")
    if note is None:
        note = scope["flowcontract"] = RequestNote()
    return note


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    media_type: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """A whole response: status, content-length and content-type, then the body."""
    raw_headers = [(b"content-length", str(len(body)).encode())]
    if media_type:
        raw_headers.append((b"content-type", media_type.encode()))
    await send(
        {"type": "http.response.start", "status": status, "headers": raw_headers + (headers or [])}
    )
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replay(raw: bytes, receive: Receive) -> Receive:
    """A `receive` channel that delivers the body already read, then the client's own."""
    pending = [{"type": "http.request", "body": raw, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def captured(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> tuple[int, bytes]:
    """Run an ASGI app; the status and the body it sent."""
    status = 0
    chunks: list[bytes] = []

    async def send_(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    await app(scope, receive, send_)
    return status, b"".join(chunks)


_BODILESS = frozenset({204, 304})


def without_body(status: int) -> bool:
    """Whether HTTP forbids a body with `status` (1xx, 204, 304)."""
    return status in _BODILESS or status < 200


_ENTITY_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})


def bodiless(send: Send) -> Send:
    """`send`, minus what HTTP forbids: no body (and no Content-Length or Content-Type)
    on a 1xx, 204 or 304, whatever the stage that answered chose to send. A body there
    would be read as the start of the next response on a kept-alive connection. (HEAD
    is the server's job: uvicorn sends a HEAD answer's headers without its body.)"""
    dropping = False

    async def send_(message: Message) -> None:
        nonlocal dropping
        if message["type"] == "http.response.start":
            status = message["status"]
            if without_body(status):
                dropping = True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", ())
                    if k.lower() not in _ENTITY_HEADERS
                ]
                message = {**message, "headers": headers}
        elif message["type"] == "http.response.body" and dropping:
            message = {**message, "body": b""}
        await send(message)

    return send_
