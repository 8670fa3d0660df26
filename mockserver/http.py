"""Around the APIs: CORS, and the limits on a request's headers and body (size, and the
time the body may take)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .asgi import BODY_RECEIVED, note_of
from .errors import PROBLEM_JSON, problem
from .refuse import refusal

if TYPE_CHECKING:
    from .asgi import ASGIApp, Message, Receive, Scope, Send
    from .mount import ApiMount

__all__ = ["Limits", "cors", "mount_for"]

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
CORS_EXPOSED = "Content-Type, Content-Length, Location, Retry-After, WWW-Authenticate"


def mount_for(path: str, mounts: Mapping[str, ApiMount]) -> ApiMount | None:
    """The API whose mount a path is under (the root mount when only one is served)."""
    first = "/" + path.lstrip("/").split("/", 1)[0]
    return mounts.get(first) or mounts.get("")


def cors(app: ASGIApp) -> ASGIApp:
    """CORS as Prism does it: any origin, preflights answered 204 with what was asked."""

    async def with_cors(scope: Scope, receive: Receive, send: Send) -> None:
        # ASGI header names arrive lower-cased; most requests carry no Origin at all.
        origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
        if origin is None:
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"")
            reply = [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-allow-headers", requested or b"*"),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin, Access-Control-Request-Headers"),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": reply})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", origin),
                    (b"access-control-expose-headers", CORS_EXPOSED.encode()),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await app(scope, receive, send_)

    return with_cors


Refusal = tuple[int, str, float]  # status, message, the limit

# The mock-level code of each refusal, when the path is outside every API.
REFUSAL_CODES = {
    400: "bad-request",
    408: "request-timeout",
    413: "request-too-large",
    421: "host-not-allowed",
    431: "headers-too-large",
    503: "shutting-down",
}


class Limits:
    """Refuse oversized header sections (431) and bodies (413), and bodies that take more
    than `body_timeout` seconds to arrive (408), in the API's error shape, without reading
    more of the request than the limit."""

    def __init__(
        self,
        max_body: int,
        max_headers: int,
        mounts: Mapping[str, ApiMount],
        body_timeout: float = 10.0,
    ):
        self.max_body = max_body
        self.max_headers = max_headers
        self.mounts = mounts
        self.body_timeout = body_timeout
        self.too_slow = (
            408,
            f"the request body did not arrive within {body_timeout:g} s",
            body_timeout,
        )
        self.too_large = (
            413,
            f"the request body exceeds the mock's limit of {max_body} bytes",
            max_body,
        )

    def headers(self, scope: Scope) -> Refusal | None:
        size, declared = 0, 0
        for name, value in scope["headers"]:  # one pass: size, and the declared body length
            size += len(name) + len(value) + 4
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        if size > self.max_headers:
            message = f"the request headers exceed the mock's limit of {self.max_headers} bytes"
            return 431, message, self.max_headers
        return self.too_large if declared > self.max_body else None

    async def body(self, scope: Scope, receive: Receive) -> tuple[bytes, Refusal | None]:
        """The whole body (chunked ones counted as they arrive), or a refusal: too large,
        or not all there within `body_timeout` seconds (a Content-Length larger than the
        body sent, a client dripping it)."""
        if scope.get(BODY_RECEIVED):  # all there: one message, nothing to wait for
            body = (await receive()).get("body", b"")
            return (body, None) if len(body) <= self.max_body else (b"", self.too_large)
        chunks: list[bytes] = []
        seen = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        break
                    chunk = message.get("body", b"")
                    seen += len(chunk)
                    if seen > self.max_body:
                        return b"", self.too_large
                    chunks.append(chunk)
                    if not message.get("more_body"):
                        break
        except TimeoutError:
            return b"", self.too_slow
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), None

    async def refuse(
        self, scope: Scope, send: Send, status: int, message: str, limit: float | None
    ) -> tuple[int, bytes]:
        """Answer `status` in the API's error shape (a mock-level problem outside every
        API) and close the connection."""
        mount = mount_for(scope["path"], self.mounts)
        if mount is not None:
            details = {"limit": limit} if limit is not None else {"reason": status}
            code = REFUSAL_CODES.get(status, "refused")
            status, body, media = refusal(mount, status, message, details, code=code)
            media_type = media.encode()
        else:  # outside every API: a mock-level problem, like every other one
            code = REFUSAL_CODES.get(status, "refused")
            body = json.dumps(
                problem(status, code, "Request refused by the mock", message)
            ).encode()
            media_type = PROBLEM_JSON.encode()
        kind = "limit" if status in (408, 413, 431) else "refused"
        note_of(scope).rule = f"{kind}: {message}"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", media_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return status, body
