"""Phase 3, properties: Schemathesis generates requests from the spec and judges the answers.

Schemathesis's engine runs its coverage and fuzzing phases (its examples phase is our
phase 1 and its stateful phase needs links our contracts do not have) with its own
checks. Failures the contract or the scenarios explain (a business rule's documented 4xx
for schema-valid input, an accepted made-up key where unknown keys are accepted) are
dropped by the `filter_failure` hook in
`contracts.verify.explained`, which says why each is not the API's fault.
"""

from __future__ import annotations

import time
from typing import Any

import requests
import schemathesis
from schemathesis.engine import events, from_schema

from ..explained import failure_filter
from ..findings import Finding, PhaseResult, Severity, transport_finding
from ..target import schemathesis_auth, schemathesis_config
from ..transport import TransportError, bounded_schemathesis, curl_command, transport_kind
from .context import STOPPED, PhaseContext

__all__ = ["CHECKS", "run"]

PHASE = "properties"

# Schemathesis checks that judge a contract. Left out: `unsupported_method` and
# `allow_header_conformance` (HTTP semantics for methods the contract does not declare,
# not contract promises), `use_after_free` / `ensure_resource_availability` (need links),
# `object_level_authorization` (needs two identities), `max_response_time` (no budget documented).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)
_ALL_CHECKS = (
    *CHECKS,
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
)


def _describe(interaction: Any) -> str:
    response = getattr(interaction, "response", None)
    if response is None:
        return "no response"
    content_type = ""
    for name, values in (response.headers or {}).items():
        if name.lower() == "content-type" and values:
            content_type = values[0].split(";")[0]
    text = (response.content or b"").decode("utf-8", "replace").replace("\n", "\\n")
    if len(text) > 300:
        text = text[:300] + "…"
    return f"{response.status_code} {content_type or '(no content type)'} {text}".rstrip()


def _severity(failure: Any) -> Severity:
    value = str(getattr(failure.severity, "value", failure.severity))
    return value if value in ("critical", "high", "medium", "low") else "high"  # type: ignore[return-value]


def _expected(failure: Any) -> str:
    lines = [line.rstrip() for line in str(failure.message or "").splitlines() if line.strip()]
    detail = "\n".join(lines[:6]) + ("\n…" if len(lines) > 6 else "")
    return f"{failure.title}: {detail}" if detail else str(failure.title)


def _transport(event: events.NonFatalError) -> Finding | None:
    """A request of Schemathesis's that got no complete HTTP answer, as a finding."""
    error = event.value
    if not isinstance(error, requests.RequestException):
        return None
    curl = event.info.code_sample
    if not curl:
        notes = [n for n in getattr(error, "__notes__", ()) if "curl " in n]
        curl = notes[0].split("Reproduce with:", 1)[-1].strip() if notes else None
    message = error.message if isinstance(error, TransportError) else str(error)
    request = error.request if isinstance(error.request, requests.PreparedRequest) else None
    return transport_finding(
        phase=PHASE,
        operation=event.label,
        subkind=transport_kind(error),
        message=message.splitlines()[0] if message else type(error).__name__,
        curl=curl or curl_command(request),
        case=None,
    )


def run(ctx: PhaseContext) -> PhaseResult:
    """Run Schemathesis's coverage and fuzzing phases against the implementation."""
    started = time.monotonic()
    result = ctx.live.start(PHASE)
    target = ctx.target
    checks: dict[str, Any] = {name: {"enabled": name in CHECKS} for name in _ALL_CHECKS}
    limits: dict[str, Any] = {}
    auth = schemathesis_auth(ctx.contract, target.scheme_values)
    if auth:
        limits["auth"] = {"openapi": auth}
    config = schemathesis_config(
        **limits,
        **{
            "seed": ctx.seed,
            "suppress-health-check": ["all"],
            "base-url": target.base_url,
            "headers": dict(ctx.options.headers),
            "cache": {"enabled": False},
            "workers": max(1, ctx.options.workers),
            "continue-on-failure": True,
            "request-timeout": ctx.options.request_timeout,
            "generation": {"max-examples": ctx.options.max_examples, "database": "none"},
            "phases": {
                "examples": {"enabled": False},
                "stateful": {"enabled": False},
                "coverage": {"unexpected-methods": []},
            },
            "checks": checks,
        },
    )
    schema = schemathesis.openapi.from_dict(dict(ctx.contract.resolved), config=config)
    schema.hook(failure_filter(ctx.contract, uncredentialed=target.uncredentialed()))
    seen: set[tuple[str, str, str, str]] = set()
    with bounded_schemathesis(target.bounds):
        stream = from_schema(schema).execute()
        for event in stream:
            if ctx.stop.is_set():
                stream.stop()
                with ctx.live.updating():
                    result.incomplete.append(STOPPED)
                break
            with ctx.live.updating():
                _record(ctx, result, seen, event)
    with ctx.live.updating():
        result.seconds = time.monotonic() - started
    return result


def _record(
    ctx: PhaseContext, result: PhaseResult, seen: set[tuple[str, str, str, str]], event: Any
) -> None:
    if isinstance(event, events.ScenarioFinished):
        recorder = event.recorder
        result.requests += len(recorder.interactions)
        for case_id, nodes in recorder.checks.items():
            for node in nodes:
                if node.failure_info is None:
                    result.count(node.name, None, passed=1)
                    continue
                failure = node.failure_info.failure
                # One finding per defect, not per generated input: the schema location
                # of a schema violation, else the kind of failure.
                where = str(getattr(failure, "schema_path", "") or failure.code)
                key = (node.name, recorder.label, str(failure.title), where)
                result.count(node.name, None, failed=1)
                if key in seen:
                    continue
                seen.add(key)
                interaction = recorder.interactions.get(failure.case_id or case_id)
                result.add(
                    Finding(
                        phase=PHASE,
                        check=node.name,
                        operation=recorder.label,
                        expected=_expected(failure),
                        actual=_describe(interaction),
                        curl=node.failure_info.code_sample,
                        severity=_severity(failure),
                    )
                )
        ctx.progress(
            f"properties: {event.phase.value} {recorder.label}: "
            f"{len(recorder.interactions)} requests"
        )
    elif isinstance(event, events.NonFatalError):
        finding = _transport(event)
        if finding is not None:
            result.requests += 1
            result.count("transport", None, failed=1)
            result.add(finding)
        else:
            result.incomplete.append(f"{event.label}: {event.info.title}")
    elif isinstance(event, events.FatalError):
        result.incomplete.append(f"Schemathesis failed: {event.exception}")
