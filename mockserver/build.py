"""`build_app`: from a configuration to the served application.

Kept apart from `app` so that starting the mock overlaps its two slow steps: the contracts
load in a forked child (`catalog.start_loading`) while this process imports Connexion.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from contracts.catalog import (
    MOCK_RECURSION,
    default_specs_dir,
    find_specs,
    resolve_spec_argument,
    start_loading,
)

from .config import MockConfig
from .served_examples import log_invalid_examples, prepare_contract

if TYPE_CHECKING:
    from .app import MockServer

__all__ = ["build_app"]


def build_app(config: MockConfig) -> MockServer:
    """Load every contract named by `config.apis` (all of specs/ if empty) and serve them."""
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
    from .app import MockServer  # Connexion is imported while the child loads

    contracts = loaded()
    for contract in contracts:
        log_invalid_examples(contract)
    return MockServer(config, contracts)
