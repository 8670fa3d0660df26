"""The implementation under test: how verify's own phases talk to it.

Requests are Schemathesis `Case`s built from documented data (examples, scenarios
cases), sent with Schemathesis's transport, and judged by Schemathesis's own response
checks, so a phase of ours and the properties phase name a defect the same way.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis
from schemathesis import checks as st_core_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as st_checks
from schemathesis.transport.requests import REQUESTS_TRANSPORT, SameHostRedirectsSession

from ..catalog import Contract, Operation
from ..errors import UsageError
from ..requests import (
    AppliedCredential,
    Request,
    apply_credential,
    path_segment,
    scenario_credentials,
    wire,
)
from .findings import Finding, Severity, transport_finding
from .options import VerifyOptions
from .transport import Bounds, TransportError, bounded_session, transport_kind

__all__ = [
    "CONFORMANCE_CHECKS",
    "Exchange",
    "Target",
    "TransportFailed",
    "UnreachableError",
    "credential_flag",
    "schemathesis_auth",
    "scheme_credentials",
]

# Schemathesis checks that judge one response against the contract, by name.
CONFORMANCE_CHECKS: dict[str, Callable[..., bool | None]] = {
    "not_a_server_error": st_core_checks.not_a_server_error,
    "status_code_conformance": st_checks.status_code_conformance,
    "content_type_conformance": st_checks.content_type_conformance,
    "response_headers_conformance": st_checks.response_headers_conformance,
    "response_schema_conformance": st_checks.response_schema_conformance,
}


class UnreachableError(UsageError):
    """The base URL does not answer: nothing can be verified."""

    code = "target-unreachable"


@dataclass(frozen=True)
class Exchange:
    """A request as sent and the response the server gave."""

    case: schemathesis.Case[Any]
    response: schemathesis.Response
    curl: str

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def media_type(self) -> str:
        values = self.response.headers.get("content-type") or [""]
        return values[0].split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON, or `_NOT_JSON` when it is not JSON."""
        try:
            return self.response.json()
        except Exception:
            return NOT_JSON

    def describe(self) -> str:
        """`status media-type body` in one line, the body cut at 300 characters."""
        text = self.response.content.decode("utf-8", "replace").replace("\n", "\\n")
        if len(text) > 300:
            text = text[:300] + "…"
        return f"{self.status} {self.media_type or '(no content type)'} {text}".rstrip()


class _NotJson:
    def __repr__(self) -> str:
        return "<not JSON>"


NOT_JSON: Any = _NotJson()


# The flag that supplies each kind of security scheme's credential, and its argument.
_FLAGS = {"--token": "TOKEN", "--api-key": "KEY", "--basic": "USER:PASS"}


def _flag_of(scheme: Mapping[str, Any]) -> str | None:
    kind = scheme.get("type")
    http_scheme = str(scheme.get("scheme", "")).lower()
    if kind == "apiKey":
        return "--api-key"
    if kind == "http" and http_scheme == "basic":
        return "--basic"
    if kind in ("oauth2", "openIdConnect") or (kind == "http" and http_scheme == "bearer"):
        return "--token"
    return None


def credential_flag(scheme: Mapping[str, Any]) -> str:
    """The command-line flag that supplies a credential for `scheme`, with its argument."""
    flag = _flag_of(scheme)
    return f"{flag} {_FLAGS[flag]}" if flag else "-H 'Name: value'"


def scheme_credentials(contract: Contract, options: VerifyOptions) -> dict[str, str]:
    """Scheme name -> credential verify presents: the flags' when any is given (each for
    every scheme of its kind), else the scenarios' `default` credential.

    Raises:
        UsageError: a flag for which the contract declares no scheme.
    """
    given = {"--token": options.token, "--api-key": options.api_key, "--basic": options.basic}
    if all(value is None for value in given.values()):
        sc = contract.scenarios
        default = sc.credentials.get("default") if sc is not None else None
        return {default.scheme: default.value} if default is not None else {}
    flags = {str(name): _flag_of(scheme) for name, scheme in contract.security_schemes.items()}
    for flag, value in given.items():
        if value is not None and flag not in flags.values():
            raise UsageError(f"{flag}: {contract.api_id} declares no security scheme it fits")
    return {
        name: value
        for name, flag in flags.items()
        if flag is not None and (value := given[flag]) is not None
    }


def schemathesis_auth(contract: Contract, values: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """`values` as Schemathesis's `auth.openapi` configuration, scheme by scheme."""
    out: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        scheme = contract.security_schemes.get(name) or {}
        kind = scheme.get("type")
        if kind == "apiKey":
            out[name] = {"api_key": value}
        elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            username, _, password = value.partition(":")
            out[name] = {"username": username, "password": password}
        else:
            out[name] = {"bearer": value}
    return out


def schemathesis_config(**project: Any) -> SchemathesisConfig:
    # Reproductions must reproduce: credentials stay in the curl commands (they are the
    # scenarios' fixtures or the user's own); output truncation would cut bodies. No cache:
    # a run replays nothing from an earlier one and writes nothing to disk.
    return SchemathesisConfig.from_dict(
        {
            "output": {"sanitization": {"enabled": False}, "truncation": {"enabled": False}},
            **project,
        }
    )


class TransportFailed(Exception):
    """A request verify sent got no complete HTTP answer (a `transport` finding)."""

    def __init__(self, *, kind: str, message: str, curl: str, operation: Operation) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.curl = curl
        self.operation = operation

    def finding(self, phase: str, case: str | None) -> Finding:
        return transport_finding(
            phase=phase,
            operation=self.operation.key,
            subkind=self.kind,
            message=self.message,
            curl=self.curl,
            case=case,
        )


class Target:
    """The implementation at `base_url`, seen through one contract."""

    def __init__(self, contract: Contract, options: VerifyOptions) -> None:
        self.contract = contract
        self.options = options
        self.base_url = options.base_url.rstrip("/")
        self.bounds = Bounds(
            request_timeout=options.request_timeout,
            max_response_bytes=options.max_response_bytes,
        )
        self.scheme_values = scheme_credentials(contract, options)
        self.scenario_credentials = scenario_credentials(contract)
        self.schema = schemathesis.openapi.from_dict(
            dict(contract.resolved), config=schemathesis_config(**{"base-url": self.base_url})
        )
        self._sessions = threading.local()
        from .explained import failure_filter

        self.schema.hook(failure_filter(contract, uncredentialed=self.uncredentialed()))

    def credentials_for(
        self, operation: Operation, name: str = "default"
    ) -> tuple[AppliedCredential, ...]:
        """The credential `name` as `operation` reads it; `default` is placed for the first
        of the operation's security requirements verify can satisfy."""
        if name != "default":
            return self.scenario_credentials.get(name, ())
        schemes = self.contract.security_schemes
        for requirement in operation.security:
            if requirement and all(scheme in self.scheme_values for scheme in requirement):
                return tuple(
                    apply_credential(schemes, scheme, self.scheme_values[scheme])
                    for scheme in requirement
                )
        return ()

    def lacks_credentials(self, operation: Operation) -> bool:
        """Whether `operation` requires credentials and verify has none to present."""
        secured = bool(operation.security) and all(operation.security)
        return secured and not self.credentials_for(operation)

    def uncredentialed(self) -> list[tuple[str, str]]:
        """(METHOD, path) of each operation that requires credentials verify has none for."""
        return [
            (op.method.upper(), op.path)
            for op in self.contract.operations
            if self.lacks_credentials(op)
        ]

    def missing_credentials(self) -> list[str]:
        """A warning for each set of flags that secured operations need and the run lacks
        (once, rather than a 401 finding per request)."""
        schemes = self.contract.security_schemes
        needing: dict[str, list[str]] = {}
        for op in self.contract.operations:
            if not self.lacks_credentials(op):
                continue
            alternatives = dict.fromkeys(
                " and ".join(sorted({credential_flag(schemes.get(s) or {}) for s in requirement}))
                for requirement in op.security
            )
            needing.setdefault(" or ".join(alternatives), []).append(op.key)
        out = []
        for flags, ops in needing.items():
            more = f" and {len(ops) - 1} more" if len(ops) > 1 else ""
            out.append(
                f"{len(ops)} secured operation{'s' if len(ops) > 1 else ''} ({ops[0]}{more}) "
                f"will be sent without credentials: pass {flags}"
            )
        return out

    def check_reachable(self) -> None:
        """Raise `UnreachableError` unless something accepts connections at the base URL.

        Only the connection is tried: what the server then answers, or fails to, is for
        the phases to report as findings."""
        parts = urlsplit(self.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection(
                (parts.hostname or "localhost", port), timeout=self.options.request_timeout
            ):
                pass
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise UnreachableError(f"cannot reach --base-url {self.base_url}: {reason}") from None

    def session(self) -> requests.Session:
        """This thread's bounded session (a `requests.Session` is not shared across threads)."""
        session: requests.Session | None = getattr(self._sessions, "session", None)
        if session is None:
            session = bounded_session(self.bounds, SameHostRedirectsSession())
            self._sessions.session = session
        return session

    def send(self, operation: Operation, request: Request) -> Exchange:
        """Send `request` to `operation` with its credential and the user's extra headers.

        Raises:
            TransportFailed: no complete HTTP answer came back.
        """
        st_operation = self.schema[operation.path][operation.method.upper()]
        headers = dict(self.options.headers)
        headers.update(request.headers)
        query = dict(request.query)
        cookies: dict[str, str] = {}
        for cred in self.credentials_for(operation, request.credential):
            if cred.location == "header":
                headers[cred.name] = cred.value
            elif cred.location == "query":
                query[cred.name] = cred.value
            else:
                cookies[cred.name] = cred.value
        kwargs: dict[str, Any] = {
            "path_parameters": {k: path_segment(v) for k, v in request.path.items()},
            "query": {k: wire(v) for k, v in query.items()} or None,
            "headers": headers or None,
            "cookies": cookies or None,
        }
        if request.has_body:
            kwargs["body"] = request.body
            kwargs["media_type"] = request.media_type
        case = st_operation.Case(**kwargs)
        curl = case.as_curl_command(base_url=self.base_url)
        try:
            response = case.call(
                base_url=self.base_url,
                session=self.session(),
                timeout=self.options.request_timeout,
            )
        except requests.RequestException as exc:
            message = exc.message if isinstance(exc, TransportError) else str(exc)
            raise TransportFailed(
                kind=transport_kind(exc), message=message, curl=curl, operation=operation
            ) from None
        return Exchange(case=case, response=response, curl=curl)

    def conformance(
        self, exchange: Exchange, names: tuple[str, ...] = tuple(CONFORMANCE_CHECKS)
    ) -> list[tuple[str, Failure]]:
        """Run Schemathesis's response checks named `names`; the failures, by check name."""
        failures: list[tuple[str, Failure]] = []
        for name in names:
            try:
                exchange.case.validate_response(
                    exchange.response, checks=[CONFORMANCE_CHECKS[name]]
                )
            except FailureGroup as group:
                failures.extend((name, f) for f in group.exceptions)
            except Failure as failure:
                failures.append((name, failure))
        return failures


def can_send(media_type: str) -> bool:
    """Whether a body of `media_type` can be put on the wire (Schemathesis has its encoder)."""
    return REQUESTS_TRANSPORT.get_first_matching_media_type(media_type) is not None


def failure_finding(
    *,
    phase: str,
    check: str,
    failure: Failure,
    exchange: Exchange,
    operation: Operation,
    case: str | None,
) -> Finding:
    """A Schemathesis failure as a finding: its title is what the contract says."""
    message = failure.message.strip()
    expected = failure.title if not message else f"{failure.title}: {_first_lines(message)}"
    return Finding(
        phase=phase,
        check=check,
        operation=operation.key,
        expected=expected,
        actual=exchange.describe(),
        curl=exchange.curl,
        severity=_severity(failure),
        case=case,
    )


def _severity(failure: Failure) -> Severity:
    value = str(getattr(failure.severity, "value", failure.severity))
    return value if value in ("critical", "high", "medium", "low") else "high"  # type: ignore[return-value]


def _first_lines(text: str, limit: int = 6) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    out = "\n".join(lines[:limit])
    return out + ("\n…" if len(lines) > limit else "")
