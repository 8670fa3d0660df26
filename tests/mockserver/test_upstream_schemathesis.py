"""Upstream `schemathesis run` (the CLI a backend team runs directly) finds nothing on any of
the five contracts against the mock: examples, coverage, fuzzing and stateful phases, every
check, including each server-sent event of pharen's stream against its event schema.

The mock runs as a real server would: its scenarios copied with `unknown_credentials: reject`
(quiva's, wiv's and example's mocks accept any well-formed key, a convenience for front ends
that Schemathesis' `ignored_auth` rightly reports). quiva's run states, in Schemathesis' own configuration, that a
400 may answer schema-valid input: the contract documents `no trigger specified` as a business
rule of a body the schema allows (specs/README.md).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_IDS, ROOT, SPECS
from tests.mockserver.conftest import serve_process

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CREDENTIALS = {
    "quiva": "Authorization: Bearer qv_test_token",
    "wiv": "X-API-KEY: wiv_test_api_key",
    "altostrat": "Authorization: Bearer alto_test_token",
    "pharen": "Authorization: Bearer phk_your_api_key",
    "example": "Authorization: Bearer ex_test_token",
}
BUSINESS_RULE_400 = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
"""


@pytest.fixture(scope="module")
def strict_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mockserver serve` in its own process, each API refusing keys its scenarios lack."""
    folder = tmp_path_factory.mktemp("strict")
    scenarios: list[str] = []
    for api in API_IDS:
        strict = folder / f"{api}.scenarios.yaml"
        text = (SPECS / f"{api}.scenarios.yaml").read_text()
        if "unknown_credentials: reject" not in text:
            text += "\nunknown_credentials: reject\n"
        strict.write_text(text)
        scenarios += ["--scenarios", str(strict)]
    with serve_process("--seed", "7", *scenarios) as base_url:
        yield base_url


def test_the_strict_mock_refuses_a_made_up_key(strict_mock: str) -> None:
    response = httpx.post(
        f"{strict_mock}/wiv/workflows/wf_1/run", json={}, headers={"X-API-KEY": "made-up"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("api", API_IDS)
def test_upstream_schemathesis_finds_nothing(api: str, strict_mock: str, tmp_path: Path) -> None:
    config: list[str] = []
    if api == "quiva":
        (tmp_path / "schemathesis.toml").write_text(BUSINESS_RULE_400)
        config = ["--config-file", str(tmp_path / "schemathesis.toml")]
    httpx.post(f"{strict_mock}/__mock/reset").raise_for_status()
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            *config,
            "run",
            str(SPECS / f"{api}.yaml"),
            "--url",
            f"{strict_mock}/{api}",
            "-H",
            CREDENTIALS[api],
            "--max-examples",
            "15",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout, done.stdout[-2000:]
    if api == "pharen":  # the stream was answered, and so read event by event
        journal = httpx.get(f"{strict_mock}/__mock/requests", params={"api": "pharen"}).json()
        rules = {entry["rule"] for entry in journal["requests"] if entry["status"] == 200}
        assert "behaviour: stream=true" in rules, rules
