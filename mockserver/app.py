"""The composition: every contract mounted under `/<id>` on one server (`MockServer`), and
the mock's answer to a validated request (`MockHandler`). Each stage has its own module:

    MockServer ── lifespan, /__mock admin (admin), CORS (http.cors)
      └── MockServer._api: header and body limits (http.Limits), the body read once,
          │   every request journaled once (state), with its RequestNote (asgi)
          └── lanes.Dispatcher: route.Router, one precompiled pattern per operation
                ├── express lane (lanes.Lane.trusted: a scenarios credential): the
                │   operation's Connexion validators called directly ─► MockHandler.answer
                ├── connexion lane: Connexion's SecurityOperation → request validation
                │   ─► MockHandler (the same answer)
                └── no operation: Connexion's whole middleware stack (Swagger UI, 404)

MockHandler.answer is behave (scenarios data + the API's Behaviour module) → negotiate →
render; a `text/event-stream` choice is the behaviour's `stream`. Connexion's problems and
the mock's own failures are answered in the API's own error shape (refuse). Every use of
Connexion's internals is in the adapter, `connexion_ext`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from connexion.exceptions import ProblemException
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from contracts.catalog import Contract

from .access import Access
from .asgi import (
    UNPARSED,
    ASGIApp,
    Receive,
    RequestNote,
    Scope,
    Send,
    bodiless,
    note_of,
    read_body,
    send_bytes,
    without_body,
)
from .behave import ApiBehaviour, MockRequest
from .config import MockConfig
from .connexion_ext import (
    CachedRequestValidationMiddleware,
    PathResolver,
    PreparedConnexion,
    PreparedSpecification,
    StyledURIParser,
    operation_key,
    routed,
    security_map_for,
    validator_map,
)
from .dashboard import JournalFeed
from .errors import PROBLEM_JSON, MockError
from .generate import Generator
from .http import Limits, cors, mount_for
from .lanes import Dispatcher
from .mount import ApiMount, OperationRuntime
from .negotiate import (
    Choice,
    NotAcceptable,
    accept,
    choose_preferred,
    default_choice,
    parse_preference,
)
from .oas31 import connexion_document, spec_errors
from .redact import Declared
from .refuse import error_handler, problem_bytes, refusal
from .render import (
    Skeleton,
    copy_json,
    event_stream,
    json_bytes,
    render_example,
    seeded_rng,
    set_path,
)
from .represent import concrete, is_json, non_json_body
from .sessions import take_session
from .state import JournalEntry, State, state_for

__all__ = ["MockServer", "answer_admin", "is_admin_path", "mount_contracts"]

log = logging.getLogger("mockserver")
_NO_DECLARED = Declared()
DEFAULT_PREFERENCE_RULE = "prefer: the default set by PUT /__mock/prefer"


class MockHandler:
    """Our stages, after Connexion has routed, guarded and validated the request."""

    def __init__(
        self,
        mounts: dict[str, ApiMount],
        state: State,
        config: MockConfig,
    ):
        self.mounts = mounts
        self.state = state
        self.generator = Generator(config.seed)
        self.rng = seeded_rng(config.seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The end of Connexion's chain: the request has been routed, guarded, validated."""
        if scope["type"] != "http":
            return
        note = note_of(scope)
        base, op_id = routed(scope)
        mount = self.mounts.get(base or "")
        if mount is None or op_id is None:
            await self._unrouted(scope, send, mount)
            return
        raw = await read_body(receive)
        status, payload, media_type = self.answer(
            mount, mount.runtimes[op_id], scope, raw, note.body
        )
        await send_bytes(send, status, payload, media_type)

    def answer(
        self, mount: ApiMount, runtime: OperationRuntime, scope: Scope, raw: bytes, parsed: Any
    ) -> tuple[int, bytes, str]:
        """Behave → select → render for a validated request: status, body, media type."""
        note = note_of(scope)
        note.api = mount.api_id
        note.operation = runtime.operation.key
        request = self._request(scope, mount, runtime, raw, parsed)
        try:
            choice = self.choose(mount, runtime, request)
            choice = accept(runtime.operation, choice, request.headers.get("accept"))
        except MockError as exc:
            note.rule = f"mock-error: {exc.code}"
            return exc.status, json_bytes(exc.problem()), PROBLEM_JSON
        except NotAcceptable as exc:  # answered in the API's error shape
            raise ProblemException(status=406, title="Not Acceptable", detail=str(exc)) from None
        note.rule, note.example = choice.rule, choice.example
        return self.render(mount, runtime, choice, request)

    async def _unrouted(self, scope: Scope, send: Send, mount: ApiMount | None) -> None:
        note_of(scope).rule = "unrouted"
        detail = f"no documented operation matches {scope['method']} {scope['path']}"
        if mount is None:
            known = ", ".join(sorted(f"/{m.api_id}" for m in self.mounts.values()))
            body = problem_bytes(
                404, "no-route", "No documented operation", f"{detail}; APIs: {known}"
            )
            await send_bytes(send, 404, body, PROBLEM_JSON)
            return
        # Under an API's mount, answer as that API would: its error shape.
        note_of(scope).api = mount.api_id
        status, body, media_type = refusal(
            mount,
            404,
            f"{detail}; {_nearest_operations(mount, scope['method'], scope['path'])}",
            {"reason": 404},
            code="no-route",
        )
        await send_bytes(send, status, body, media_type)

    def _request(
        self, scope: Scope, mount: ApiMount, runtime: OperationRuntime, raw: bytes, parsed: Any
    ) -> MockRequest:
        # ASGI servers lower-case header names.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        raw_query = scope.get("query_string", b"").decode("latin-1")
        query = dict(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else {}
        body: Any = parsed if parsed is not UNPARSED else None
        if raw and parsed is UNPARSED:
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                body = raw.decode("utf-8", "replace")
        note = note_of(scope)
        if note.query is not None:  # typed by parameter validation
            query = {**query, **note.query}
        path_params: dict[str, Any] = (
            note.path_params
            if note.path_params is not None
            else {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
        )
        return MockRequest(
            session=note.session,
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
        default = self.state.preferences(request.session).get(mount.api_id)
        if default is not None:
            return dataclasses.replace(choose_preferred(op, default), rule=DEFAULT_PREFERENCE_RULE)
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
        if not is_json(choice.media_type):
            body = non_json_body(choice, op, mount.contract, runtime.examples, self.generator)
            return choice.status, body, concrete(choice.media_type)
        if choice.example is None:
            response = op.responses.get(str(choice.status), None)
            media = response.content.get(choice.media_type) if response else None
            schema = dict(media.schema or {}) if media else {}
            value = self.generator.value(
                schema,
                document=mount.contract.resolved,
                openapi_version=mount.contract.openapi_version,
            )
            return choice.status, json_bytes(value), choice.media_type
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
        example_value = runtime.examples[choice.example]
        value = render_example(example_value, templates, request.template_context, self.rng)
        if choice.values and value is example_value:  # the document's own nodes: read-only
            value = copy_json(value)
        for dotted, replacement in (choice.values or {}).items():
            if dotted == "":
                value = replacement
            else:
                set_path(value, dotted, replacement)
        return choice.status, json_bytes(value), choice.media_type

    def _event_stream(
        self, mount: ApiMount, runtime: OperationRuntime, request: MockRequest
    ) -> bytes:
        """The API's event stream (its behaviour's `stream` hook) around the operation's
        success body; without the hook, one event carrying that body."""
        success = default_choice(runtime.operation)
        body = render_example(
            runtime.examples.get(success.example or "", {}),
            runtime.templates.get(success.example or ""),
            request.template_context,
            self.rng,
        )
        streamed = mount.behaviour.stream(request, self.state, body)
        return streamed if streamed is not None else event_stream([(None, body)])


class MockServer:
    """The outermost ASGI app: admin API, body limit, CORS, journal, then the APIs."""

    def __init__(self, config: MockConfig, contracts: list[Contract]):
        self.config = config
        self.contracts = contracts
        self.state: State = state_for(config, {c.api_id: c.scenarios for c in contracts})
        self.numbering = self.state.numbering
        self.access = Access.build(config.host, config.allowed_hosts, config.admin_token)
        # The credentials each API's spec declares: masked in the journal.
        self.declared = {c.api_id: Declared.of(c.security_schemes) for c in contracts}
        self.mounts: dict[str, ApiMount] = {}
        self.feed = JournalFeed()  # wakes the dashboard's journal streams
        mock_handler = MockHandler(self.mounts, self.state, config)
        connexion = mount_contracts(mock_handler, contracts, self.mounts)
        self.connexion = connexion
        from .admin import admin_app

        self.dispatch = Dispatcher(
            connexion, self.mounts, mock_handler.answer, express=config.express
        )
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
        if self.admin is not None and is_admin_path(scope["path"]):
            await answer_admin(self.access, self.admin, scope, receive, send)
            return
        await self.app(scope, receive, send)

    def received(self, scope: Scope) -> None:
        """A request's head has arrived (called by the HTTP protocol, `connections`, before
        any request's task runs): a shared state numbers it now, so that the requests
        received together share one `INCRBY`."""
        if self.numbering is not None and not (
            self.admin is not None and is_admin_path(scope["path"])
        ):
            scope["flowcontract"] = note = RequestNote()
            self.numbering(note)

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Limits, then the dispatcher; every request journaled once, whatever its fate."""
        start = time.perf_counter()
        session, wrong_session = take_session(scope)
        note: RequestNote | None = scope.get("flowcontract")
        if note is None:  # (not numbered on receipt by `received`)
            scope["flowcontract"] = note = RequestNote(session=session)
            if self.numbering is not None:
                self.numbering(note)
        else:
            note.session = session
        raw, status, response = b"", 0, b""
        try:
            host = self.access.host_refusal(scope)
            refusal = (*host, None) if host is not None else self.limits.headers(scope)
            if refusal is None and wrong_session is not None:
                refusal = (400, wrong_session, None)
            if refusal is None:
                raw, refusal = await self.limits.body(scope, receive)
            if refusal is not None:
                status, response = await self.limits.refuse(scope, send, *refusal)
            else:
                status, response = await self.dispatch(scope, raw, receive, bodiless(send))
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
            if without_body(status):
                response = b""  # what `bodiless` let through
            self.record(scope, raw, status, response, start)

    def record(
        self, scope: Scope, raw: bytes, status: int, response: bytes, started: float
    ) -> None:
        """Journal a request (masked and cut as `JournalEntry.of` does), whatever refused
        it: the app, or the HTTP protocol before the app was called."""
        note = note_of(scope)
        api = note.api
        if api is None:
            mount = mount_for(scope.get("path", "/"), self.mounts)
            api = mount.api_id if mount else None
        declared = self.declared.get(api, _NO_DECLARED) if api else _NO_DECLARED
        entry = JournalEntry.of(scope, api, raw, status, response, started, declared, note.session)
        self.state.record(entry, note)
        self.feed.notify()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.state.open()
                self.started = True
                if self.config.on_start is not None:
                    self.config.on_start(self)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.state.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


NEAREST_SHOWN = 10


def _nearest_operations(mount: ApiMount, method: str, path: str) -> str:
    """The operations a 404 names: all of a small API's, else the `NEAREST_SHOWN` closest to
    the request (GitHub's 1,223 would make a 60 KB answer)."""
    keys = [rt.operation.key for rt in mount.runtimes.values()]
    if len(keys) <= NEAREST_SHOWN:
        return f"operations: {', '.join(keys)}"
    nearest = difflib.get_close_matches(f"{method} {path}", keys, n=NEAREST_SHOWN, cutoff=0)
    return f"nearest operations: {', '.join(nearest)} (of {len(keys)})"


def is_admin_path(path: str) -> bool:
    return path == "/__mock" or path.startswith("/__mock/")


async def answer_admin(
    access: Access, admin: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """An admin API call, once past the Host check and the admin token and cross-site
    checks (`access`); refused in JSON otherwise."""
    refusal = access.host_refusal(scope) or access.admin_refusal(scope)
    if refusal is None:
        await admin(scope, receive, send)
        return
    await send_bytes(
        send,
        refusal[0],
        json_bytes({"error": refusal[1]}),
        "application/json",
        [(b"www-authenticate", b"Bearer")] if refusal[0] == 401 else None,
    )


def mount_contracts(
    handler: ASGIApp,
    contracts: list[Contract],
    mounts: dict[str, ApiMount],
    *,
    prefixed: bool = True,
) -> PreparedConnexion:
    """Connexion's stack (route → guard → validate → `handler`) over every contract,
    each under `/<id>` (`prefixed`) and also at the root when it is the only one; the
    mounts filled in, by base path. Unprefixed: one contract, at the root only (the
    validation proxy, which stands where the real backend's paths are)."""
    connexion = PreparedConnexion(
        handler,
        middlewares=[
            ExceptionMiddleware,
            SwaggerUIMiddleware,
            RoutingMiddleware,
            SecurityMiddleware,
            CachedRequestValidationMiddleware,
        ],
        resolver=PathResolver(),
        validator_map=validator_map(),
        uri_parser_class=StyledURIParser,
    )
    single = len(contracts) == 1
    for contract in contracts:
        mount = ApiMount(
            api_id=contract.api_id,
            contract=contract,
            behaviour=ApiBehaviour(contract.api_id, contract.scenarios, contract.security_schemes),
            runtimes={
                operation_key(op.method, op.path): OperationRuntime.build(op, contract)
                for op in contract.operations
            },
        )
        bases = [f"/{contract.api_id}", *([""] if single else [])] if prefixed else [""]
        with spec_errors(contract):
            document = PreparedSpecification(connexion_document(contract))
        for base in bases:
            mounts[base] = mount
            with spec_errors(contract):
                connexion.add_prepared_api(
                    document.clone(),
                    base_path=base,
                    security_map=security_map_for(contract.scenarios, contract.security_schemes),
                    swagger_ui_options=None,
                )
    handler_of_errors = error_handler(mounts)
    connexion.add_error_handler(ProblemException, handler_of_errors)
    connexion.add_error_handler(Exception, handler_of_errors)
    return connexion
