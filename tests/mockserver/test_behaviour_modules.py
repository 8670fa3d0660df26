"""A scenarios file names the Python module with its API's rules (`behaviour:`).

A user's module, importable from their environment, changes what the mock answers; a
module that cannot be imported stops `mockserver serve` with one line and exit 2.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from contracts import load_contract
from mockserver.behave import BehaviourError, load_behaviour
from mockserver.config import MockConfig
from tests.conftest import ROOT, SPECS
from tests.mockserver.conftest import auth_headers, running

MOCKSERVER = [sys.executable, "-c", "from mockserver.cli import main; raise SystemExit(main())"]
USER_RULE = """
from mockserver.negotiate import Choice


def refuse(request):
    if request.path_params.get("id") == "wf_retired_by_user":
        return Choice(404, "application/json", "WorkflowNotFound", "behaviour: retired by user")
    return None
"""


def _scenarios_naming(tmp_path: Path, module: str) -> Path:
    scenarios = tmp_path / "example.scenarios.yaml"
    stock = (SPECS / "example.scenarios.yaml").read_text()
    scenarios.write_text(stock.replace("api: example\n", f"api: example\nbehaviour: {module}\n"))
    return scenarios


def test_a_user_module_named_by_the_scenarios_changes_an_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "user_rules_example.py").write_text(USER_RULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    scenarios = _scenarios_naming(tmp_path, "user_rules_example")
    stock = MockConfig(seed=3, apis=("example",))
    users = MockConfig(seed=3, apis=("example",), scenarios={"example": scenarios})
    headers = auth_headers(load_contract(SPECS / "example.yaml"))
    url = "/example/v1/workflows/wf_retired_by_user/run"
    with running(stock) as (base, _):
        assert httpx.post(base + url, json={}, headers=headers).status_code == 200
    with running(users) as (base, server):
        answer = httpx.post(base + url, json={}, headers=headers)
        other = httpx.post(base + "/example/v1/workflows/wf_active/run", json={}, headers=headers)
        assert answer.status_code == 404
        assert answer.json()["message"] == "workflow not found"
        assert asyncio.run(server.state.journal())[-2].rule == "behaviour: retired by user"
        assert other.status_code == 200


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        (USER_RULE.replace("import Choice", "import Choise"), "ImportError: cannot import name"),
        (USER_RULE.replace("def refuse(request):", "def refuse(request)"), "SyntaxError"),
        (USER_RULE + "\nrun = Choise\n", "NameError: name 'Choise' is not defined"),
        (None, "not importable from this Python environment"),
    ],
    ids=["import", "syntax", "name", "missing"],
)
def test_a_typo_in_the_module_stops_serve_with_one_line(
    tmp_path: Path, source: str | None, cause: str
) -> None:
    module = "typo_rules_example"
    if source is not None:
        (tmp_path / f"{module}.py").write_text(source)
    scenarios = _scenarios_naming(tmp_path, module)
    result = subprocess.run(
        [*MOCKSERVER, "serve", "example", "--scenarios", str(scenarios), "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("mockserver: ")
    assert f"behaviour module {module!r} (named by {scenarios})" in lines[0]
    assert cause in lines[0]


def test_an_import_error_inside_a_module_is_not_taken_for_a_missing_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "imports_a_typo.py").write_text("from mockserver.negotiate import Choise\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BehaviourError) as caught:
        load_behaviour("example", "imports_a_typo")
    assert "ImportError: cannot import name 'Choise'" in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'imports_a_typo.py'}:1: ")


def test_only_a_missing_default_module_is_ignored() -> None:
    assert load_behaviour("example") is None  # mockserver.behaviours.example does not exist
    assert load_behaviour("quiva") is not None
    with pytest.raises(
        BehaviourError, match=re.escape("no module named 'mockserver.behaviours.nope'")
    ):
        load_behaviour("example", "mockserver.behaviours.nope")
