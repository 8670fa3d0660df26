"""docs/lint.md's rule table is the one `RULES` writes: a rule added, reworded or re-levelled
without regenerating the page fails here."""

from __future__ import annotations

import pytest

from contracts import lint
from contracts.lint import LintRule
from contracts.lint_reference import BEGIN, rule_table, with_rule_table
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "lint.md"


def test_the_committed_table_is_the_generated_one() -> None:
    written = PAGE.read_text()
    assert written == with_rule_table(written), (
        "run: python -m contracts.lint_reference docs/lint.md"
    )


def test_a_new_rule_makes_the_committed_page_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lint.RULES, "brand-new-rule", LintRule("error", "something new"))
    written = PAGE.read_text()
    assert with_rule_table(written) != written
    # errors before warnings, whatever the registry's order
    table = rule_table()
    assert table.index("`brand-new-rule`") < table.index("`default-invalid`")


def test_a_page_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        with_rule_table(f"# lint\n\n{BEGIN}\n| table |\n")
