"""The implementation under test: how verify's own phases talk to it.

Requests are Schemathesis `Case`s built from documented data (examples, scenarios
cases), sent with Schemathesis's transport, and judged by Schemathesis's own response
checks, so a phase of ours and the properties phase name a defect the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import schemathesis
from schemathesis import checks as st_core_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as st_checks

from ..catalog import Contract, Operation
from ..errors import UsageError
from ..requests import AppliedCredential, Request, apply_credential, scenario_credentials, wire
from .findings import Finding, Severity
from .options import REQUEST_TIMEOUT, VerifyOptions

__all__ = [
    "CONFORMANCE_CHECKS",
    "Exchange",
    "Target",
    "UnreachableError",
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


def _credentials(
    contract: Contract, options: VerifyOptions
) -> dict[str, tuple[AppliedCredential, ...]]:
    schemes = contract.security_schemes
    out = scenario_credentials(contract)
    override: list[AppliedCredential] = []
    if options.token is not None:
        bearer = next(
            (
                n
                for n, s in schemes.items()
                if s.get("type") == "http" and str(s.get("scheme", "")).lower() == "bearer"
            ),
            None,
        )
        if bearer is None:
            raise UsageError(f"--token: {contract.api_id} declares no http bearer security scheme")
        override.append(apply_credential(schemes, bearer, options.token))
    if options.api_key is not None:
        key = next((n for n, s in schemes.items() if s.get("type") == "apiKey"), None)
        if key is None:
            raise UsageError(f"--api-key: {contract.api_id} declares no apiKey security scheme")
        override.append(apply_credential(schemes, key, options.api_key))
    if override:
        out["default"] = tuple(override)
    out.setdefault("default", ())
    return out


def schemathesis_config(**project: Any) -> SchemathesisConfig:
    # Reproductions must reproduce: credentials stay in the curl commands (they are the
    # scenarios' fixtures or the user's own); output truncation would cut bodies.
    return SchemathesisConfig.from_dict(
        {
            "output": {"sanitization": {"enabled": False}, "truncation": {"enabled": False}},
            **project,
        }
    )


class Target:
    """The implementation at `base_url`, seen through one contract."""

    def __init__(self, contract: Contract, options: VerifyOptions) -> None:
        self.contract = contract
        self.options = options
        self.base_url = options.base_url.rstrip("/")
        self.credentials = _credentials(contract, options)
        self.schema = schemathesis.openapi.from_dict(
            dict(contract.resolved), config=schemathesis_config(**{"base-url": self.base_url})
        )
        from .explained import failure_filter

        self.schema.hook(failure_filter(contract))

    def credential_headers(self, name: str = "default") -> dict[str, str]:
        """The default (or named) credential as headers, for Schemathesis's own requests."""
        return {c.name: c.value for c in self.credentials.get(name, ()) if c.location == "header"}

    def check_reachable(self) -> None:
        """Raise `UnreachableError` unless something answers HTTP at the base URL."""
        try:
            httpx.get(self.base_url + "/", timeout=REQUEST_TIMEOUT)
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UnreachableError(f"cannot reach --base-url {self.base_url}: {reason}") from None

    def send(self, operation: Operation, request: Request) -> Exchange:
        """Send `request` to `operation` with its credential and the user's extra headers."""
        st_operation = self.schema[operation.path][operation.method.upper()]
        headers = dict(self.options.headers)
        headers.update(request.headers)
        query = dict(request.query)
        cookies: dict[str, str] = {}
        for cred in self.credentials.get(request.credential, ()):
            if cred.location == "header":
                headers[cred.name] = cred.value
            elif cred.location == "query":
                query[cred.name] = cred.value
            else:
                cookies[cred.name] = cred.value
        kwargs: dict[str, Any] = {
            "path_parameters": {k: wire(v) for k, v in request.path.items()},
            "query": {k: wire(v) for k, v in query.items()} or None,
            "headers": headers or None,
            "cookies": cookies or None,
        }
        if request.has_body:
            kwargs["body"] = request.body
            kwargs["media_type"] = "application/json"
        case = st_operation.Case(**kwargs)
        response = case.call(base_url=self.base_url, timeout=REQUEST_TIMEOUT)
        return Exchange(
            case=case, response=response, curl=case.as_curl_command(base_url=self.base_url)
        )

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
