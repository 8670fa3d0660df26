"""`contracts.diff.rules`: every area declares its rules beside its code, ids unique."""

from __future__ import annotations

import pytest

from contracts.diff import RULES
from contracts.diff.rules import DuplicateRuleError, declare

AREAS = (
    "operations",
    "parameters",
    "bodies",
    "responses",
    "security",
    "schemas",
    "constraints",
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
