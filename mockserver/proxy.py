"""The validation proxy (`mockserver proxy`): every request forwarded to the real backend
and its answer back unchanged, both judged against the contract on the way.

    ProxyServer ── lifespan (the upstream client), /__mock admin (+ /__mock/violations)
      └── _exchange: Host check, header and body limits (http.Limits), the body read once
            ├── violations.check_request: the mock's routing and validators
            ├── _forward: httpx to the upstream; status and headers sent on, the body
            │   relayed chunk by chunk as it arrives (an event stream stays a stream),
            │   kept up to `max_response_bytes` for the checks
            ├── violations.ResponseChecks: status, headers, media type, body schema
            └── the journal (state.JournalEntry, masked by redact, with `violations`)
                and the run's tally (proxy_report.Tally) for the report at shutdown

Findings never travel in headers: they are in the journal (`GET /__mock/requests`,
`GET /__mock/violations`) and in the report files. An upstream that does not answer is
a 502 (504 when it is too slow) in problem+json, counted apart from the violations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from contracts.catalog import Contract
from contracts.errors import UsageError

from .access import Access
from .admin import admin_app
from .app import answer_admin, is_admin_path, mount_contracts
from .asgi import ASGIApp, Receive, RequestNote, Scope, Send, send_bytes
from .config import MockConfig, ProxyConfig
from .dashboard import JournalFeed
from .errors import PROBLEM_JSON
from .http import Limits
from .lanes import Dispatcher
from .mount import ApiMount
from .proxy_report import INTERRUPTIONS, Tally
from .redact import Declared
from .refuse import problem_bytes
from .state import InMemoryState, JournalEntry, State
from .violations import RequestVerdict, ResponseChecks, Violation, check_request

__all__ = ["ProxyServer"]

log = logging.getLogger("mockserver.proxy")

# Hop-by-hop headers (RFC 9110 7.6.1) are the connection's, not the message's: never
# forwarded. `host` is the upstream's own; the length is set for the body forwarded.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# `expect: 100-continue` is answered by the proxy's server; httpx sends the body anyway.
_NOT_FORWARDED = _HOP_BY_HOP | {b"host", b"content-length", b"expect"}


async def _never_called(_scope: Scope, _receive: Receive, _send: Send) -> None:
    raise RuntimeError("the proxy forwards requests; Connexion's stack never answers them")


def _never_answers(*_args: Any) -> tuple[int, bytes, str]:
    raise RuntimeError("the proxy forwards requests; the mock's answer is never asked for")


class _Upstream(Exception):
    """The upstream gave no (complete) answer: `kind` says how, for the tally."""

    def __init__(self, kind: str, status: int, message: str, *, answered: int = 0) -> None:
        super().__init__(message)
        self.kind, self.status, self.message = kind, status, message
        self.answered = answered  # the upstream's status, already sent on; 0: none yet


class ProxyServer:
    """The proxy's ASGI app, for one contract (served at the backend's own paths)."""

    def __init__(self, config: MockConfig, proxy: ProxyConfig, contracts: list[Contract]):
        if len(contracts) != 1:
            raise UsageError(f"the proxy checks one API at a time, not {len(contracts)}")
        self.config = config
        self.proxy = proxy
        self.contracts = contracts
        self.contract = contract = contracts[0]
        self.upstream = proxy.upstream.rstrip("/")
        self.state: State = InMemoryState(
            {contract.api_id: None},
            journal_size=config.journal_size,
            journal_bytes=config.journal_bytes,
        )
        self.feed = JournalFeed()  # wakes the dashboard's journal streams
        self.access = Access.build(config.host, config.allowed_hosts, config.admin_token)
        self.declared = Declared.of(contract.security_schemes)
        self.mounts: dict[str, ApiMount] = {}
        connexion = mount_contracts(_never_called, contracts, self.mounts, prefixed=False)
        self.dispatcher = Dispatcher(connexion, self.mounts, _never_answers)
        self.limits = Limits(
            config.max_body_size, config.max_header_size, self.mounts, config.body_timeout
        )
        self.responses = ResponseChecks(contract)
        self.tally = Tally(api=contract.api_id, upstream=self.upstream, failing=proxy.fail_on)
        self.admin = self._admin() if config.admin else None
        self.client: httpx.AsyncClient | None = None

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.contract.api_id,
                "title": self.contract.title,
                "base_url": self.config.base_url,
                "upstream": self.upstream,
                "operations": len(self.contract.operations),
                "spec": str(self.contract.path),
            }
        ]

    def _admin(self) -> ASGIApp:
        async def violations(request: Request) -> JSONResponse:
            raw = request.query_params.get("since", "0")
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
                return JSONResponse({"error": f"since must be a seq, not {raw!r}"}, 400)
            listed = [
                {
                    "seq": entry.seq,
                    "operation": entry.operation,
                    "method": entry.method,
                    "path": entry.path,
                    "status": entry.status,
                    "where": where,
                    "kind": kind,
                    "message": message,
                }
                for entry in await self.state.journal(since=int(raw))
                for where, kind, message in entry.violations
            ]
            return JSONResponse(
                {"count": len(listed), "violations": listed, "run": self.tally.summary()}
            )

        async def no_preferences(_request: Request) -> JSONResponse:
            message = "the proxy forwards every request to the upstream: nothing to prefer"
            return JSONResponse({"error": message}, 404)

        return Starlette(
            routes=[
                Route("/__mock/violations", violations, methods=["GET"]),
                Route("/__mock/prefer", no_preferences, methods=["GET", "PUT", "DELETE"]),
                Mount("", admin_app(self)),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            if self.admin is not None and is_admin_path(scope["path"]):
                await answer_admin(self.access, self.admin, scope, receive, send)
            else:
                await self._exchange(scope, receive, send)

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.proxy.upstream_timeout),
                follow_redirects=False,
                trust_env=False,
            )
        return self.client

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client()
                if self.config.on_start is not None:
                    self.config.on_start(self)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _exchange(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Limits, checks, forwarding; journaled and tallied once, whatever happens."""
        started = time.perf_counter()
        note = scope["flowcontract"] = RequestNote(api=self.contract.api_id, rule="proxy")
        raw, status, kept = b"", 0, b""
        verdict: RequestVerdict | None = None
        violations: list[Violation] = []
        failure: str | None = None
        relayed = False
        try:
            host = self.access.host_refusal(scope)
            refusal = (*host, None) if host is not None else self.limits.headers(scope)
            if refusal is None:
                raw, refusal = await self.limits.body(scope, receive)
            if refusal is not None:
                status, kept = await self.limits.refuse(scope, send, *refusal)
                return
            verdict = await check_request(self.dispatcher, scope, raw)
            violations.extend(verdict.violations)
            if verdict.operation is not None:
                note.operation = verdict.operation.key
            try:
                status, headers, body = await self._forward(scope, raw, receive, send)
            except _Upstream as exc:
                failure = exc.kind
                told = (
                    exc.message
                    if exc.kind in INTERRUPTIONS
                    else f"upstream {exc.kind}: {exc.message}"
                )
                note.rule = f"proxy: {told}"
                status = exc.answered
                if not exc.answered:  # nothing was sent yet: the client gets the problem
                    status, kept = exc.status, self._problem(exc)
                    await send_bytes(send, status, kept, PROBLEM_JSON)
                return
            kept = body if body is not None else b""
            if body is None:
                note.rule = "proxy: the answer was not kept whole, its body not checked"
            violations.extend(
                self.responses.check(verdict, status, headers, body, head=scope["method"] == "HEAD")
            )
            relayed = True
        except asyncio.CancelledError:
            failure = failure or "cancelled"  # the proxy is shutting down
            raise
        finally:
            entry = JournalEntry.of(
                scope, self.contract.api_id, raw, status, kept, started, self.declared
            )
            entry.violations = tuple(v.as_tuple() for v in violations)
            self.state.record(entry)
            self.feed.notify()
            self.tally.add(entry, self.upstream, failure, refused=verdict is None)
        if relayed:  # the answer ends once journaled: a client that has it can read it there
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def record(self, scope: Any, raw: bytes, status: int, response: bytes, started: float) -> None:
        """Journal a request the HTTP protocol refused before the app saw it (408, 431)."""
        entry = JournalEntry.of(
            scope, self.contract.api_id, raw, status, response, started, self.declared
        )
        self.state.record(entry)
        self.feed.notify()
        self.tally.add(entry, self.upstream, None, refused=True)

    def _problem(self, exc: _Upstream) -> bytes:
        title = "Gateway Timeout" if exc.status == 504 else "Bad Gateway"
        return problem_bytes(exc.status, f"upstream-{exc.kind}", title, exc.message)

    async def _forward(
        self, scope: Scope, raw: bytes, receive: Receive, send: Send
    ) -> tuple[int, dict[str, str], bytes | None]:
        """Send the request upstream and relay its answer as it arrives (all but its end,
        sent by `_exchange` once the exchange is journaled); the status, the
        headers (lower-case names, first of each) and the body decoded for the checks
        (None when it was longer than `max_response_bytes` or in an unknown encoding)."""
        target = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = (
            self.upstream
            + target.decode("latin-1")
            + ("?" + query.decode("latin-1") if query else "")
        )
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_FORWARDED]
        client = self._client()
        request = client.build_request(scope["method"], url, headers=headers, content=raw)
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            seconds = self.proxy.upstream_timeout
            raise _Upstream("timeout", 504, f"{url} did not answer within {seconds:g} s") from None
        except httpx.TransportError as exc:
            raise _Upstream(
                "unreachable", 502, f"{url}: {str(exc) or type(exc).__name__}"
            ) from None
        try:
            # ASGI wants header names lower-case (HTTP reads them in any case)
            sent = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": sent}
            )
            body = await self._relay(response.aiter_raw(), receive, send)
        except _Upstream as exc:
            exc.answered = response.status_code
            raise
        finally:
            await response.aclose()
        decoded = _decoded(body, response.headers.get("content-encoding", ""), self.proxy)
        first = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(sent)}
        return response.status_code, first, decoded

    async def _relay(
        self, chunks: AsyncIterator[bytes], receive: Receive, send: Send
    ) -> bytes | None:
        """Each chunk sent on as it arrives; the body kept up to the limit (None past it).
        A client gone stops the relay at the next chunk."""
        limit = self.proxy.max_response_bytes
        kept: bytearray | None = bytearray()
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.ensure_future(watch())
        try:
            try:
                async for chunk in chunks:
                    if gone.is_set():
                        raise _Upstream("client-gone", 0, "the client left before the end")
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    if kept is not None:
                        kept += chunk
                        if len(kept) > limit:
                            kept = None
            except httpx.TimeoutException:
                seconds = self.proxy.upstream_timeout
                raise _Upstream(
                    "timeout", 0, f"no more of the answer within {seconds:g} s"
                ) from None
            except httpx.TransportError as exc:
                raise _Upstream("cut-short", 0, f"the answer ended early: {exc}") from None
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        return bytes(kept) if kept is not None else None


def _decoded(body: bytes | None, encoding: str, proxy: ProxyConfig) -> bytes | None:
    """The body as the checks read it: gzip and deflate undone (to the same limit)."""
    encoding = encoding.strip().lower()
    if body is None or encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return None
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib, told by the header
    try:
        out = inflater.decompress(body, proxy.max_response_bytes + 1)
    except zlib.error:
        return None
    return out if len(out) <= proxy.max_response_bytes else None
