"""An API as the mock serves it: its contract, its behaviour, and what each operation's
answers need, computed once at start-up (`OperationRuntime`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.catalog import Contract, Operation

from .behave import ApiBehaviour
from .negotiate import Choice, default_choice
from .render import Skeleton
from .served_examples import served_examples

__all__ = ["ApiMount", "OperationRuntime"]


@dataclass
class OperationRuntime:
    """Everything about one operation that can be computed once, at start-up."""

    operation: Operation
    pairs: list[tuple[Any, str]]
    templates: Mapping[str, Mapping[str, Any]]
    examples: dict[str, Any] = field(default_factory=dict)
    static: dict[tuple[int, str], bytes] = field(default_factory=dict)
    skeletons: dict[str, Skeleton | None] = field(default_factory=dict)
    choices: dict[tuple[str | None, str], Choice] = field(default_factory=dict)

    @classmethod
    def build(cls, op: Operation, contract: Contract) -> OperationRuntime:
        sc = contract.scenarios
        request_examples = op.request_examples
        pairs = [
            (request_examples[req].value, resp)
            for req, resp in (sc.pairs.items() if sc else ())
            if req in request_examples
        ]
        runtime = cls(operation=op, pairs=pairs, templates=dict(sc.render) if sc else {})
        runtime.examples.update(served_examples(op, contract))
        return runtime

    def choice(self, example: str | None, rule: str) -> Choice:
        """The success response answered with `example` (computed once per example)."""
        key = (example, rule)
        found = self.choices.get(key)
        if found is None:
            found = self.choices[key] = default_choice(self.operation, example, rule=rule)
        return found

    def paired_example(self, body: Any) -> str | None:
        for value, response_example in self.pairs:
            if body == value:
                return response_example
        return None


@dataclass
class ApiMount:
    api_id: str
    contract: Contract
    behaviour: ApiBehaviour
    runtimes: dict[str, OperationRuntime]
