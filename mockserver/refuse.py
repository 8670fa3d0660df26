"""Refusals in the API's own error shape: Connexion's problems (401, 400, 415, ...), the
mock's limits and unrouted requests are answered with a fresh instance of the error the
API documents (`error_template`), its message in the field that looks like one; what is
outside every API, and the mock's own failures, are problem+json."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse

from .asgi import Scope, note_of
from .connexion_ext import routed
from .errors import PROBLEM_JSON, problem
from .mount import ApiMount
from .render import error_body, json_bytes, render_example

__all__ = ["JSON", "error_handler", "error_template", "problem_bytes", "problem_reply"]

log = logging.getLogger("mockserver")

JSON = "application/json"
_RNG = random.Random()


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
    status, template = error_template(mount, exc.status)
    message = _problem_message(mount, exc, op_id)
    note.rule = f"{'guard' if exc.status == 401 else 'validate'}: {message}"
    body = json_bytes(error_body(template, status, message, {"reason": exc.status}))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return status, body, JSON, headers


def error_handler(mounts: Mapping[str, ApiMount]) -> Callable[..., Awaitable[ConnexionResponse]]:
    async def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        status, body, media_type, headers = problem_reply(mounts, request.scope, exc)
        return ConnexionResponse(
            status_code=status, body=body, mimetype=media_type, headers=headers
        )

    return handle
