"""What every phase is given, and how a phase fans its requests out over workers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from ...catalog import Contract, Operation
from ..findings import Finding, PhaseResult
from ..options import VerifyOptions
from ..target import Exchange, Target, failure_finding

__all__ = ["Outcome", "PhaseContext", "conformance", "run_jobs"]

T = TypeVar("T")


@dataclass(frozen=True)
class PhaseContext:
    contract: Contract
    target: Target
    options: VerifyOptions
    seed: int
    progress: Callable[[str], None] = field(default=lambda _line: None)


@dataclass
class Outcome:
    """What one job (one example, one case, one probe) sent and found."""

    case: str
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def check(self, name: str, finding: Finding | None) -> None:
        """Count one run of check `name`: it held when `finding` is None."""
        self.checks.append((name, finding is None))
        if finding is not None:
            self.findings.append(finding)


def run_jobs(
    name: str, ctx: PhaseContext, jobs: Iterable[T], job: Callable[[T], Outcome]
) -> PhaseResult:
    """Run `job` over `jobs` on `ctx.options.workers` threads; tally into one phase result."""
    started = time.monotonic()
    result = PhaseResult(name=name)
    items = list(jobs)
    if not items:
        result.skipped = "nothing documented to send"
        return result
    workers = max(1, min(ctx.options.workers, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"verify-{name}") as pool:
        for outcome in pool.map(job, items):
            result.requests += outcome.requests
            for check, held in outcome.checks:
                result.count(check, outcome.case, passed=int(held), failed=int(not held))
            for finding in outcome.findings:
                result.add(finding)
    result.seconds = time.monotonic() - started
    return result


def conformance(
    ctx: PhaseContext,
    outcome: Outcome,
    phase: str,
    op: Operation,
    exchange: Exchange,
    names: Iterable[str],
) -> None:
    """Run Schemathesis's response checks `names` on `exchange`; count and record each."""
    names = tuple(names)
    failures = ctx.target.conformance(exchange, names)
    failed = {check for check, _ in failures}
    for name in names:
        if name not in failed:
            outcome.check(name, None)
    for check, failure in failures:
        outcome.check(
            check,
            failure_finding(
                phase=phase,
                check=check,
                failure=failure,
                exchange=exchange,
                operation=op,
                case=outcome.case,
            ),
        )
