"""ARCHITECTURE.md's import rules, checked: mockserver builds on contracts, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT


def imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(Path(path).relative_to(ROOT))] = names
    return found


def test_contracts_never_imports_mockserver() -> None:
    offenders = {
        f: n for f, n in imports("contracts").items() if any(m.startswith("mockserver") for m in n)
    }
    assert offenders == {}


def test_mockserver_uses_only_the_contract_core() -> None:
    allowed = (
        "contracts.catalog",
        "contracts.scenarios",
        "contracts.errors",
        "contracts.examples",
        "contracts.requests",
    )
    offenders = {
        f: sorted(m for m in n if m.startswith("contracts") and not m.startswith(allowed))
        for f, n in imports("mockserver").items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}
