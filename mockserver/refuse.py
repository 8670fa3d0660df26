"""Refusals in the API's own error shape: Connexion's problems (401, 400, 415, ...), the
mock's limits and unrouted requests are answered with a fresh instance of the error the
API documents (`error_template`), its message in the field that looks like one; what is
outside every API, and the mock's own failures, are problem+json.

The guard's refusals (401, 403) are the operation's own: its documented response for
the status (else `4XX`, else `default`; else problem+json), a message naming what this
operation accepts and, for a 401, a `WWW-Authenticate` naming its schemes."""

from __future__ import annotations

import html
import logging
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse

from contracts.catalog import Contract, MediaType, Response

from .asgi import RequestNote, Scope, note_of
from .connexion_ext import routed
from .credentials import challenges, what_to_send
from .errors import PROBLEM_JSON, problem
from .generate import Generator
from .mount import ApiMount, OperationRuntime
from .render import MESSAGE_FIELDS, error_body, json_bytes, render_example
from .represent import component_name, concrete, encode, is_xml

__all__ = ["JSON", "error_handler", "error_template", "problem_bytes", "problem_reply", "refusal"]

log = logging.getLogger("mockserver")

JSON = "application/json"
_RNG = random.Random()


def problem_bytes(status: int, code: str, title: str, detail: str) -> bytes:
    """A mock-level problem+json body."""
    return json_bytes(problem(status, code, title, detail))


def _error_responses(
    mount: ApiMount, status: int, op_key: str | None, *, own_only: bool = False
) -> Iterator[tuple[str, Response]]:
    """The documented responses whose shape a refusal with `status` takes, best first,
    each with the operation that documents it: the operation's own for that status, its
    `4XX` range, its `default`; then (unless `own_only`) the same of the API's other
    operations, then any 4xx the API documents (400 first)."""
    runtimes = [] if own_only else list(mount.runtimes.values())
    if op_key is not None and op_key in mount.runtimes:
        runtimes.insert(0, mount.runtimes[op_key])
    keys = (str(status), f"{str(status)[0]}XX", "default")
    for rt in runtimes:
        for key in keys:
            response = rt.operation.responses.get(key)
            if response is not None:
                yield rt.operation.key, response
    if own_only:
        return
    for rt in runtimes:
        for key in sorted(rt.operation.responses, key=lambda k: (k != "400", k)):
            if key[0] == "4":
                yield rt.operation.key, rt.operation.responses[key]


def _json_media(response: Response) -> MediaType | None:
    for name, media in response.content.items():
        if name == "application/json" or name.endswith("+json") or name == "*/*":
            return media
    return None


@dataclass(frozen=True)
class NonJsonError:
    """An operation's own documented error that is not JSON (`text/html`, `text/plain`,
    XML): the refusal's message where its schema takes a string, else its example or data
    generated for its schema, in that media type."""

    media: MediaType
    component: str | None

    def body(self, message: str) -> bytes:
        schema = dict(self.media.schema or {})
        media_type = self.media.media_type
        value: Any
        if not is_xml(media_type) and _takes_a_message(schema):
            if media_type.split(";")[0].strip().lower() == "text/html":
                message = html.escape(message, quote=False)
            limit = schema.get("maxLength")
            value = message[:limit] if isinstance(limit, int) else message
        else:
            value = next((example.value for example in self.media.examples.values()), None)
            if value is None:
                value = Generator(_RNG.randrange(2**32)).value(schema, "message")
        return encode(value, media_type, schema, name=self.component)


def _takes_a_message(schema: Mapping[str, Any]) -> bool:
    """Whether any sentence (cut to `maxLength`) is an instance of `schema`."""
    if not schema:
        return True
    constraints = {"enum", "const", "pattern", "format", "minLength", "allOf", "oneOf", "anyOf"}
    return schema.get("type") == "string" and not constraints & set(schema)


def _own_non_json(
    mount: ApiMount, status: int, op_key: str | None
) -> tuple[str, NonJsonError] | None:
    """The media type and error of the operation's own documented response for `status`
    (its own, `4XX`, `default`), when that response has content and none of it is JSON."""
    if op_key is None or op_key not in mount.runtimes:
        return None
    own = next((r for _, r in _error_responses(mount, status, op_key, own_only=True)), None)
    if own is None or not own.content or _json_media(own) is not None:
        return None
    media = next(iter(own.content.values()))
    name = (
        component_name(media.schema, mount.contract.resolved)
        if media.schema and is_xml(media.media_type)
        else None
    )
    return concrete(media.media_type), NonJsonError(media, name)


def error_template(
    mount: ApiMount,
    status: int,
    rng: random.Random | None = None,
    op_key: str | None = None,
    *,
    documented: bool = False,
    own_only: bool = False,
) -> tuple[int, Any, str]:
    """The status, a fresh instance of the API's documented error shape and its media
    type, for a refusal with `status`; `(status, None, problem+json)` when the API
    documents no JSON error. Where the operation's own response for the status is not
    JSON, a `NonJsonError` in its media type.

    The instance is the documented example when there is one that its schema accepts
    (repaired where the repair is unambiguous, as `served_examples` serves it), else data
    generated from the error's schema. With `documented`, a status the operation does not
    document becomes the one it documents for bad requests (400, else 422), so that the
    refusal conforms to the contract too. With `own_only`, only the operation's own responses
    lend their shape (the guard's 401 and 403)."""
    if documented and op_key in mount.runtimes:
        responses = mount.runtimes[op_key].operation.responses
        if not {str(status), f"{str(status)[0]}XX", "default"} & set(responses):
            # A refusal the operation does not document (a 415, a 406, a 400 where it
            # documents 422): answered with the status it documents for bad requests.
            status = next((int(s) for s in ("400", "422") if s in responses), status)
    non_json = _own_non_json(mount, status, op_key)
    if non_json is not None:
        return status, non_json[1], non_json[0]
    for owner, response in _error_responses(mount, status, op_key, own_only=own_only):
        media = _json_media(response)
        if media is None:
            continue
        media_type = "application/json" if media.media_type == "*/*" else media.media_type
        for example in media.examples.values():
            key = (owner, response.status, media.media_type, example.name)
            check = mount.invalid_examples.get(key)
            if check is None:
                documented_value = example.value
            elif check.repaired is not None:
                documented_value = check.repaired[0]
            else:
                continue  # its own schema refuses it (GitHub's 422 without documentation_url)
            templates = mount.runtimes[op_key].templates if op_key in mount.runtimes else {}
            value = render_example(documented_value, templates.get(example.name), {}, rng or _RNG)
            return status, value, media_type
        if media.schema:
            return status, _generated_error(media.schema, rng, mount.contract), media_type
    return status, None, PROBLEM_JSON


def _generated_error(
    schema: Mapping[str, Any], rng: random.Random | None, contract: Contract
) -> Any:
    """An instance of the error schema with its message field present, optional or not,
    where the schema allows one there. A draw the schema refuses is drawn again: GitHub's
    422 is a `oneOf` of two error shapes that both accept `{message, documentation_url}`,
    which the generator's own retries miss now and then, and an added message field can
    make a draw match both; failing every draw, the first."""
    document, version = contract.resolved, contract.openapi_version
    generator = Generator((rng or _RNG).randrange(2**32))
    first: Any = None
    for _ in range(_ERROR_DRAWS):
        value = _with_message_field(
            generator.value(schema, document=document, openapi_version=version), schema
        )
        if _CHECKS.accepts(schema, value, document, version.startswith("3.1")):
            return value
        first = value if first is None else first
    return first


_ERROR_DRAWS = 8
_CHECKS = Generator()  # its compiled checks are kept for every error schema met


def _with_message_field(value: Any, schema: Mapping[str, Any]) -> Any:
    """`value` with an empty message field added where the schema declares one it lacks."""
    properties = schema.get("properties")
    if not (isinstance(value, dict) and isinstance(properties, Mapping)):
        return value
    for name in MESSAGE_FIELDS:
        prop = properties.get(name)
        if isinstance(prop, Mapping) and prop.get("type") in ("string", None):
            return value if name in value else {**value, name: ""}
    return value


def refusal(
    mount: ApiMount,
    status: int,
    message: str,
    details: Mapping[str, Any] | None = None,
    *,
    op_key: str | None = None,
    code: str = "refused",
    documented: bool = False,
    own_only: bool = False,
) -> tuple[int, bytes, str]:
    """A refusal in the API's documented error shape (problem+json when it has none):
    status, body and media type (`documented`, `own_only`: see `error_template`)."""
    status, template, media_type = error_template(
        mount, status, op_key=op_key, documented=documented, own_only=own_only
    )
    if template is None:
        return status, problem_bytes(status, code, HTTPStatus(status).phrase, message), media_type
    if isinstance(template, NonJsonError):
        return status, template.body(message), media_type
    return status, json_bytes(error_body(template, status, message, details)), media_type


def _problem_message(exc: ProblemException) -> str:
    detail = str(exc.detail or exc.title or "")
    if exc.status == 415:
        return f"unsupported content type: {detail}"
    return detail


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
    status, body, media_type = refusal(
        mount,
        status,
        message,
        {"reason": status},
        op_key=op.key,
        code="unauthorized" if status == 401 else "forbidden",
        own_only=True,
    )
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
    message = _problem_message(exc)
    note.rule = f"{'guard' if exc.status in (401, 403) else 'validate'}: {message}"
    status, body, media_type = refusal(
        mount,
        exc.status,
        message,
        {"reason": exc.status},
        op_key=op_id,
        code="invalid-request",
        documented=True,
    )
    return status, body, media_type, {}


def error_handler(mounts: Mapping[str, ApiMount]) -> Callable[..., Awaitable[ConnexionResponse]]:
    async def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        status, body, media_type, headers = problem_reply(mounts, request.scope, exc)
        return ConnexionResponse(
            status_code=status, body=body, mimetype=media_type, headers=headers
        )

    return handle
