"""ASGI wrappers around the APIs: the journal, CORS and the request-body limit."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import PROBLEM_JSON, problem
from .render import error_body
from .state import State, mask_headers

if TYPE_CHECKING:
    from .app import ApiMount, ASGIApp, Message, Receive, Scope, Send

__all__ = ["cors", "journal", "limit_request"]

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
CORS_EXPOSED = "Content-Type, Content-Length, Location, Retry-After, WWW-Authenticate"


_JOURNAL_BODY_LIMIT = 64 * 1024


def _kept(raw: bytes) -> bytes:
    """What the journal keeps of a body: all of it up to 64 KiB, else a note of its size."""
    return raw if len(raw) <= _JOURNAL_BODY_LIMIT else f'"<{len(raw)} bytes>"'.encode()


def _mount_for(path: str, mounts: Mapping[str, ApiMount]) -> ApiMount | None:
    first = "/" + path.lstrip("/").split("/", 1)[0]
    return mounts.get(first) or mounts.get("")


def journal(app: ASGIApp, state: State, mounts: Mapping[str, ApiMount]) -> ASGIApp:
    """Record every request and its response, credentials masked."""

    async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        info: dict[str, Any] = scope.setdefault("flowcontract", {})
        request_chunks: list[bytes] = []
        response_chunks: list[bytes] = []
        status = 0

        async def receive_() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_chunks.append(message.get("body", b""))
            return message

        async def send_(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response_chunks.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive_, send_)
        finally:
            mount = _mount_for(scope["path"], mounts)
            client = scope.get("client")
            state.record(
                {
                    "time": time.time(),
                    "api": info.get("api") or (mount.api_id if mount else None),
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b""),
                    "headers": mask_headers(scope["headers"]),
                    "raw_body": _kept(b"".join(request_chunks)),
                    "status": status,
                    "raw_response": _kept(b"".join(response_chunks)),
                    "operation": info.get("operation"),
                    "rule": info.get("rule", "connexion"),
                    "example": info.get("example"),
                    "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                    "connection": f"{client[0]}:{client[1]}" if client else None,
                }
            )

    return recorded


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


def limit_request(
    app: ASGIApp, max_body: int, max_headers: int, mounts: Mapping[str, ApiMount]
) -> ASGIApp:
    """Refuse oversized header sections (431) and bodies (413) in the API's error shape,
    without reading more of the request than the limit."""

    async def refuse(scope: Scope, send: Send, status: int, message: str, limit: int) -> None:
        mount = _mount_for(scope["path"], mounts)
        if mount is not None:
            _, template = mount.error_template(status)
            body = json.dumps(error_body(template, status, message, {"limit": limit})).encode()
            media_type = b"application/json"
        else:  # outside every API: a mock-level problem, like every other one
            code = "request-too-large" if status == 413 else "headers-too-large"
            body = json.dumps(
                problem(status, code, "Request refused by the mock", message)
            ).encode()
            media_type = PROBLEM_JSON.encode()
        scope.setdefault("flowcontract", {})["rule"] = f"limit: {message}"
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

    too_large = f"the request body exceeds the mock's limit of {max_body} bytes"

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        header_bytes, declared = 0, 0
        for name, value in scope["headers"]:  # one pass: size, and the declared body length
            header_bytes += len(name) + len(value) + 4
            if name == b"content-length" and value.isdigit():
                declared = int(value)
        if header_bytes > max_headers:
            reason = f"the request headers exceed the mock's limit of {max_headers} bytes"
            await refuse(scope, send, 431, reason, max_headers)
            return
        if declared > max_body:
            await refuse(scope, send, 413, too_large, max_body)
            return
        seen = 0
        buffered: list[Message] = []
        while True:  # chunked bodies: count what actually arrives
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > max_body:
                await refuse(scope, send, 413, too_large, max_body)
                return
            if not message.get("more_body"):
                break

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await app(scope, replay, send)

    return limited
