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
        "contracts.yamlsource",  # the file limits (--max-spec-bytes)
        "contracts.xmlbody",  # XML request bodies read by their schema (verify judges them so too)
    )
    offenders = {
        f: sorted(m for m in n if m.startswith("contracts") and not m.startswith(allowed))
        for f, n in imports("mockserver").items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def _module_graph(package: str) -> dict[str, set[str]]:
    """`package`'s modules and the package's modules each imports, anywhere in its body
    (a function-level import closes a cycle as surely as a top-level one). Importing
    `a.b.c` runs `a.b` first, so it counts as importing every enclosing package too,
    except the importer's own."""
    modules: dict[str, Path] = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
                targets.add(module)
                targets.update(f"{module}.{alias.name}" for alias in node.names)
        edges: set[str] = set()
        for target in targets:
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                enclosing = ".".join(parts[:end])
                if (
                    enclosing in modules
                    and not name.startswith(enclosing + ".")
                    and enclosing != name
                ):
                    edges.add(enclosing)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_spec_gate_imports_without_cycles() -> None:
    # diff ↔ lint ↔ reporters was one: the command lines now live apart from the rules
    gate = ("contracts.diff", "contracts.lint", "contracts.reporters", "contracts.cli")
    cycles = _cycles(_module_graph("contracts"))
    assert [c for c in cycles if any(m.startswith(gate) for m in c)] == []


def test_the_cycle_finder_finds_the_old_cycle() -> None:
    graph = {"contracts.diff": {"contracts.reporters"}, "contracts.reporters": {"contracts.diff"}}
    assert _cycles(graph) == [["contracts.diff", "contracts.reporters", "contracts.diff"]]


def test_rule_modules_do_not_import_command_lines() -> None:
    graph = _module_graph("contracts")
    rule_modules = [m for m in graph if m.startswith(("contracts.diff", "contracts.lint"))]
    offenders = {
        m: sorted(t for t in graph[m] if t.endswith("command") or t == "contracts.reporters")
        for m in rule_modules
        if not m.endswith("command")
    }
    assert {m: t for m, t in offenders.items() if t} == {}
