"""The guard and the two lanes: which path through Connexion answers a routed request.

A request whose credential is one the scenarios list (`Lane.trusted`, an exact header
match) skips Connexion's guard object and is validated by the operation's Connexion
validators called directly, then answered: the express lane. Every other request goes
through Connexion's `SecurityOperation` (guard → validation → the mock's handler), which
decides every refusal of a credential: the connexion lane. What matches no operation
(Swagger UI, unknown paths, wrong methods) takes Connexion's whole middleware stack. The
lane that answered is noted on the request (`RequestNote.lane`) and journaled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connexion.exceptions import BadRequestProblem
from connexion.middleware import ConnexionMiddleware

from .asgi import (
    UNPARSED,
    ASGIApp,
    Receive,
    Scope,
    Send,
    captured,
    note_of,
    replay,
    send_bytes,
)
from .connexion_ext import (
    STREAMED,
    CachedRequestValidationOperation,
    Credentials,
    accepted_credentials,
    build_stack,
    mark_routed,
    operation_objects,
)
from .errors import PROBLEM_JSON
from .http import mount_for
from .mount import ApiMount, OperationRuntime
from .refuse import problem_bytes, problem_reply, refusal
from .route import Route, Router, route_for, server_prefix

__all__ = ["Answer", "Dispatcher", "Lane"]

# The mock's answer to a validated request: status, body, media type.
Answer = Callable[[ApiMount, OperationRuntime, Scope, bytes, Any], tuple[int, bytes, str]]


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


def build_lanes(connexion: ConnexionMiddleware, mounts: Mapping[str, ApiMount]) -> list[Lane]:
    """Every operation of every mount, the longer mount first (/quiva before the root)."""
    stack = build_stack(connexion)
    lanes = []
    for base in sorted(mounts, key=len, reverse=True):
        mount = mounts[base]
        objects = operation_objects(stack, base)
        for op_id, runtime in mount.runtimes.items():
            op = runtime.operation
            found = objects[op_id]
            # The document's own schemes: the 3.1 view lower-cases `http` scheme words,
            # and a client sends them as the document writes them.
            credentials = accepted_credentials(
                found.security,
                {**found.schemes, **mount.contract.security_schemes},
                mount.contract.scenarios,
            )
            # Served at the mount and under the path of the document's server URL.
            for prefix in dict.fromkeys(
                ("", server_prefix(mount.contract.resolved.get("servers")))
            ):
                lanes.append(
                    Lane(
                        route=route_for(op.method, base, prefix + op.path, op_id),
                        mount=mount,
                        runtime=runtime,
                        guard=found.guard,
                        validation=found.validation,
                        credentials=credentials,
                        guarded=frozenset(name for name, _ in credentials or ()),
                    )
                )
    return lanes


class Dispatcher:
    """Every API request, its body already read whole, to its operation and its lane."""

    def __init__(
        self,
        connexion: ConnexionMiddleware,
        mounts: Mapping[str, ApiMount],
        answer: Answer,
        *,
        express: bool = True,
    ):
        self.express = express
        self.mounts = mounts
        self.answer = answer
        self.full = connexion
        self.router = Router((lane.route, lane) for lane in build_lanes(connexion, mounts))

    def match(self, scope: Scope) -> Lane | tuple[str, ...] | None:
        """The request's lane, its scope annotated as Connexion's routing would; the
        methods the path allows when it is documented for other methods only."""
        found = self.router.match(scope)
        if found is None:
            return None
        if found.route is None or found.target is None:
            return found.allowed
        scope["path_params"] = found.params
        mark_routed(scope, found.route.base, found.route.operation_id, self.full)
        return found.target

    async def __call__(
        self, scope: Scope, raw: bytes, receive: Receive, send: Send
    ) -> tuple[int, bytes]:
        """Answer the request; the status and body sent."""
        note = note_of(scope)
        note.lane = "connexion"
        lane = self.match(scope)
        if lane is None:
            return await captured(self.full, scope, replay(raw, receive), send)
        if isinstance(lane, tuple):
            return await self._not_allowed(scope, send, lane)
        try:
            for name, value in scope["path_params"].items():
                if ".." in value.split("/"):  # an encoded traversal (`..%2F`): refuse it
                    raise BadRequestProblem(detail=f"{name}: path traversal is not allowed")
            if self.express and lane.trusted(scope["headers"]):
                note.lane = "express"
                parsed = lane.validation.check(scope, raw)
                if parsed is not STREAMED:
                    status, body, media_type = self.answer(
                        lane.mount, lane.runtime, scope, raw, UNPARSED if parsed is None else parsed
                    )
                    await send_bytes(send, status, body, media_type)
                    return status, body
                note.lane = "connexion"
            return await captured(lane.guard, scope, replay(raw, receive), send)
        except Exception as exc:
            status, body, media_type, headers = problem_reply(self.mounts, scope, exc)
            extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            await send_bytes(send, status, body, media_type, extra)
            return status, body

    async def _not_allowed(
        self, scope: Scope, send: Send, allowed: tuple[str, ...]
    ) -> tuple[int, bytes]:
        """405 for a documented path with an undocumented method, with `Allow`, in the
        API's error shape (problem+json outside every API)."""
        detail = f"{scope['method']} is not documented for this path; allowed: {', '.join(allowed)}"
        mount = mount_for(scope["path"], self.mounts)
        note = note_of(scope)
        note.rule = "unrouted: method not allowed"
        headers = [(b"allow", ", ".join(allowed).encode())]
        if mount is None:
            body = problem_bytes(405, "method-not-allowed", "Method Not Allowed", detail)
            await send_bytes(send, 405, body, PROBLEM_JSON, headers)
            return 405, body
        note.api = mount.api_id
        status, body, media_type = refusal(mount, 405, detail, {"reason": 405})
        await send_bytes(send, status, body, media_type, headers)
        return status, body
