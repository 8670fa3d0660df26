"""Upstream `schemathesis run` (the CLI a backend team runs directly) finds nothing on any of
the five contracts against the mock as `mockserver serve` runs it: examples, coverage, fuzzing
and stateful phases, every check, including each server-sent event of pharen's stream against
its event schema and `ignored_auth` (every API refuses a key its scenarios do not list).

It runs from the checkout, as a user does, so it reads the repository's `schemathesis.toml`:
quiva's run documents a 400 for a body its schema allows (`no trigger specified`, a business
rule: specs/README.md), which that file tells Schemathesis' positive_data_acceptance check.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_IDS, ROOT, SPECS
from tests.mockserver.conftest import ADMIN, serve_process

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CREDENTIALS = {
    "quiva": "Authorization: Bearer qv_test_token",
    "wiv": "X-API-KEY: wiv_test_api_key",
    "altostrat": "Authorization: Bearer alto_test_token",
    "pharen": "Authorization: Bearer phk_your_api_key",
    "example": "Authorization: Bearer ex_test_token",
}


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    """`mockserver serve` in its own process, with the five contracts and their scenarios."""
    with serve_process("--seed", "7") as base_url:
        yield base_url


def test_the_mock_refuses_a_made_up_key(served_mock: str) -> None:
    response = httpx.post(
        f"{served_mock}/wiv/workflows/wf_1/run", json={}, headers={"X-API-KEY": "made-up"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("api", API_IDS)
def test_upstream_schemathesis_finds_nothing(api: str, served_mock: str) -> None:
    httpx.post(f"{served_mock}/__mock/reset", headers=ADMIN).raise_for_status()
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            str(SPECS / f"{api}.yaml"),
            "--url",
            f"{served_mock}/{api}",
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
        journal = httpx.get(f"{served_mock}/__mock/requests", params={"api": "pharen"}).json()
        rules = {entry["rule"] for entry in journal["requests"] if entry["status"] == 200}
        assert "behaviour: stream=true" in rules, rules
