"""Running the suite: load, check the set-up, run the phases, collect one report."""

from __future__ import annotations

import random
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

    Raises:
        UsageError: an unknown phase, a credential override the spec cannot carry, or
            (`UnreachableError`) a base URL nothing answers at.
    """
    unknown = [p for p in options.phases if p not in PHASES]
    if unknown:
        raise UsageError(f"unknown phase {unknown[0]!r} (phases: {', '.join(PHASES)})")
    started = time.monotonic()
    target = Target(contract, options)
    target.check_reachable()
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    ctx = PhaseContext(
        contract=contract, target=target, options=options, seed=seed, progress=progress
    )

    def run_phase(name: str) -> PhaseResult:
        if contract.scenarios is None and name in ("errors", "stateful"):
            return PhaseResult(name=name, skipped="no scenarios file")
        progress(f"{name}: started")
        result = PHASE_RUNNERS[name](ctx)
        progress(
            f"{name}: done in {result.seconds:.1f}s, {result.requests} requests, "
            f"{len(result.findings)} findings"
        )
        return result

    if options.workers > 1:
        with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="verify") as pool:
            phases = list(pool.map(run_phase, options.phases))
    else:
        phases = [run_phase(name) for name in options.phases]
    return Report(
        api=contract.api_id,
        base_url=target.base_url,
        seed=seed,
        phases=phases,
        seconds=time.monotonic() - started,
    )
