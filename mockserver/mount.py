"""An API as the mock serves it: its contract, its behaviour, and what each operation's
answers need, computed once at start-up (`OperationRuntime`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from contracts.catalog import Contract, Operation
from contracts.examples import ResponseExampleCheck

from .behave import ApiBehaviour
from .directions import without_write_only
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
        served = served_examples(op, contract)
        v31 = contract.openapi_version.startswith("3.1")
        for response in op.responses.values():  # no writeOnly field (3.1: unless required)
            for media_type, example in response.examples:
                if example.name not in runtime.examples:
                    schema = response.content[media_type].schema
                    runtime.examples[example.name] = without_write_only(
                        served[example.name], schema, v31=v31
                    )
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

    @cached_property
    def invalid_examples(self) -> dict[tuple[str, str, str, str], ResponseExampleCheck]:
        """The response examples their own schema refuses, by (operation, status, media
        type, name): no answer is shaped like one as written."""
        return {
            (check.operation, check.status, check.media_type, check.name): check
            for check in self.contract.invalid_response_examples
        }
