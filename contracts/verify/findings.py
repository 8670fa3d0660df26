"""What `contracts verify` found: findings and per-phase tallies, as plain data.

A finding is a defect of the API under test, never an exception; reporters
(`console`, `junit`, `jsonreport`) turn a `Report` into text. Severities follow
Schemathesis's scale so that its own findings and ours read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["PHASES", "Finding", "PhaseResult", "Report", "Severity", "transport_finding"]

Severity = Literal["critical", "high", "medium", "low"]
PHASES = ("examples", "errors", "properties", "stateful")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One way the implementation differs from its contract, with a reproduction.

    Attributes:
        phase: the phase that found it (`examples`, `errors`, `properties`, `stateful`).
        check: the check that failed; Schemathesis's name when it is one of its checks.
        operation: `METHOD /path`.
        expected: what the contract (or the scenarios data) says.
        actual: what the server did.
        curl: a command that sends the request that showed it.
        severity: critical, high, medium or low.
        case: the request example or scenarios case it came from, when there is one.
        kind: `contract` (the answer differs from the contract) or `transport` (no
            complete HTTP answer came back).
        subkind: for a transport finding, which failure: timeout, connection-refused,
            connection-reset, invalid-http, redirect-loop or response-too-large.
    """

    phase: str
    check: str
    operation: str
    expected: str
    actual: str
    curl: str
    severity: Severity = "high"
    case: str | None = None
    kind: Literal["contract", "transport"] = "contract"
    subkind: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Identity for de-duplication: one finding per distinct defect and case."""
        return (self.phase, self.check, self.operation, self.case or "", self.expected)


_TRANSPORT_PROMISE = {
    "timeout": "a complete response within --request-timeout",
    "connection-refused": "the server accepts the connection",
    "connection-reset": "a complete response before the connection closes",
    "invalid-http": "a well-formed HTTP/1.1 response",
    "redirect-loop": "a response that does not redirect in a loop",
    "response-too-large": "a body within --max-response-bytes",
}


def transport_finding(
    *, phase: str, operation: str, subkind: str, message: str, curl: str, case: str | None
) -> Finding:
    """A request that got no complete HTTP answer, as a finding of kind `transport`."""
    return Finding(
        phase=phase,
        check="transport",
        operation=operation,
        expected=_TRANSPORT_PROMISE.get(subkind, "a complete HTTP response"),
        actual=f"{subkind}: {message}",
        curl=curl,
        severity="high",
        case=case,
        kind="transport",
        subkind=subkind,
    )


@dataclass(kw_only=True)
class PhaseResult:
    """What one phase did: requests sent, checks passed and failed, findings."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    skipped: str | None = None
    findings: list[Finding] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    # (check, case) -> [passed, failed]: how often each check held for each case
    tally: dict[tuple[str, str | None], list[int]] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        return sum(counts[0] for counts in self.tally.values())

    @property
    def failed(self) -> int:
        return sum(counts[1] for counts in self.tally.values())

    def count(self, check: str, case: str | None, *, passed: int = 0, failed: int = 0) -> None:
        counts = self.tally.setdefault((check, case), [0, 0])
        counts[0] += passed
        counts[1] += failed

    def add(self, finding: Finding) -> None:
        """Record a finding unless the same defect was already recorded for the same case."""
        if all(f.key != finding.key for f in self.findings):
            self.findings.append(finding)


@dataclass(kw_only=True)
class Report:
    """The verdict on one API: its phases, in the order they were asked for."""

    api: str
    base_url: str
    seed: int
    phases: list[PhaseResult]
    seconds: float = 0.0
    stopped: str | None = None  # why the run ended early (--deadline, Ctrl-C), if it did
    warnings: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for phase in self.phases for f in phase.findings]

    @property
    def incomplete(self) -> list[str]:
        stopped = [self.stopped] if self.stopped else []
        return stopped + [f"{p.name}: {why}" for p in self.phases for why in p.incomplete]

    @property
    def conforms(self) -> bool:
        return not self.findings
