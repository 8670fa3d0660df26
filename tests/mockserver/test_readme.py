"""README.md and docs/ stay true: every curl they show gets the status they claim from a real mock
(docs/cases.md lists every scenarios case)."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import httpx
import pytest

from mockserver.app import MockServer
from tests.conftest import DOC_PAGES
from tests.mockserver.conftest import ADMIN

README = "\n".join(page.read_text() for page in DOC_PAGES)
# "<summary> → **NNN**", a console block, "$ curl ...", then the answer line(s)
BLOCK = re.compile(r"→ \*\*(\d{3})\*\*\n\n```console\n\$ (curl [^\n]+)\n(.*?)\n```", re.S)
CASES = BLOCK.findall(README)
VOLATILE = re.compile(r"(id|Id|_at|timestamp|trackingId|execution_id|runId)\"")


def to_request(command: str, base: str) -> dict[str, Any]:
    args = shlex.split(command)[1:]
    request: dict[str, Any] = {"headers": {}}
    it = iter(args)
    for arg in it:
        if arg == "-X":
            request["method"] = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(": ")
            request["headers"][name] = value
        elif arg == "-d":
            request["content"] = next(it).encode()
        elif arg.startswith("http"):
            request["url"] = arg.replace("http://127.0.0.1:4010", base)
    return request


def test_readme_lists_every_scenario_case() -> None:
    assert len(CASES) >= 35


@pytest.mark.parametrize(
    ("status", "command", "answer"),
    CASES,
    ids=[c[1].split()[4].split("4010")[1][:60] for c in CASES],
)
def test_readme_curl_answers_as_shown(
    mock: tuple[str, MockServer], status: str, command: str, answer: str
) -> None:
    base, _ = mock
    httpx.post(f"{base}/__mock/reset", headers=ADMIN)
    response = httpx.request(**to_request(command, base))
    assert response.status_code == int(status)
    if response.headers["content-type"].startswith("application/json") and not VOLATILE.search(
        answer
    ):
        assert response.json() == json.loads(answer)
