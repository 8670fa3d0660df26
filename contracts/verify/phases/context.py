"""What every phase is given, and how a phase fans its requests out over workers."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from ...catalog import Contract, Operation
from ..findings import Finding, PhaseResult
from ..options import VerifyOptions
from ..target import Exchange, Target, TransportFailed, failure_finding

__all__ = ["LiveResults", "Outcome", "PhaseContext", "conformance", "run_jobs"]

T = TypeVar("T")

STOPPED = "stopped before it finished"


class LiveResults:
    """The phases' results as they are filled in, readable while the run goes on (for a
    report at --deadline or Ctrl-C)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, PhaseResult] = {}

    def start(self, name: str) -> PhaseResult:
        with self._lock:
            result = self._results[name] = PhaseResult(name=name)
        return result

    @contextmanager
    def updating(self) -> Iterator[None]:
        """Hold while changing a started result, so that a snapshot never sees half of it."""
        with self._lock:
            yield

    def snapshot(self, names: Iterable[str], *, stopped: bool) -> list[PhaseResult]:
        """A copy of each phase's result, in `names`' order; a phase that did not start is
        skipped, one still running is marked incomplete."""
        out: list[PhaseResult] = []
        with self._lock:
            for name in names:
                result = self._results.get(name)
                if result is None:
                    out.append(PhaseResult(name=name, skipped="not reached: the run stopped"))
                    continue
                copied = copy.deepcopy(result)
                running = not (copied.seconds or copied.skipped)
                if stopped and running and STOPPED not in copied.incomplete:
                    copied.incomplete.append(STOPPED)
                out.append(copied)
        return out


@dataclass(frozen=True)
class PhaseContext:
    contract: Contract
    target: Target
    options: VerifyOptions
    seed: int
    progress: Callable[[str], None] = field(default=lambda _line: None)
    stop: threading.Event = field(default_factory=threading.Event)
    live: LiveResults = field(default_factory=LiveResults)


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
    name: str,
    ctx: PhaseContext,
    jobs: Iterable[T],
    job: Callable[[T], Outcome],
    label: Callable[[T], str],
) -> PhaseResult:
    """Run `job` over `jobs` on `ctx.options.workers` threads; tally into one phase result.

    A request without a complete HTTP answer ends its job with a `transport` finding and the
    phase goes on with the next; once `ctx.stop` is set, no job starts."""
    started = time.monotonic()
    result = ctx.live.start(name)
    items = list(jobs)
    if not items:
        with ctx.live.updating():
            result.skipped = "nothing documented to send"
        return result

    def tally(outcome: Outcome) -> None:
        with ctx.live.updating():
            result.requests += outcome.requests
            for check, held in outcome.checks:
                result.count(check, outcome.case, passed=int(held), failed=int(not held))
            for finding in outcome.findings:
                result.add(finding)

    def guarded(item: T) -> Outcome | None:
        if ctx.stop.is_set():
            return None
        try:
            return job(item)
        except TransportFailed as failed:
            outcome = Outcome(case=label(item), requests=1)
            outcome.check("transport", failed.finding(name, label(item)))
            # in the live result before the progress line: a Ctrl-C that follows the line
            # finds the finding in the report
            tally(outcome)
            ctx.progress(f"{name}: {label(item)} → {failed.kind}")
            return None

    workers = max(1, min(ctx.options.workers, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"verify-{name}") as pool:
        for outcome in pool.map(guarded, items):
            if outcome is not None:
                tally(outcome)
    with ctx.live.updating():
        if ctx.stop.is_set():
            result.incomplete.append(STOPPED)
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
