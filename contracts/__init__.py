"""flowcontract's contract core: catalog, lint, diff and verify over OpenAPI documents."""

from __future__ import annotations

from .catalog import Contract, Example, Operation, Response, find_specs, load_contract
from .errors import FlowcontractError, RemoteRefError, ScenariosError, SpecError, UsageError
from .scenarios import Case, Scenarios, check_scenarios, load_scenarios

__all__ = [
    "Case",
    "Contract",
    "Example",
    "FlowcontractError",
    "Operation",
    "RemoteRefError",
    "Response",
    "Scenarios",
    "ScenariosError",
    "SpecError",
    "UsageError",
    "check_scenarios",
    "find_specs",
    "load_contract",
    "load_scenarios",
]
