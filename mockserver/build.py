"""`build_app`: from a configuration to the served application.

Kept apart from `app` so that starting the mock overlaps its two slow steps: the contracts
load in a forked child (`catalog.start_loading`) while this process imports Connexion.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.catalog import (
    MOCK_RECURSION,
    Contract,
    default_specs_dir,
    find_specs,
    resolve_spec_argument,
    start_loading,
)

from .config import MockConfig
from .served_examples import log_invalid_examples, prepare_contract

if TYPE_CHECKING:
    from .app import MockServer

__all__ = ["build_app", "load_contracts"]


def build_app(config: MockConfig) -> MockServer:
    """Load every contract named by `config.apis` (all of specs/ if empty) and serve them."""
    loaded = load_contracts(config)
    from .app import MockServer  # Connexion is imported while the child loads

    return MockServer(config, loaded())


def load_contracts(config: MockConfig) -> Callable[[], list[Contract]]:
    """Start loading every contract named by `config.apis` (all of specs/ if empty) in a
    forked child; call the result for the contracts (their invalid examples logged)."""
    specs_dir = config.specs_dir or default_specs_dir()
    paths = (
        [resolve_spec_argument(a, specs_dir) for a in config.apis]
        if config.apis
        else find_specs(specs_dir)
    )
    jobs = [(Path(p), config.scenarios.get(Path(p).name.split(".")[0])) for p in paths]
    # Read-only: the mock never changes a document, and shared nodes make a big one
    # (GitHub's) resolve in one pass, pickle small out of the loading child and stay small;
    # the mock never reads a document as written (lines are for the loading errors).
    loaded = start_loading(
        jobs,
        read_only=True,
        keep_source=False,
        recursion=MOCK_RECURSION,
        prepare=prepare_contract,
    )

    def received() -> list[Contract]:
        contracts = loaded()
        for contract in contracts:
            log_invalid_examples(contract)
        return contracts

    return received
