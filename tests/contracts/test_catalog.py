"""The catalog's error path: every bad input is one line naming file, line and cause."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contracts import RemoteRefError, ScenariosError, SpecError, load_contract
from contracts.catalog import resolve_spec_argument, start_loading
from contracts.errors import UsageError
from tests.conftest import SPECS

MINIMAL = """openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", MINIMAL + "  /y: [unclosed\n")
    with pytest.raises(SpecError) as err:
        load_contract(path)
    message = str(err.value)
    assert message.startswith(f"{path}:10:")
    assert "invalid YAML" in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"nope\.yaml: file not found$"):
        load_contract(tmp_path / "nope.yaml")


@pytest.mark.parametrize("ref", ["https://example.com/schemas.yaml#/Thing", "//example.com/x.yaml"])
def test_remote_ref_is_refused_with_its_line(tmp_path: Path, ref: str) -> None:
    text = (
        MINIMAL
        + f"""          content:
            application/json:
              schema:
                $ref: '{ref}'
"""
    )
    path = write(tmp_path, "remote.yaml", text)
    with pytest.raises(RemoteRefError) as err:
        load_contract(path)
    assert str(err.value).startswith(f"{path}:12:17: remote $ref")


def test_unresolvable_local_ref(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Missing'
"""
    )
    path = write(tmp_path, "dangling.yaml", text)
    with pytest.raises(SpecError) as err:
        load_contract(path)
    assert str(path) in str(err.value)
    assert "Missing" in str(err.value)


def test_invalid_openapi_points_at_the_node(tmp_path: Path) -> None:
    path = write(tmp_path, "invalid.yaml", MINIMAL.replace("description: ok", "descr: ok"))
    with pytest.raises(SpecError) as err:
        load_contract(path)
    message = str(err.value)
    assert message.startswith(f"{path}:7:9:")  # the response object at '200':
    assert "not valid OpenAPI 3.0.3" in message


def test_not_openapi_at_all(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not an OpenAPI document"):
        load_contract(write(tmp_path, "list.yaml", "- 1\n- 2\n"))


def test_bad_scenarios_names_file_and_line(tmp_path: Path) -> None:
    spec = write(tmp_path, "svc.yaml", MINIMAL)
    write(
        tmp_path,
        "svc.scenarios.yaml",
        "api: svc\ncases:\n  - name: Bad Name\n    request: {}\n    expect: {status: 200}\n",
    )
    with pytest.raises(ScenariosError) as err:
        load_contract(spec)
    assert str(err.value).startswith(f"{tmp_path / 'svc.scenarios.yaml'}:3:")
    assert "does not match" in str(err.value)


def test_dates_stay_strings() -> None:
    contract = load_contract(SPECS / "altostrat.yaml")
    schema = contract.resolved["components"]["schemas"]["WorkflowRun"]
    assert schema["properties"]["started_at"]["example"] == "2025-10-31T12:00:00.000000Z"


def test_api_id_or_path(tmp_path: Path) -> None:
    assert resolve_spec_argument("quiva", SPECS) == SPECS / "quiva.yaml"
    with pytest.raises(UsageError, match=r"unknown API 'nope' \(known: altostrat, example"):
        resolve_spec_argument("nope", SPECS)


def test_contracts_loaded_in_a_child_are_whole_and_never_load_the_validators() -> None:
    """What `mockserver serve` does: the contracts arrive pickled from a forked child, and
    the serving process never imports openapi-spec-validator, pydantic or prance."""
    script = """
import json, sys
from pathlib import Path
from contracts.catalog import find_specs, start_loading
specs = [(p, None) for p in find_specs(Path(sys.argv[1]))]
contracts = start_loading(specs)()
print(json.dumps({
    "imported": sorted(m for m in ("openapi_spec_validator", "pydantic", "prance") if m in sys.modules),
    "contracts": {c.api_id: [c.resolved, [k.name for k in c.scenarios.cases]] for c in contracts},
}))
"""
    run = subprocess.run(
        [sys.executable, "-c", script, str(SPECS)], capture_output=True, text=True, check=True
    )
    loaded = json.loads(run.stdout)
    assert loaded["imported"] == []
    for api, (resolved, cases) in loaded["contracts"].items():
        here = load_contract(SPECS / f"{api}.yaml")
        assert resolved == json.loads(json.dumps(here.resolved))
        assert cases == [c.name for c in here.scenarios.cases]  # type: ignore[union-attr]
    assert len(loaded["contracts"]) == 5


def test_a_spec_error_in_the_child_is_raised_in_the_parent(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x: {get: 3}\n")
    with pytest.raises(SpecError) as here:
        start_loading([(spec, None)], in_child=False)()
    script = "import sys; from pathlib import Path; from contracts.catalog import start_loading\n"
    script += "start_loading([(Path(sys.argv[1]), None)])()"
    run = subprocess.run([sys.executable, "-c", script, str(spec)], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == f"contracts.errors.SpecError: {here.value}"
