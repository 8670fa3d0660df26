"""Shared fixtures: the contracts in specs/, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import Contract, find_specs, load_contract

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
# what a user reads: the README and the pages it links to
DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
API_IDS = [p.stem for p in find_specs(SPECS)]


@pytest.fixture(scope="session", params=API_IDS)
def contract(request: pytest.FixtureRequest) -> Contract:
    return load_contract(SPECS / f"{request.param}.yaml")


@pytest.fixture(scope="session")
def contracts() -> dict[str, Contract]:
    return {api: load_contract(SPECS / f"{api}.yaml") for api in API_IDS}
