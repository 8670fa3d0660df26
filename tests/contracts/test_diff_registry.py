"""`contracts.diff.rules`: every area declares its rules beside its code, ids unique."""

from __future__ import annotations

import pytest

from contracts.diff import RULES
from contracts.diff.reference import rule_reference
from contracts.diff.rules import DuplicateRuleError, declare
from tests.conftest import SPECS

AREAS = (
    "operations",
    "parameters",
    "bodies",
    "responses",
    "security",
    "schemas",
    "constraints",
    "applicators",
    "webhooks",
    "gitref",
)


def test_a_second_declaration_of_an_id_is_refused() -> None:
    before = dict(RULES)
    with pytest.raises(DuplicateRuleError, match="'path-removed' declared by elsewhere"):
        declare("elsewhere", ("path-removed", "info", "again", "no"))
    assert before == RULES


def test_every_rule_belongs_to_an_area() -> None:
    assert {rule.area for rule in RULES.values()} == set(AREAS)
    assert all(rule.summary and rule.why for rule in RULES.values())


def test_the_rule_reference_in_docs_is_generated_from_the_registry() -> None:
    written = (SPECS.parent / "docs" / "diff-rules.md").read_text()
    assert written == rule_reference(), (
        "run: python -m contracts.diff.reference > docs/diff-rules.md"
    )
    assert all(f"| `{rule_id}` | {rule.level} |" in written for rule_id, rule in RULES.items())
