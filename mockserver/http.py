"""ASGI wrappers around the APIs: the journal, CORS and the request-body limit."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .render import error_body
from .state import State, mask_headers

if TYPE_CHECKING:
    from .app import ApiMount, ASGIApp, Message, Receive, Scope, Send

__all__ = ["cors", "journal", "limit_body"]

_JOURNAL_BODY_LIMIT = 64 * 1024
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
CORS_EXPOSED = "Content-Type, Content-Length, Location, Retry-After, WWW-Authenticate"


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    if len(raw) > _JOURNAL_BODY_LIMIT:
        return f"<{len(raw)} bytes>"
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


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
                    "time": datetime.now(UTC).isoformat(),
                    "api": info.get("api") or (mount.api_id if mount else None),
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "headers": mask_headers(
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                    ),
                    "body": _decode(b"".join(request_chunks)),
                    "status": status,
                    "response_body": _decode(b"".join(response_chunks)),
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
        headers = {k.lower(): v for k, v in scope["headers"]}
        origin = headers.get(b"origin")
        if origin is None:
            await app(scope, receive, send)
            return
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


def limit_body(app: ASGIApp, limit: int, mounts: Mapping[str, ApiMount]) -> ASGIApp:
    """Refuse bodies over `limit` bytes with 413 in the API's error shape, unread."""

    async def too_large(scope: Scope, send: Send) -> None:
        mount = _mount_for(scope["path"], mounts)
        message = f"the request body exceeds the mock's limit of {limit} bytes"
        if mount is not None:
            status, template = mount.error_template(413)
            body = json.dumps(error_body(template, status, message, {"limit": limit})).encode()
            status = 413
        else:
            body = json.dumps({"title": "Payload Too Large", "detail": message}).encode()
            status = 413
        scope.setdefault("flowcontract", {})["rule"] = "limit: body too large"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope["headers"]:
            if name.lower() == b"content-length" and value.isdigit() and int(value) > limit:
                await too_large(scope, send)
                return
        seen = 0
        buffered: list[Message] = []
        while True:  # chunked bodies: count what actually arrives
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await too_large(scope, send)
                return
            if not message.get("more_body"):
                break

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        await app(scope, replay, send)

    return limited
