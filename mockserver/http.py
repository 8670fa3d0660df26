"""Around the APIs: CORS, and the limits on a request's headers and body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .asgi import note_of
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


Refusal = tuple[int, str, int]  # status, message, the limit


class Limits:
    """Refuse oversized header sections (431) and bodies (413) in the API's error shape,
    without reading more of the request than the limit."""

    def __init__(self, max_body: int, max_headers: int, mounts: Mapping[str, ApiMount]):
        self.max_body = max_body
        self.max_headers = max_headers
        self.mounts = mounts
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
        """The whole body (chunked ones counted as they arrive), or a refusal."""
        chunks: list[bytes] = []
        seen = 0
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
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), None

    async def refuse(
        self, scope: Scope, send: Send, status: int, message: str, limit: int
    ) -> tuple[int, bytes]:
        mount = mount_for(scope["path"], self.mounts)
        if mount is not None:
            status, body, media = refusal(mount, status, message, {"limit": limit})
            media_type = media.encode()
        else:  # outside every API: a mock-level problem, like every other one
            code = "request-too-large" if status == 413 else "headers-too-large"
            body = json.dumps(
                problem(status, code, "Request refused by the mock", message)
            ).encode()
            media_type = PROBLEM_JSON.encode()
        note_of(scope).rule = f"limit: {message}"
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
