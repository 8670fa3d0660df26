"""The ASGI application: every contract mounted under `/<id>` on one server.

Request path, outermost first:

    MockServer ── lifespan, /__mock admin, CORS
      └── MockServer._api: header and body limits, the body read once, the journal
            └── Dispatcher: one precompiled pattern per operation
                  ├── express lane (a scenarios credential): the operation's Connexion
                  │   validators called directly ─► MockHandler.answer
                  ├── otherwise: Connexion's SecurityOperation → request validation
                  │   ─► MockHandler (the same answer)
                  └── no operation: Connexion's whole middleware stack (Swagger UI, 404)

MockHandler.answer is behave → select → render (our stages, plain functions); Connexion's
problems and the mock's own failures are rendered in the API's own error shape by
`problem_reply`. Connexion's extension points are in `connexion_ext`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from connexion.exceptions import BadRequestProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from contracts.catalog import Contract, Operation
from contracts.scenarios import Fixture

from .access import Access
from .behave import Behaviour, MockRequest
from .config import MockConfig
from .connexion_ext import (
    STREAMED,
    CachedRequestValidationMiddleware,
    CachedRequestValidationOperation,
    Credentials,
    PathResolver,
    accepted_credentials,
    operation_key,
    security_map_for,
    validator_map,
)
from .errors import PROBLEM_JSON, MockError, problem
from .generate import Generator
from .http import Limits, cors, mount_for
from .negotiate import Choice, choose_preferred, default_choice, parse_preference
from .pathparams import refused_path_parameter
from .redact import Declared
from .render import Skeleton, error_body, json_bytes, render_example, seeded_rng, set_path
from .state import InMemoryState, JournalEntry, State

__all__ = ["MockServer"]

log = logging.getLogger("mockserver")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON = "application/json"
_RNG = random.Random()
_UNPARSED = object()
_NO_DECLARED = Declared()


async def _send_bytes(
    send: Send,
    status: int,
    body: bytes,
    media_type: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    raw_headers = [(b"content-length", str(len(body)).encode())]
    if media_type:
        raw_headers.append((b"content-type", media_type.encode()))
    await send(
        {"type": "http.response.start", "status": status, "headers": raw_headers + (headers or [])}
    )
    await send({"type": "http.response.body", "body": body})


def _problem(status: int, code: str, title: str, detail: str) -> bytes:
    return json_bytes(problem(status, code, title, detail))


@dataclass
class OperationRuntime:
    """Everything about one operation that can be computed once, at start-up."""

    operation: Operation
    pairs: list[tuple[Any, str]]
    templates: Mapping[str, Mapping[str, Any]]
    examples: dict[str, Any] = field(default_factory=dict)
    static: dict[tuple[int, str], bytes] = field(default_factory=dict)
    skeletons: dict[str, Skeleton | None] = field(default_factory=dict)
    choices: dict[tuple[str | None, str], Choice] = field(default_factory=dict)

    @classmethod
    def build(cls, op: Operation, contract: Contract) -> OperationRuntime:
        sc = contract.scenarios
        request_examples = op.request_examples
        pairs = [
            (request_examples[req].value, resp)
            for req, resp in (sc.pairs.items() if sc else ())
            if req in request_examples
        ]
        runtime = cls(operation=op, pairs=pairs, templates=dict(sc.render) if sc else {})
        for response in op.responses.values():
            for _, example in response.examples:
                runtime.examples.setdefault(example.name, example.value)
        return runtime

    def choice(self, example: str | None, rule: str) -> Choice:
        """The success response answered with `example` (computed once per example)."""
        key = (example, rule)
        found = self.choices.get(key)
        if found is None:
            found = self.choices[key] = default_choice(self.operation, example, rule=rule)
        return found

    def paired_example(self, body: Any) -> str | None:
        for value, response_example in self.pairs:
            if body == value:
                return response_example
        return None


@dataclass
class ApiMount:
    api_id: str
    contract: Contract
    behaviour: Behaviour
    runtimes: dict[str, OperationRuntime]

    def error_template(self, status: int, rng: random.Random | None = None) -> tuple[int, Any]:
        """The documented status (or the API's 400) and a fresh example of its error shape."""
        for candidate in (status, 400):
            for rt in self.runtimes.values():
                response = rt.operation.responses.get(str(candidate))
                if response:
                    for _, example in response.examples:
                        templates = rt.templates.get(example.name)
                        value = render_example(example.value, templates, {}, rng or _RNG)
                        return candidate, value
        return status, {"error": ""}


class MockHandler:
    """Our stages, after Connexion has routed, guarded and validated the request."""

    def __init__(self, mounts: dict[str, ApiMount], state: State, config: MockConfig):
        self.mounts = mounts
        self.state = state
        self.generator = Generator(config.seed)
        self.rng = seeded_rng(config.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The end of Connexion's chain: the request has been routed, guarded, validated."""
        if scope["type"] != "http":
            return
        info: dict[str, Any] = scope.setdefault("flowcontract", {})
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        mount = self.mounts.get(routing.get("api_base_path", ""))
        op_id = routing.get("operation_id")
        if mount is None or op_id is None:
            await self._unrouted(scope, send, mount)
            return
        raw = await _read_body(receive)
        status, payload, media_type = self.answer(
            mount, mount.runtimes[op_id], scope, raw, info.pop("body", _UNPARSED)
        )
        await _send_bytes(send, status, payload, media_type)

    def answer(
        self, mount: ApiMount, runtime: OperationRuntime, scope: Scope, raw: bytes, parsed: Any
    ) -> tuple[int, bytes, str]:
        """Behave → select → render for a validated request: status, body, media type."""
        info: dict[str, Any] = scope["flowcontract"]
        info["api"] = mount.api_id
        info["operation"] = runtime.operation.key
        request = self._request(scope, mount, runtime, raw, parsed)
        try:
            choice = self.choose(mount, runtime, request)
        except MockError as exc:
            info["rule"] = f"mock-error: {exc.code}"
            return exc.status, json_bytes(exc.problem()), PROBLEM_JSON
        info["rule"], info["example"] = choice.rule, choice.example
        return self.render(mount, runtime, choice, request)

    async def _unrouted(self, scope: Scope, send: Send, mount: ApiMount | None) -> None:
        scope["flowcontract"]["rule"] = "unrouted"
        detail = f"no documented operation matches {scope['method']} {scope['path']}"
        if mount is None:
            known = ", ".join(sorted(f"/{m.api_id}" for m in self.mounts.values()))
            body = _problem(404, "no-route", "No documented operation", f"{detail}; APIs: {known}")
            await _send_bytes(send, 404, body, PROBLEM_JSON)
            return
        # Under an API's mount, answer as that API would: its error shape.
        scope["flowcontract"]["api"] = mount.api_id
        known = ", ".join(rt.operation.key for rt in mount.runtimes.values())
        _, template = mount.error_template(404, self.rng)
        body_value = error_body(template, 404, f"{detail}; operations: {known}", {"reason": 404})
        await _send_bytes(send, 404, json_bytes(body_value), JSON)

    def _request(
        self, scope: Scope, mount: ApiMount, runtime: OperationRuntime, raw: bytes, parsed: Any
    ) -> MockRequest:
        # ASGI servers lower-case header names.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query = dict(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else {}
        body: Any = parsed if parsed is not _UNPARSED else None
        if raw and parsed is _UNPARSED:
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                body = raw.decode("utf-8", "replace")
        path_params = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
        return MockRequest(
            api=mount.api_id,
            operation=runtime.operation,
            method=scope["method"],
            path=scope["path"],
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            raw_query=raw_query,
            template_context={
                "path": path_params,
                "query": query,
                "body": body,
                "headers": headers,
            },
        )

    def choose(self, mount: ApiMount, runtime: OperationRuntime, request: MockRequest) -> Choice:
        op = runtime.operation
        if "prefer" in request.headers or (request.raw_query and "__" in request.raw_query):
            preference = parse_preference(request.headers.get("prefer"), request.query)
            if preference:
                return choose_preferred(op, preference)
        decided = mount.behaviour.decide(request, self.state)
        if decided is not None:
            return decided
        paired = runtime.paired_example(request.body)
        if paired is not None:
            return runtime.choice(paired, "pair")
        return runtime.choice(mount.behaviour.default_example(request), "default")

    def render(
        self, mount: ApiMount, runtime: OperationRuntime, choice: Choice, request: MockRequest
    ) -> tuple[int, bytes, str]:
        op = runtime.operation
        if choice.media_type == "text/event-stream":
            return choice.status, self._event_stream(mount, runtime, request), choice.media_type
        if not choice.media_type:
            return choice.status, b"", ""
        if choice.example is None:
            response = op.responses.get(str(choice.status), None)
            media = response.content.get(choice.media_type) if response else None
            schema = dict(media.schema or {}) if media else {}
            return choice.status, json_bytes(self.generator.value(schema)), choice.media_type
        templates = runtime.templates.get(choice.example)
        if not templates and not choice.values:
            key = (choice.status, choice.example)
            cached = runtime.static.get(key)
            if cached is None:
                cached = runtime.static[key] = json_bytes(runtime.examples[choice.example])
            return choice.status, cached, choice.media_type
        if templates and not choice.values:
            example = choice.example
            if example not in runtime.skeletons:
                runtime.skeletons[example] = Skeleton.build(runtime.examples[example], templates)
            skeleton = runtime.skeletons[example]
            if skeleton is not None:
                body = skeleton.render(request.template_context, self.rng)
                return choice.status, body, choice.media_type
        value = render_example(
            runtime.examples[choice.example], templates, request.template_context, self.rng
        )
        for dotted, replacement in (choice.values or {}).items():
            if dotted == "":
                value = replacement
            else:
                set_path(value, dotted, replacement)
        return choice.status, json_bytes(value), choice.media_type

    def _event_stream(
        self, mount: ApiMount, runtime: OperationRuntime, request: MockRequest
    ) -> bytes:
        """Progress per workflow node, then the run: what pharen streams with `stream=true`."""
        op = runtime.operation
        success = default_choice(op)
        run = render_example(
            runtime.examples.get(success.example or "", {}),
            runtime.templates.get(success.example or ""),
            request.template_context,
            self.rng,
        )
        if isinstance(run, dict) and "status" in run:
            run["status"] = "completed"
        _, fixture = mount.behaviour.fixture_state(request, self.state)
        nodes = _nodes(fixture)
        events = [
            ("progress", {"node_id": node, "status": "completed", "index": i, "total": len(nodes)})
            for i, node in enumerate(nodes, start=1)
        ]
        events.append(("run", run))
        return "".join(
            f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events
        ).encode()


def _nodes(fixture: Fixture | None) -> list[str]:
    nodes = fixture.attributes.get("nodes") if fixture else None
    return [str(n) for n in nodes] if isinstance(nodes, list) and nodes else ["trigger", "output"]


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _problem_message(mount: ApiMount, exc: ProblemException, op_key: str | None) -> str:
    detail = str(exc.detail or exc.title or "")
    if exc.status == 401:
        schemes = mount.contract.security_schemes
        wanted = []
        for name, scheme in schemes.items():
            if scheme.get("type") == "http":
                wanted.append(f"Authorization: {str(scheme.get('scheme', '')).title()} <token>")
            elif scheme.get("type") == "apiKey":
                wanted.append(f"{scheme.get('name', name)} header")
        return f"missing or invalid credentials ({detail}); send {' or '.join(wanted)}"
    if exc.status == 415:
        return f"unsupported content type: {detail}"
    return detail


def problem_reply(
    mounts: Mapping[str, ApiMount], scope: Scope, exc: Exception
) -> tuple[int, bytes, str, dict[str, str]]:
    """Connexion's problems (401, 400, 415, ...) in the API's own documented error shape;
    any other exception is a bug of the mock, answered as a mock problem and logged."""
    info = scope.setdefault("flowcontract", {})
    routing = (scope.get("extensions") or {}).get("connexion_routing", {})
    # Connexion hands its error handlers a scope copied before routing annotated it; the
    # mount's root_path names the API just as well.
    mount = mounts.get(routing.get("api_base_path", scope.get("root_path", "")))
    if not isinstance(exc, ProblemException):
        log.exception("mock internal error", exc_info=exc)
        info["rule"] = "mock-error: internal"
        body = _problem(500, "mock-internal-error", "The mock failed", type(exc).__name__)
        return 500, body, PROBLEM_JSON, {}
    if mount is None:
        info["rule"] = f"connexion: {exc.status}"
        body = _problem(exc.status, "no-route", str(exc.title), str(exc.detail))
        return exc.status, body, PROBLEM_JSON, {}
    info.update(api=mount.api_id, operation=routing.get("operation_id"))
    status, template = mount.error_template(exc.status)
    message = _problem_message(mount, exc, routing.get("operation_id"))
    info["rule"] = f"{'guard' if exc.status == 401 else 'validate'}: {message}"
    body = json_bytes(error_body(template, status, message, {"reason": exc.status}))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return status, body, JSON, headers


def _error_handler(mounts: Mapping[str, ApiMount]) -> Callable[..., Awaitable[ConnexionResponse]]:
    async def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        status, body, media_type, headers = problem_reply(mounts, request.scope, exc)
        return ConnexionResponse(
            status_code=status, body=body, mimetype=media_type, headers=headers
        )

    return handle


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    base: str
    operation_id: str


def _path_pattern(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """`/a/{x}/b` → a regex with one segment group per parameter, and the names."""
    parts = re.split(r"\{([^{}/]+)\}", template)  # literals at even, names at odd indexes
    regex = "".join(re.escape(quote(p)) if i % 2 == 0 else "([^/?#]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$"), tuple(parts[1::2])


@dataclass(frozen=True)
class Lane:
    """One operation under one mount, with Connexion's per-operation objects."""

    route: Route
    mount: ApiMount
    runtime: OperationRuntime
    guard: ASGIApp  # Connexion's SecurityOperation → request validation → MockHandler
    validation: CachedRequestValidationOperation
    credentials: Credentials | None  # None: the operation needs none
    guarded: frozenset[bytes]  # the header names those credentials travel in

    def trusted(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether the request presents a credential Connexion's guard accepts for sure."""
        credentials = self.credentials
        if credentials is None:
            return True
        seen: set[bytes] = set()
        for name, value in headers:  # Connexion reads the first of each header
            if name in self.guarded and name not in seen:
                if (name, value) in credentials:
                    return True
                seen.add(name)
        return False


class Dispatcher:
    """Every API request, its body already read whole, to its operation.

    Routing is one precompiled pattern per operation, matched on the raw path. A request
    whose credential is one the scenarios list (`Lane.trusted`) skips Connexion's guard
    object and is validated by the operation's Connexion validators called directly, then
    answered: the express lane. Every other request goes through Connexion's
    `SecurityOperation` (guard → validation → `MockHandler`), which decides every refusal
    of a credential; and what matches no operation (Swagger UI, unknown paths, wrong
    methods) takes Connexion's whole middleware stack."""

    def __init__(
        self,
        connexion: ConnexionMiddleware,
        mounts: Mapping[str, ApiMount],
        handler: MockHandler,
        *,
        express: bool = True,
    ):
        self.express = express
        self.mounts = mounts
        self.handler = handler
        self.full = connexion
        connexion.app, connexion.middleware_stack = connexion._build_middleware_stack()
        stack = connexion.middleware_stack
        security = next(m for m in stack if isinstance(m, SecurityMiddleware))
        validation = next(m for m in stack if isinstance(m, CachedRequestValidationMiddleware))
        routes: dict[str, list[Lane]] = {}  # by method, the longer mount first
        for base in sorted(mounts, key=len, reverse=True):  # /quiva before the root mount
            mount = mounts[base]
            guards = {k: v for api in security.apis[base] for k, v in api.operations.items()}
            checks = {k: v for api in validation.apis[base] for k, v in api.operations.items()}
            for op_id, runtime in mount.runtimes.items():
                op = runtime.operation
                pattern, names = _path_pattern(base + op.path)
                guard = guards[op_id]
                credentials = accepted_credentials(
                    guard.security, guard.security_schemes, mount.contract.scenarios
                )
                lane = Lane(
                    route=Route(op.method.upper(), pattern, names, base, op_id),
                    mount=mount,
                    runtime=runtime,
                    guard=guard,
                    validation=checks[op_id],
                    credentials=credentials,
                    guarded=frozenset(name for name, _ in credentials or ()),
                )
                routes.setdefault(lane.route.method, []).append(lane)
        # Candidates by method and first path segment (None: a template starting with a
        # parameter, tried for every path), in the order above.
        self.routes: dict[tuple[str, str | None], list[Lane]] = {}
        for method, lanes in routes.items():
            for lane in lanes:
                first = (lane.route.base + lane.runtime.operation.path)[1:].split("/", 1)[0]
                key = None if "{" in first else quote(first)
                self.routes.setdefault((method, key), []).append(lane)
        self.anywhere = {m: self.routes.get((m, None), []) for m in routes}

    def match(self, scope: Scope) -> Lane | None:
        # Match the path as sent, then decode each parameter on its own: an encoded `/`
        # (`%2F`) belongs to its segment, as a real server reads it.
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else quote(scope["path"])
        method = scope["method"]
        first = path[1:].split("/", 1)[0]
        candidates: tuple[Lane, ...] = (
            *self.routes.get((method, first), ()),
            *self.anywhere.get(method, ()),
        )
        for lane in candidates:
            match = lane.route.pattern.match(path)
            if match is not None:
                route = lane.route
                values = (unquote(v) if "%" in v else v for v in match.groups())
                params = dict(zip(route.params, values, strict=True))
                scope["path_params"] = params
                scope["root_path"] = route.base
                scope.setdefault("extensions", {})["connexion_routing"] = {
                    "api_base_path": route.base,
                    "operation_id": route.operation_id,
                }
                scope["app"] = self.full
                return lane
        return None

    async def __call__(
        self, scope: Scope, raw: bytes, receive: Receive, send: Send
    ) -> tuple[int, bytes]:
        """Answer the request; the status and body sent."""
        lane = self.match(scope)
        if lane is None:
            return await _captured(self.full, scope, _replay(raw, receive), send)
        try:
            refused = refused_path_parameter(scope["path_params"])
            if refused is not None:
                raise BadRequestProblem(detail=refused)
            if self.express and lane.trusted(scope["headers"]):
                parsed = lane.validation.check(scope, raw)
                if parsed is not STREAMED:
                    status, body, media_type = self.handler.answer(
                        lane.mount,
                        lane.runtime,
                        scope,
                        raw,
                        _UNPARSED if parsed is None else parsed,
                    )
                    await _send_bytes(send, status, body, media_type)
                    return status, body
            return await _captured(lane.guard, scope, _replay(raw, receive), send)
        except Exception as exc:
            status, body, media_type, headers = problem_reply(self.mounts, scope, exc)
            extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            await _send_bytes(send, status, body, media_type, extra)
            return status, body


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A `receive` channel that delivers the body already read, then the client's own."""
    pending = [{"type": "http.request", "body": raw, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _captured(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> tuple[int, bytes]:
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


class MockServer:
    """The outermost ASGI app: admin API, body limit, CORS, journal, then the APIs."""

    def __init__(self, config: MockConfig, contracts: list[Contract]):
        self.config = config
        self.contracts = contracts
        self.state: State = InMemoryState(
            {c.api_id: c.scenarios for c in contracts},
            journal_size=config.journal_size,
            journal_bytes=config.journal_bytes,
        )
        self.access = Access.build(config.host, config.allowed_hosts, config.admin_token)
        # The credentials each API's spec declares: masked in the journal.
        self.declared = {c.api_id: Declared.of(c.security_schemes) for c in contracts}
        self.mounts: dict[str, ApiMount] = {}
        mock_handler = MockHandler(self.mounts, self.state, config)
        connexion = ConnexionMiddleware(
            mock_handler,
            middlewares=[
                ExceptionMiddleware,
                SwaggerUIMiddleware,
                RoutingMiddleware,
                SecurityMiddleware,
                CachedRequestValidationMiddleware,
            ],
            resolver=PathResolver(),
            validator_map=validator_map(),
        )
        single = len(contracts) == 1
        for contract in contracts:
            mount = ApiMount(
                api_id=contract.api_id,
                contract=contract,
                behaviour=Behaviour(contract.api_id, contract.scenarios, contract.security_schemes),
                runtimes={
                    operation_key(op.method, op.path): OperationRuntime.build(op, contract)
                    for op in contract.operations
                },
            )
            bases = [f"/{contract.api_id}"] + ([""] if single else [])
            for base in bases:
                self.mounts[base] = mount
                connexion.add_api(
                    _servable(contract),
                    base_path=base,
                    security_map=security_map_for(contract.scenarios),
                    swagger_ui_options=None,
                )
        handler = _error_handler(self.mounts)
        connexion.add_error_handler(ProblemException, handler)
        connexion.add_error_handler(Exception, handler)
        self.connexion = connexion
        from .admin import admin_app

        self.dispatch = Dispatcher(connexion, self.mounts, mock_handler, express=config.express)
        self.limits = Limits(
            config.max_body_size, config.max_header_size, self.mounts, config.body_timeout
        )
        self.app: ASGIApp = cors(self._api) if config.cors else self._api
        self.admin = admin_app(self) if config.admin else None
        self.started = False

    def describe(self) -> list[dict[str, Any]]:
        base = self.config.base_url
        return [
            {
                "id": c.api_id,
                "title": c.title,
                "base_url": f"{base}/{c.api_id}",
                "operations": len(c.operations),
                "ui": f"{base}/{c.api_id}/ui/",
                "spec": str(c.path),
            }
            for c in self.contracts
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if (path == "/__mock" or path.startswith("/__mock/")) and self.admin is not None:
            refusal = self.access.host_refusal(scope) or self.access.admin_refusal(scope)
            if refusal is None:
                await self.admin(scope, receive, send)
            else:
                await _send_bytes(
                    send,
                    refusal[0],
                    json_bytes({"error": refusal[1]}),
                    JSON,
                    [(b"www-authenticate", b"Bearer")] if refusal[0] == 401 else None,
                )
            return
        await self.app(scope, receive, send)

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Limits, then the dispatcher; every request journaled once, whatever its fate."""
        start = time.perf_counter()
        info: dict[str, Any] = {}
        scope["flowcontract"] = info
        raw, status, response = b"", 0, b""
        try:
            host = self.access.host_refusal(scope)
            refusal = (*host, None) if host is not None else self.limits.headers(scope)
            if refusal is None:
                raw, refusal = await self.limits.body(scope, receive)
            if refusal is not None:
                status, response = await self.limits.refuse(scope, send, *refusal)
            else:
                status, response = await self.dispatch(scope, raw, receive, send)
        except asyncio.CancelledError:
            # uvicorn cancels what is still running when its graceful-shutdown timeout
            # ends: answer 503 in the API's shape (if nothing was sent yet) and end quietly
            # instead of leaving a 500 and a traceback. Nothing else cancels a request.
            if status == 0:
                detail = "the mock is shutting down; retry against a running mock"
                try:
                    status, response = await self.limits.refuse(scope, send, 503, detail, None)
                except RuntimeError:  # uvicorn's: this response had started already
                    status = 503
        finally:
            self.record(scope, raw, status, response, start)

    def record(
        self, scope: Scope, raw: bytes, status: int, response: bytes, started: float
    ) -> None:
        """Journal a request (masked and cut as `JournalEntry.of` does), whatever refused
        it: the app, or the HTTP protocol before the app was called."""
        api = scope.get("flowcontract", {}).get("api")
        if api is None:
            mount = mount_for(scope.get("path", "/"), self.mounts)
            api = mount.api_id if mount else None
        declared = self.declared.get(api, _NO_DECLARED) if api else _NO_DECLARED
        self.state.record(JournalEntry.of(scope, api, raw, status, response, started, declared))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.started = True
                if self.config.on_start is not None:
                    self.config.on_start(self)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _servable(contract: Contract) -> dict[str, Any]:
    """The resolved document as Connexion should serve it: no server base paths (the
    mock mounts each API itself)."""
    spec = dict(contract.resolved)
    spec["servers"] = [{"url": "/"}]
    return spec
