"""`contracts verify` end to end: real servers on loopback, real HTTP.

Every correct implementation conforms; every broken variant is reported with one of the
checks it names; the mock conforms; set-up errors are one line and exit status 2.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.verify import Report, VerifyOptions, load_for_verify, render_console, verify
from tests.conftest import API_IDS, ROOT
from tests.implementations import BROKEN, CORRECT, serve
from tests.mockserver.conftest import serve_process

# Small but real: every variant's defect is reached by documented or deterministic input,
# so no test depends on what a random seed happens to generate.
MAX_EXAMPLES = 10
SEED = 1


def run_verify(api: str, base_url: str, **options: object) -> Report:
    options.setdefault("max_examples", MAX_EXAMPLES)
    opts = VerifyOptions(base_url=base_url, seed=SEED, **options)  # type: ignore[arg-type]
    return verify(load_for_verify(api, opts), opts)


def console_script(name: str) -> list[str]:
    """The installed console script `name`, as a user runs it."""
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", f"import sys; from {name}.cli import main; sys.exit(main())"]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*console_script("contracts"), "verify", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("api", sorted(CORRECT))
def test_correct_implementation_conforms(api: str) -> None:
    with serve(CORRECT[api]()) as base_url:
        report = run_verify(api, base_url)
    assert report.findings == [], render_console(report)
    assert not report.incomplete
    assert all(p.requests > 0 for p in report.phases), render_console(report)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_is_reported_with_its_check(name: str) -> None:
    variant = BROKEN[name]
    with serve(variant.factory()) as base_url:
        report = run_verify(variant.api, base_url)
    found = {f.check for f in report.findings}
    assert found & set(variant.checks), (
        f"{name} ({variant.defect}) should be reported by one of {variant.checks}; "
        f"found {sorted(found)}\n{render_console(report)}"
    )
    assert all(f.curl.startswith("curl ") for f in report.findings)


def test_cli_against_a_correct_implementation_writes_reports(tmp_path: Path) -> None:
    junit, report = tmp_path / "verify.xml", tmp_path / "verify.json"
    with serve(CORRECT["wiv"]()) as base_url:
        done = cli(
            "wiv",
            "--base-url",
            base_url,
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "2",
            "--junit-xml",
            str(junit),
            "--report",
            str(report),
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wiv conforms to its contract" in done.stdout
    assert "examples: started" in done.stderr  # progress while it runs
    data = json.loads(report.read_text())
    assert data["conforms"] is True and data["findings"] == []
    assert [p["name"] for p in data["phases"]] == ["examples", "errors", "properties", "stateful"]
    suites = ET.parse(junit).getroot()
    assert suites.get("failures") == "0"
    names = {case.get("name") for case in suites.iter("testcase")}
    assert "documented_error[no-api-key]" in names


def test_cli_against_a_broken_implementation_explains_each_finding(tmp_path: Path) -> None:
    junit = tmp_path / "verify.xml"
    with serve(BROKEN["wiv-frozen-execution-id"].factory()) as base_url:
        done = cli(
            "wiv",
            "--base-url",
            base_url,
            "--phases",
            "examples,stateful",
            "--junit-xml",
            str(junit),
        )
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "stateful · fresh_ids · POST /workflows/{workflow_id}/run" in out
    assert "contract: data.execution_id is generated for each run" in out
    assert "server:   it is the documented example's frozen value" in out
    assert "curl -X POST -H 'X-API-KEY: wiv_test_api_key'" in out
    failures = list(ET.parse(junit).getroot().iter("failure"))
    assert failures and all(f.get("type") == "fresh_ids" for f in failures)


@pytest.fixture()
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]  # bound, never listening: connections are refused


def _one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("contracts: "), done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in lines[0]


def test_unreachable_base_url_is_a_setup_error(closed_port: int) -> None:
    done = cli("wiv", "--base-url", f"http://127.0.0.1:{closed_port}")
    _one_line_error(done, "cannot reach --base-url", str(closed_port))


def test_unknown_api_is_a_usage_error() -> None:
    _one_line_error(cli("nosuchapi", "--base-url", "http://127.0.0.1:9"), "unknown API 'nosuchapi'")


def test_bad_scenarios_file_is_a_setup_error(tmp_path: Path) -> None:
    bad = tmp_path / "wiv.scenarios.yaml"
    bad.write_text(
        "api: wiv\ncases:\n  - name: Not A Slug\n    request: {}\n    expect: {status: 200}\n"
    )
    _one_line_error(
        cli("wiv", "--base-url", "http://127.0.0.1:9", "--scenarios", str(bad)),
        str(bad),
        "cases/0/name",
    )


def test_scenarios_naming_what_the_spec_lacks_is_a_setup_error(tmp_path: Path) -> None:
    bad = tmp_path / "wiv.scenarios.yaml"
    bad.write_text("api: wiv\ncases:\n  - name: gone\n    request: {}\n    expect: {status: 418}\n")
    _one_line_error(
        cli("wiv", "--base-url", "http://127.0.0.1:9", "--scenarios", str(bad)),
        "documents no 418",
    )


def test_unknown_phase_is_a_usage_error() -> None:
    _one_line_error(
        cli("wiv", "--base-url", "http://127.0.0.1:9", "--phases", "examples,fuzz"),
        "unknown phase 'fuzz'",
    )


def test_token_override_is_sent_instead_of_the_scenarios_key() -> None:
    with serve(CORRECT["example"]()) as base_url:
        report = run_verify(
            "example", base_url, token="not-a-key-the-app-knows", phases=("examples",)
        )
    # The correct app accepts only the scenarios' token, so the override is what was sent.
    assert {f.check for f in report.findings} >= {"example_response"}
    assert all("Bearer not-a-key-the-app-knows" in f.curl for f in report.findings)


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    """`mockserver serve` as a user runs it, in its own process, every API at `/<id>`."""
    with serve_process("--seed", "7") as base_url:
        yield base_url


@pytest.mark.parametrize("api", API_IDS)
def test_the_mock_conforms(api: str, mock_url: str) -> None:
    report = run_verify(api, f"{mock_url}/{api}")
    assert report.findings == [], render_console(report)
