"""Running the suite: load, check the set-up, run the phases, collect one report."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..catalog import Contract, load_contract
from ..errors import ScenariosError, UsageError
from ..scenarios import check_scenarios
from .findings import PHASES, PhaseResult, Report
from .options import VerifyOptions
from .phases import PHASE_RUNNERS, PhaseContext
from .target import Target

__all__ = ["load_for_verify", "verify"]


def load_for_verify(spec: str, options: VerifyOptions) -> Contract:
    """The contract and its scenarios, refusing scenarios that name what the spec lacks."""
    contract = load_contract(spec, scenarios=options.scenarios)
    sc = contract.scenarios
    if sc is None:
        return contract  # only the schema-derived phases run; the report says the others skipped
    problems = check_scenarios(contract)
    if problems:
        first = problems[0]
        raise ScenariosError(first.message, file=sc.path, line=first.line)
    return contract


def verify(
    contract: Contract,
    options: VerifyOptions,
    *,
    progress: Callable[[str], None] = lambda _line: None,
) -> Report:
    """Run the requested phases of the suite against `options.base_url`.

    The phases run in a thread of their own; at `options.deadline` or on Ctrl-C the run
    stops, and the report covers what ran, with `Report.stopped` saying why it stopped.

    Raises:
        UsageError: an unknown phase, a credential flag the spec has no scheme for, or
            (`UnreachableError`) a base URL nothing accepts connections at.
    """
    unknown = [p for p in options.phases if p not in PHASES]
    if unknown:
        raise UsageError(f"unknown phase {unknown[0]!r} (phases: {', '.join(PHASES)})")
    started = time.monotonic()
    target = Target(contract, options)
    target.check_reachable()
    warnings = target.missing_credentials()
    for warning in warnings:
        progress(f"warning: {warning}")
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    ctx = PhaseContext(
        contract=contract,
        target=target,
        options=options,
        seed=seed,
        progress=progress,
    )

    def run_phase(name: str) -> PhaseResult:
        if contract.scenarios is None and name in ("errors", "stateful"):
            result = ctx.live.start(name)
            result.skipped = "no scenarios file"
            return result
        if ctx.stop.is_set():
            return PhaseResult(name=name, skipped="not reached: the run stopped")
        progress(f"{name}: started")
        result = PHASE_RUNNERS[name](ctx)
        progress(
            f"{name}: done in {result.seconds:.1f}s, {result.requests} requests, "
            f"{len(result.findings)} findings"
        )
        return result

    failure: list[BaseException] = []

    def run_all() -> None:
        try:
            if options.workers > 1:
                with ThreadPoolExecutor(
                    max_workers=options.workers, thread_name_prefix="verify"
                ) as pool:
                    list(pool.map(run_phase, options.phases))
            else:
                for name in options.phases:
                    run_phase(name)
        except BaseException as exc:  # re-raised in the caller's thread below
            failure.append(exc)

    runner = threading.Thread(target=run_all, name="verify-run", daemon=True)
    runner.start()
    stopped = None
    try:
        runner.join(options.deadline)
        if runner.is_alive():
            stopped = "stopped at --deadline: the report covers what ran before"
    except KeyboardInterrupt:
        stopped = "interrupted (Ctrl-C): the report covers what ran before"
    if stopped is not None:
        ctx.stop.set()
        progress(stopped)
    elif failure:
        raise failure[0]
    return Report(
        api=contract.api_id,
        base_url=target.base_url,
        seed=seed,
        phases=ctx.live.snapshot(options.phases, stopped=stopped is not None),
        seconds=time.monotonic() - started,
        stopped=stopped,
        warnings=warnings,
    )
