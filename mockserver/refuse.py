"""Refusals in the API's own error shape: Connexion's problems (401, 400, 415, ...), the
mock's limits and unrouted requests are answered with a fresh instance of the error the
API documents (`error_template`), its message in the field that looks like one; what is
outside every API, and the mock's own failures, are problem+json.

The guard's refusals (401, 403) are the operation's own: its documented response for
the status (else `4XX`, else `default`; else problem+json), a message naming what this
operation accepts and, for a 401, a `WWW-Authenticate` naming its schemes."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse

from .asgi import RequestNote, Scope, note_of
from .connexion_ext import routed
from .credentials import challenges, what_to_send
from .errors import PROBLEM_JSON, problem
from .generate import Generator
from .mount import ApiMount, OperationRuntime
from .render import error_body, json_bytes, render_example

__all__ = ["JSON", "error_handler", "error_template", "problem_bytes", "problem_reply"]

log = logging.getLogger("mockserver")

JSON = "application/json"
_RNG = random.Random()
_GENERATOR = Generator()  # a documented error shape without an example


def problem_bytes(status: int, code: str, title: str, detail: str) -> bytes:
    """A mock-level problem+json body."""
    return json_bytes(problem(status, code, title, detail))


def error_template(
    mount: ApiMount, status: int, rng: random.Random | None = None
) -> tuple[int, Any]:
    """The documented status (or the API's 400) and a fresh example of its error shape."""
    for candidate in (status, 400):
        for rt in mount.runtimes.values():
            response = rt.operation.responses.get(str(candidate))
            if response:
                for _, example in response.examples:
                    templates = rt.templates.get(example.name)
                    value = render_example(example.value, templates, {}, rng or _RNG)
                    return candidate, value
    return status, {"error": ""}


def _problem_message(exc: ProblemException) -> str:
    detail = str(exc.detail or exc.title or "")
    if exc.status == 415:
        return f"unsupported content type: {detail}"
    return detail


def _documented_refusal(runtime: OperationRuntime, status: int) -> tuple[Any, str] | None:
    """A fresh instance of the error this operation documents for `status` (its own
    status, else `4XX`, else `default`) and its media type: its first example, else
    generated from its JSON schema. None when it documents no JSON body for it."""
    responses = runtime.operation.responses
    response = next(
        (responses[k] for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses),
        None,
    )
    if response is None:
        return None
    for media_type, example in response.examples:
        if "json" in media_type:
            templates = runtime.templates.get(example.name)
            return render_example(example.value, templates, {}, _RNG), media_type
    for media_type, media in response.content.items():
        if "json" in media_type and media.schema:
            return _GENERATOR.value(media.schema), media_type
    return None


def _guard_reply(
    mount: ApiMount, runtime: OperationRuntime, exc: ProblemException, note: RequestNote
) -> tuple[int, bytes, str, dict[str, str]]:
    """The guard's refusal (401: no or a bad credential, 403: a scope missing) for one
    operation: its documented error shape (else problem+json), a message naming what
    this operation accepts, and for a 401 a `WWW-Authenticate` naming its schemes."""
    op = runtime.operation
    schemes = mount.contract.security_schemes
    status = int(exc.status)
    detail = str(exc.detail or exc.title or "")
    if status == 401:
        message = (
            f"missing or invalid credentials ({detail}); send {what_to_send(op.security, schemes)}"
        )
        headers = {"WWW-Authenticate": challenges(op.security, schemes, mount.api_id)}
    else:
        message = f"the credential lacks a required scope ({detail})"
        headers = {}
    note.rule = f"guard: {message}"
    documented = _documented_refusal(runtime, status)
    if documented is None:
        code, title = (
            ("unauthorized", "Unauthorized") if status == 401 else ("forbidden", "Forbidden")
        )
        return status, problem_bytes(status, code, title, message), PROBLEM_JSON, headers
    template, media_type = documented
    body = json_bytes(error_body(template, status, message, {"reason": status}))
    return status, body, media_type, headers


def problem_reply(
    mounts: Mapping[str, ApiMount], scope: Scope, exc: Exception
) -> tuple[int, bytes, str, dict[str, str]]:
    """Connexion's problems (401, 400, 415, ...) in the API's own documented error shape;
    any other exception is a bug of the mock, answered as a mock problem and logged."""
    note = note_of(scope)
    base, op_id = routed(scope)
    # Connexion hands its error handlers a scope copied before routing annotated it; the
    # mount's root_path names the API just as well.
    mount = mounts.get(base if base is not None else scope.get("root_path", ""))
    if not isinstance(exc, ProblemException):
        log.exception("mock internal error", exc_info=exc)
        note.rule = "mock-error: internal"
        body = problem_bytes(500, "mock-internal-error", "The mock failed", type(exc).__name__)
        return 500, body, PROBLEM_JSON, {}
    if mount is None:
        note.rule = f"connexion: {exc.status}"
        body = problem_bytes(exc.status, "no-route", str(exc.title), str(exc.detail))
        return exc.status, body, PROBLEM_JSON, {}
    note.api, note.operation = mount.api_id, op_id
    runtime = mount.runtimes.get(op_id) if op_id else None
    if exc.status in (401, 403) and runtime is not None:
        return _guard_reply(mount, runtime, exc, note)
    status, template = error_template(mount, exc.status)
    message = _problem_message(exc)
    note.rule = f"{'guard' if exc.status in (401, 403) else 'validate'}: {message}"
    body = json_bytes(error_body(template, status, message, {"reason": exc.status}))
    return status, body, JSON, {}


def error_handler(mounts: Mapping[str, ApiMount]) -> Callable[..., Awaitable[ConnexionResponse]]:
    async def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        status, body, media_type, headers = problem_reply(mounts, request.scope, exc)
        return ConnexionResponse(
            status_code=status, body=body, mimetype=media_type, headers=headers
        )

    return handle
