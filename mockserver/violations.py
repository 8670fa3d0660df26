"""The validation proxy's checks: what in one exchange breaks the contract.

A finding is data, a `Violation`: where (`request` or `response`), which kind (`KINDS`),
and why, in one line. The request is judged by the mock's own stages, so the proxy
flags exactly what the mock would refuse on contract grounds: routing
(`lanes.Dispatcher.match`, the segment tree of `route.Router`), the credentials each
security scheme reads (`credentials.presented`), and Connexion's validators as the
lanes call them (`connexion_ext`: parameters, media type, body). Unlike the mock it
does not stop at the first refusal, and it never checks *which* credential (the
backend holds its own keys) or scopes.

The response is judged against the operation's documented responses: status (exact,
`2XX` range, `default`), required headers, media type, and the body against its schema
with `contracts.examples`' validators (the dialect of the document's OpenAPI version; an
event stream event by event, with the JSON an event's `data` carries, as lint and
Schemathesis read it). Two checks join both sides: a 2xx answer to a request lacking
the required credentials, or to one the contract refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from connexion.exceptions import ProblemException
from jsonschema.exceptions import best_match
from starlette.datastructures import QueryParams
from starlette.requests import cookie_parser

from contracts.catalog import Contract, Operation, Response
from contracts.examples import (
    DocumentedExample,
    ExampleVerdict,
    embedded_payloads,
    example_instances,
    example_verdict,
    is_event_stream,
    schema_validator,
)

from .asgi import Scope
from .credentials import Malformed, presented, what_to_send
from .lanes import Dispatcher, Lane

__all__ = [
    "KINDS",
    "RequestVerdict",
    "ResponseChecks",
    "Violation",
    "check_request",
]

Where = Literal["request", "response"]

# (where, kind) -> what it means; docs/proxy.md lists the same.
KINDS: dict[tuple[Where, str], str] = {
    ("request", "unknown-operation"): "no documented operation has this method and path",
    ("request", "missing-credentials"): "none of the operation's security requirements is met",
    ("request", "malformed-credentials"): "a credential is present but not well formed",
    ("request", "invalid-parameter"): "a parameter its schema refuses, or a required one missing",
    ("request", "unsupported-media-type"): "a body of a media type the operation does not take",
    ("request", "invalid-body"): "a body its schema refuses, or a required body missing",
    ("response", "undocumented-status"): "a status the operation does not document",
    ("response", "missing-header"): "a required response header is absent",
    ("response", "wrong-content-type"): "a media type the documented response does not list",
    ("response", "invalid-body"): "a body its documented schema refuses",
    ("response", "auth-not-enforced"): "a 2xx answer to a request without the credentials",
    ("response", "invalid-request-accepted"): "a 2xx answer to a request the contract refuses",
}
_INPUT_KINDS = frozenset({"invalid-parameter", "unsupported-media-type", "invalid-body"})


@dataclass(frozen=True)
class Violation:
    """One way an exchange breaks the contract."""

    where: Where
    kind: str  # a kind of `KINDS`
    message: str  # one line

    def as_tuple(self) -> tuple[str, str, str]:
        """As the journal keeps it (`JournalEntry.violations`)."""
        return self.where, self.kind, self.message


@dataclass(frozen=True)
class RequestVerdict:
    """What the request checks found, and what the response checks need of it."""

    lane: Lane | None  # the documented operation the request is for; None: none is
    violations: tuple[Violation, ...]

    @property
    def operation(self) -> Operation | None:
        return self.lane.runtime.operation if self.lane is not None else None

    @property
    def lacks_credentials(self) -> bool:
        return any(v.kind == "missing-credentials" for v in self.violations)

    @property
    def refused_input(self) -> Violation | None:
        return next((v for v in self.violations if v.kind in _INPUT_KINDS), None)


def _problem(exc: ProblemException) -> str:
    return str(exc.detail or exc.title or exc.status)


def _credentials(lane: Lane, scope: Scope) -> Violation | None:
    """Whether the request meets one of the operation's security requirements (each
    scheme of it presenting a well-formed credential), as `credentials.presented` reads
    them; which credential, and its scopes, are the backend's to judge."""
    operation = lane.runtime.operation
    if not operation.security:
        return None
    schemes = lane.mount.contract.security_schemes
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:  # the first of each, as Connexion reads them
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    query = QueryParams(scope.get("query_string", b""))
    cookies = cookie_parser(headers.get("cookie", ""))
    for requirement in operation.security:
        try:
            if all(
                presented(schemes.get(name, {}), headers, query, cookies) is not None
                for name in requirement
            ):
                return None
        except Malformed as exc:
            return Violation("request", "malformed-credentials", str(exc))
    wanted = what_to_send(operation.security, schemes)
    return Violation("request", "missing-credentials", f"no credentials; send {wanted}")


async def check_request(dispatcher: Dispatcher, scope: Scope, raw: bytes) -> RequestVerdict:
    """Route the request and judge it: credentials, parameters, media type, body. A
    browser's CORS preflight is the browser's, not a call of the API: not judged."""
    if scope["method"] == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in scope["headers"]
    ):
        return RequestVerdict(None, ())
    matched = dispatcher.match(scope)
    if matched is None or isinstance(matched, tuple):
        where = f"{scope['method']} {scope['path']}"
        why = (
            f"{where}: the path is documented for {', '.join(matched)} only"
            if isinstance(matched, tuple)
            else f"{where}: no documented operation has this path"
        )
        return RequestVerdict(None, (Violation("request", "unknown-operation", why),))
    lane = matched
    found: list[Violation] = []
    credentials = _credentials(lane, scope)
    if credentials is not None:
        found.append(credentials)
    try:
        lane.validation.check_parameters(scope)
    except ProblemException as exc:
        found.append(Violation("request", "invalid-parameter", _problem(exc)))
    try:
        validator = lane.validation.body_validator(scope)
    except ProblemException as exc:
        found.append(Violation("request", "unsupported-media-type", _problem(exc)))
    else:
        if validator is not None:
            try:
                await lane.validation.check_whole_body(scope, raw, validator)
            except ProblemException as exc:
                found.append(Violation("request", "invalid-body", _problem(exc)))
    return RequestVerdict(lane, tuple(found))


def _documented(operation: Operation, status: int) -> tuple[str, Response] | None:
    """The documented response a status falls under: its own, its range, `default`."""
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        response = operation.responses.get(key)
        if response is not None:
            return key, response
    return None


def _media_matches(documented: str, sent: str) -> bool:
    documented = documented.split(";")[0].strip().lower()
    if documented in (sent, "*/*"):
        return True
    kind, _, sub = documented.partition("/")
    return sub == "*" and sent.split("/")[0] == kind


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


class ResponseChecks:
    """The response checks of one contract, each schema's validator compiled once."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self._validators: dict[int, tuple[Mapping[str, Any], Any]] = {}
        schema_validator({}, contract.openapi_version)  # its import (~0.4 s) now, not mid-request

    def _validator(self, schema: Mapping[str, Any]) -> Any:
        hit = self._validators.get(id(schema))
        if hit is None or hit[0] is not schema:
            hit = (schema, schema_validator(schema, self.contract.openapi_version))
            self._validators[id(schema)] = hit
        return hit[1]

    def check(
        self,
        verdict: RequestVerdict,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        head: bool = False,
    ) -> list[Violation]:
        """Judge an answer to the request `verdict` describes. `headers` by lower-case
        name; `body` None when it was not kept whole (too large, an unknown encoding)."""
        operation = verdict.operation
        if operation is None:
            return []
        found = self._joined(verdict, status)
        documented = _documented(operation, status)
        if documented is None:
            listed = ", ".join(operation.responses) or "none"
            message = f"{status} is not documented for {operation.key} (documented: {listed})"
            found.append(Violation("response", "undocumented-status", message))
            return found
        key, response = documented
        declared = ((operation.definition.get("responses") or {}).get(key) or {}).get("headers")
        for name, header in (declared or {}).items():
            required = isinstance(header, Mapping) and header.get("required")
            if required and name.lower() != "content-type" and name.lower() not in headers:
                message = f"the {status} answer lacks the required header {name}"
                found.append(Violation("response", "missing-header", message))
        if head or status in (204, 304):
            return found
        found.extend(self._content(response, status, headers.get("content-type", ""), body))
        return found

    def _joined(self, verdict: RequestVerdict, status: int) -> list[Violation]:
        if not 200 <= status < 300:
            return []
        operation = verdict.operation
        assert operation is not None
        if verdict.lacks_credentials:
            message = (
                f"{status} to a request without the credentials {operation.key} requires "
                "(the contract's security says it is refused)"
            )
            return [Violation("response", "auth-not-enforced", message)]
        refused = verdict.refused_input
        if refused is not None:
            message = f"{status} to a request the contract refuses: {refused.message}"
            return [Violation("response", "invalid-request-accepted", message)]
        return []

    def _content(
        self, response: Response, status: int, content_type: str, body: bytes | None
    ) -> list[Violation]:
        media_type = content_type.split(";")[0].strip().lower()
        listed = ", ".join(response.content)
        if not response.content:
            if body:
                message = f"the {status} answer documents no body; got {len(body)} bytes"
                return [Violation("response", "wrong-content-type", message)]
            return []
        if not media_type:
            if body == b"":
                return []  # an empty answer where a body is documented: left to the schema
            message = f"the {status} answer has no Content-Type; documented: {listed}"
            return [Violation("response", "wrong-content-type", message)]
        media = next(
            (m for name, m in response.content.items() if _media_matches(name, media_type)), None
        )
        if media is None:
            message = f"the {status} answer is {media_type}; documented: {listed}"
            return [Violation("response", "wrong-content-type", message)]
        if body is None or media.schema is None:
            return []
        return self._body(media.schema, media_type, body)

    def _body(self, schema: Mapping[str, Any], media_type: str, body: bytes) -> list[Violation]:
        if is_event_stream(media_type):
            text = body.decode("utf-8", "replace")
            stream = DocumentedExample(
                path=(), kind="media", value=text, schema=schema, media_type=media_type
            )
            judged = [(label, value, schema) for label, value in example_instances(stream)]
            judged += embedded_payloads(stream)
        elif _is_json(media_type):
            try:
                value = json.loads(body)
            except (ValueError, RecursionError) as exc:
                return [Violation("response", "invalid-body", f"the body is not JSON: {exc}")]
            judged = [("", value, schema)]
        else:
            return []  # text, XML, bytes: the schema describes them loosely, if at all
        found = []
        for label, value, value_schema in judged:
            verdict = example_verdict(self._validator(value_schema), value)
            if not verdict.valid:
                prefix = f"{label}: " if label else ""
                found.append(Violation("response", "invalid-body", prefix + _why(verdict)))
        return found


def _why(verdict: ExampleVerdict, limit: int = 3) -> str:
    """The schema's first `limit` errors, `path: message; ...`; an error of `oneOf` or
    `anyOf` told by the branch that came closest (jsonschema's `best_match`), not as "is
    not valid under any of the given schemas"."""
    if verdict.unchecked is not None:
        return verdict.cause()
    shown = []
    for error in verdict.errors[:limit]:
        closest = best_match([error]) or error
        shown.append(f"{'/'.join(map(str, closest.absolute_path)) or '(root)'}: {closest.message}")
    more = len(verdict.errors) - limit
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")
