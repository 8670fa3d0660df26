"""`contracts verify` against any server: hostile ones end in time with a transport finding,
a correct one of a user's own spec (no scenarios file) conforms.

Every run is the real command line in a child process, on loopback; each asserts the exit
status, the findings in the JSON report, both report files, the wall time against the bounds
given and the child's peak RSS (its `VmHWM`, polled while it runs).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from contracts.catalog import load_contract
from contracts.requests import default_parameters, schema_value
from contracts.verify.documented import example_requests
from mockserver.config import MockConfig
from tests.conftest import ROOT
from tests.contracts.bookshelf import API_KEY, BASIC
from tests.contracts.bookshelf import SPEC as BOOKSHELF
from tests.contracts.bookshelf import app as bookshelf_app
from tests.contracts.cards import SPEC as CARDS
from tests.contracts.cards import app as cards_app
from tests.contracts.hostile import SPEC, hostile
from tests.contracts.terse import API_KEY as TERSE_KEY
from tests.contracts.terse import SPEC as TERSE
from tests.contracts.terse import app as terse_app
from tests.contracts.test_verify import console_script
from tests.implementations import serve
from tests.mockserver.conftest import running

FIXTURES = ROOT / "tests" / "fixtures"
REQUEST_TIMEOUT = 1
DEADLINE = 16
MAX_RESPONSE_BYTES = 1024 * 1024
# The exit after the reports are written, on a loaded machine (--deadline counts from the
# process's start).
SLACK = 6.0
# Python, Schemathesis and Hypothesis take ~90 MB; a 1 GB body must not add more than a few
# times --max-response-bytes to that.
PEAK_RSS_MB = 90 + 40 * MAX_RESPONSE_BYTES // (1024 * 1024)

# hostile server -> the sub-kind of the transport finding it must produce
HOSTILE = {
    "never-answers": "timeout",
    "answers-then-hangs": "timeout",
    "stalls-after-headers": "timeout",
    "one-byte-per-second": "timeout",
    "one-gigabyte-body": "response-too-large",
    "one-gigabyte-announced": "response-too-large",
    "endless-event": "response-too-large",
    "redirect-loop": "redirect-loop",
    "invalid-http": "invalid-http",
    "reset-mid-body": "connection-reset",
    "gone-after-first-answer": "connection-refused",
}


@dataclass
class Run:
    status: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    report: dict[str, Any]
    junit: ET.Element


class _PeakRss:
    """The child's peak resident set, read from `/proc/PID/status` (`VmHWM`) while it runs.

    Not `wait4`'s `ru_maxrss`: Linux carries the parent's high-water mark through fork and
    exec into it, so a child of a big test process would report the test process's size."""

    def __init__(self, pid: int):
        self.kilobytes = 0
        self._status = Path(f"/proc/{pid}/status")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            text = self._status.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                self.kilobytes = max(self.kilobytes, int(line.split()[1]))

    def _poll(self) -> None:
        while not self._done.wait(0.05):
            self._read()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _verify(
    spec: Path, base_url: str, tmp_path: Path, *args: str, interrupt_after: str | None = None
) -> Run:
    """Run `contracts verify` as a user does; with `interrupt_after`, send it Ctrl-C once
    its progress shows that text."""
    report, junit = tmp_path / "verify.json", tmp_path / "verify.xml"
    command = [
        *console_script("contracts"),
        "verify",
        str(spec),
        "--base-url",
        base_url,
        "--request-timeout",
        str(REQUEST_TIMEOUT),
        "--max-response-bytes",
        str(MAX_RESPONSE_BYTES),
        "--max-examples",
        "2",
        "--seed",
        "1",
        "--report",
        str(report),
        "--junit-xml",
        str(junit),
        *args,
    ]
    started = time.monotonic()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    peak = _PeakRss(child.pid)
    assert child.stderr is not None and child.stdout is not None
    # stdout read beside stderr: a report over a pipe's 64 KiB would block the child
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.append(child.stdout.read()), daemon=True)
    reader.start()
    seen: list[str] = []
    if interrupt_after is not None:
        for line in child.stderr:
            seen.append(line)
            if interrupt_after in line:
                child.send_signal(signal.SIGINT)
                break
    stderr = "".join(seen) + child.stderr.read()
    reader.join()
    stdout = printed[0]
    child.stderr.close()
    child.stdout.close()
    _pid, wait_status, _usage = os.wait4(child.pid, 0)
    peak.stop()
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(wait_status)
    assert report.is_file() and junit.is_file(), f"reports not written\n{stdout}\n{stderr}"
    return Run(
        status=child.returncode,
        seconds=seconds,
        peak_rss_mb=peak.kilobytes / 1024,
        stdout=stdout,
        stderr=stderr,
        report=json.loads(report.read_text(encoding="utf-8")),
        junit=ET.parse(junit).getroot(),
    )


@pytest.fixture()
def items_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "items.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec


@pytest.fixture()
def bookshelf(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    spec = tmp_path / "bookshelf.yaml"
    spec.write_text(BOOKSHELF, encoding="utf-8")
    with serve(bookshelf_app()) as base_url:
        yield spec, base_url


@pytest.mark.parametrize("server", sorted(HOSTILE))
def test_a_hostile_server_ends_in_time_with_a_transport_finding(
    server: str, items_spec: Path, tmp_path: Path
) -> None:
    with hostile(server) as base_url:
        run = _verify(items_spec, base_url, tmp_path, "--deadline", str(DEADLINE))
    shown = f"{run.stdout}\n{run.stderr[-2000:]}"
    assert run.status == 1, shown
    transport = [f for f in run.report["findings"] if f["kind"] == "transport"]
    assert {f["subkind"] for f in transport} == {HOSTILE[server]}, shown
    assert all(f["curl"].startswith("curl ") and base_url in f["curl"] for f in transport)
    assert f"transport ({HOSTILE[server]})" in run.stdout
    failures = [e.get("type") for e in run.junit.iter("failure")]
    assert "transport" in failures
    assert run.seconds < DEADLINE + SLACK, shown
    assert run.peak_rss_mb < PEAK_RSS_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


def test_an_endless_stream_of_events_is_read_up_to_its_limit_and_conforms(
    items_spec: Path, tmp_path: Path
) -> None:
    # A live feed never ends: that is no defect. Each stream is read up to 20 events.
    with hostile("endless-events") as base_url:
        run = _verify(items_spec, base_url, tmp_path, "--deadline", "60")
    assert run.status == 0, f"{run.stdout}\n{run.stderr[-2000:]}"
    assert run.report["conforms"] is True
    assert run.report["stopped"] is None
    assert run.seconds < 60
    assert run.peak_rss_mb < PEAK_RSS_MB


def test_ctrl_c_stops_the_run_and_writes_the_reports(items_spec: Path, tmp_path: Path) -> None:
    with hostile("never-answers") as base_url:
        run = _verify(items_spec, base_url, tmp_path, interrupt_after="→ timeout")
    assert run.status == 130, run.stderr[-2000:]
    assert run.report["stopped"].startswith("interrupted")
    assert {f["subkind"] for f in run.report["findings"]} == {"timeout"}
    assert any(s.get("name") == "items.run" for s in run.junit.iter("testsuite"))
    assert run.seconds < 30


def test_a_correct_server_of_a_users_spec_conforms_with_its_credentials(
    bookshelf: tuple[Path, str], tmp_path: Path
) -> None:
    spec, base_url = bookshelf
    run = _verify(spec, base_url, tmp_path, "--basic", BASIC, "--api-key", API_KEY)
    assert run.status == 0, run.stdout
    assert run.report["warnings"] == []
    examples = next(p for p in run.report["phases"] if p["name"] == "examples")
    assert examples["requests"] == 4 and examples["passed"] > 0


def test_values_the_docs_do_not_show_come_from_the_schema(
    bookshelf: tuple[Path, str],
) -> None:
    spec, _base_url = bookshelf
    contract = load_contract(str(spec))
    path, query = default_parameters(contract, contract.operation("GET /books/{bookId}"))
    assert path == {"bookId": 1} and query == {}
    body = schema_value(
        contract.operation("POST /books").request_body["content"]["application/json"]["schema"]
    )
    assert body == {"title": "example"}
    assert schema_value({"type": "string", "pattern": "^97[89][0-9]{10}$"}) == "9780000000000"


def test_without_credentials_verify_says_so_once_and_finds_nothing(
    bookshelf: tuple[Path, str], tmp_path: Path
) -> None:
    spec, base_url = bookshelf
    run = _verify(spec, base_url, tmp_path)
    assert run.status == 0, run.stdout
    assert run.report["warnings"] == [
        "1 secured operation (GET /books) will be sent without credentials: "
        "pass --basic USER:PASS or --api-key KEY",
        "1 secured operation (POST /books) will be sent without credentials: "
        "pass --basic USER:PASS",
        "1 secured operation (GET /books/{bookId}) will be sent without credentials: "
        "pass --api-key KEY",
    ]
    assert run.stdout.count("without credentials") == 3


def test_wrong_credentials_are_findings_not_warnings(
    bookshelf: tuple[Path, str], tmp_path: Path
) -> None:
    # The same server, a wrong password: the documented request it refuses is a finding.
    spec, base_url = bookshelf
    run = _verify(spec, base_url, tmp_path, "--basic", "reader:wrong", "--api-key", API_KEY)
    assert run.status == 1
    refused = {f["operation"] for f in run.report["findings"] if f["check"] == "example_response"}
    assert refused == {"GET /books"}, run.stdout


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "format": "int64", "minimum": 1},
        {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 7},
        {"type": "integer", "exclusiveMinimum": 5},
        {"type": "number", "maximum": 0.5},
        {"type": "string", "format": "uuid"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "minLength": 12, "maxLength": 12},
        {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{4}$"},
        {"type": "string", "enum": ["queued", "running"]},
        {"type": "array", "items": {"type": "integer"}, "minItems": 2},
        {"type": ["null", "boolean"]},
        {
            "type": "object",
            "required": ["id", "tags"],
            "properties": {
                "id": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        },
        {"allOf": [{"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}]},
    ],
    ids=lambda schema: json.dumps(schema, sort_keys=True)[:60],
)
def test_a_value_made_up_from_a_schema_is_valid_against_it(schema: dict[str, Any]) -> None:
    value = schema_value(schema)
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(value)
    assert value != "example" or schema.get("type") == "string"


def test_an_operation_documenting_no_response_is_no_finding_whatever_it_answers(
    tmp_path: Path,
) -> None:
    """OpenAPI 3.1 makes `responses` optional: no status can be a documented one, so
    Schemathesis's `status_code_conformance` is no finding there (the mock answers 204)."""
    spec = FIXTURES / "noresponses31.yaml"
    with running(MockConfig(apis=(str(spec),))) as (base, _app):
        run = _verify(spec, f"{base}/noresponses31", tmp_path, "--token", "any-token")
    assert run.status == 0, run.stdout
    examples = next(p for p in run.report["phases"] if p["name"] == "examples")
    assert examples["requests"] == 1 and examples["passed"] > 0


def test_a_request_assembled_from_property_examples_is_one_the_schema_accepts(
    tmp_path: Path,
) -> None:
    """Without a request example, verify composes the body from its properties' examples:
    an example its own property refuses is left out, a required property without one is
    made up, and required header parameters are sent; the real mock accepts the result."""
    spec = FIXTURES / "assembled.yaml"
    contract = load_contract(str(spec))
    operation = contract.operation("POST /categories")
    [(name, request, documented)] = example_requests(contract, operation)
    assert name == "schema-examples"
    assert request.body == {"color": "49d9e9", "name": "example"}
    assert set(request.headers) == {"Api-Key", "Api-Username"}
    assert documented is False  # values made up from schemas: need only be as documented
    with running(MockConfig(apis=(str(spec),))) as (base, _app):
        run = _verify(spec, f"{base}/assembled", tmp_path, "--phases", "examples")
    assert run.status == 0, run.stdout


def test_form_encoded_requests_are_sent_as_their_media_type(tmp_path: Path) -> None:
    """A request example documented under a form media type is sent as a form, and a body
    composed from property examples goes out in the media type the operation accepts: the
    real mock refuses a JSON body there (415), so sending JSON is a false finding."""
    spec = FIXTURES / "forms.yaml"
    contract = load_contract(str(spec))
    [(name, request, _)] = example_requests(contract, contract.operation("POST /accounts"))
    assert (name, request.media_type) == ("create", "application/x-www-form-urlencoded")
    [(name, request, _)] = example_requests(contract, contract.operation("POST /tokens"))
    assert (name, request.body) == ("schema-examples", {"Ttl": 60})
    assert request.media_type == "application/x-www-form-urlencoded"
    with running(MockConfig(apis=(str(spec),))) as (base, _app):
        run = _verify(spec, f"{base}/forms", tmp_path, "--phases", "examples")
    assert run.status == 0, run.stdout
    examples = next(p for p in run.report["phases"] if p["name"] == "examples")
    assert examples["requests"] == 2 and examples["failed"] == 0


def test_request_examples_are_sent_as_documented_and_held_to_their_schema(
    tmp_path: Path,
) -> None:
    """A path value with a slash fills its one segment (`heads%2Ffeature-a`); a JSON request
    example its own schema refuses documents no valid request: no 2xx is expected of it,
    and an undocumented refusal of it (the operation documents none) is no finding."""
    spec = FIXTURES / "requestexamples.yaml"
    with running(MockConfig(apis=(str(spec),))) as (base, _app):
        run = _verify(spec, f"{base}/requestexamples", tmp_path, "--phases", "examples")
        journal = httpx.get(f"{base}/__mock/requests").json()["requests"]
    assert run.status == 0, run.stdout
    examples = next(p for p in run.report["phases"] if p["name"] == "examples")
    assert examples["requests"] == 4 and examples["failed"] == 0
    # the journal shows the path decoded; the mock routes `heads/feature-a` sent raw nowhere
    refs = {entry["path"]: entry["status"] for entry in journal if "/refs/" in entry["path"]}
    assert refs == {"/requestexamples/refs/heads/feature-a": 200}
    assert "POST /keys default → 422" in run.stderr
    assert "PUT /collaborators/{name} 204 → 400" in run.stderr


def test_a_control_character_in_a_path_refused_as_bad_input_is_no_finding(
    tmp_path: Path,
) -> None:
    """No HTTP server takes a control character in a URL path: refused with the status the
    operation documents for bad input (the mock: 400, else 422), it is no finding."""
    spec = FIXTURES / "controlpath.yaml"
    with running(MockConfig(apis=(str(spec),))) as (base, _app):
        run = _verify(spec, f"{base}/controlpath", tmp_path, "--phases", "properties")
        journal = httpx.get(f"{base}/__mock/requests").json()["requests"]
    assert run.status == 0, run.stdout
    assert {entry["status"] for entry in journal if "/repos/" in entry["path"]} == {422}


@pytest.mark.parametrize("limit", [1_048_576, 200], ids=["1MiB", "200B"])
def test_a_413_is_no_finding_only_for_a_body_over_the_limit_servers_commonly_have(
    tmp_path: Path, limit: int
) -> None:
    """The schema allows 5,000 items of 300 characters (1.5 MB): the mock's 413 above its
    default 1 MiB limit is no finding; a mock that takes only 200 bytes is reported."""
    spec = FIXTURES / "largebodies.yaml"
    with running(MockConfig(apis=(str(spec),), max_body_size=limit)) as (base, _app):
        run = _verify(spec, f"{base}/largebodies", tmp_path, "--phases", "properties")
        journal = httpx.get(f"{base}/__mock/requests").json()["requests"]
    assert 413 in {entry["status"] for entry in journal}
    findings = {(f["check"], f["actual"][:3]) for f in run.report["findings"]}
    if limit == 1_048_576:
        assert run.status == 0, run.stdout[:4000]
    else:
        assert run.status == 1 and ("positive_data_acceptance", "413") in findings, findings


@pytest.fixture()
def terse_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "terse.yaml"
    spec.write_text(TERSE, encoding="utf-8")
    return spec


@pytest.mark.parametrize("credentials", [(), ("--api-key", TERSE_KEY)], ids=["no-key", "key"])
def test_refusals_a_terse_contract_cannot_name_are_no_findings(
    terse_spec: Path, tmp_path: Path, credentials: tuple[str, ...]
) -> None:
    # Invalid input refused with a 400 and a missing key with a 401, neither documented:
    # the only ways a correct server has. Without a key, one warning says so.
    with serve(terse_app()) as base_url:
        run = _verify(terse_spec, base_url, tmp_path, "--max-examples", "10", *credentials)
    assert run.status == 0, run.stdout
    assert len(run.report["warnings"]) == (0 if credentials else 1)
    properties = next(p for p in run.report["phases"] if p["name"] == "properties")
    assert properties["requests"] > 20 and properties["passed"] > 0


def test_an_undocumented_refusal_of_valid_input_stays_a_finding(
    terse_spec: Path, tmp_path: Path
) -> None:
    with serve(terse_app(refuse_zero=True)) as base_url:
        run = _verify(
            terse_spec, base_url, tmp_path, "--max-examples", "10", "--api-key", TERSE_KEY
        )
    assert run.status == 1, run.stdout
    refused = [f for f in run.report["findings"] if f["operation"] == "PUT /counters/{name}"]
    assert {f["check"] for f in refused} >= {"status_code_conformance"}, run.stdout


@pytest.mark.parametrize("wrong_year", [False, True], ids=["correct", "wrong-year"])
def test_a_required_write_only_property_in_a_31_response_conforms(
    tmp_path: Path, wrong_year: bool
) -> None:
    spec = tmp_path / "cards.yaml"
    spec.write_text(CARDS, encoding="utf-8")
    with serve(cards_app(wrong_year=wrong_year)) as base_url:
        run = _verify(spec, base_url, tmp_path, "--max-examples", "10")
    schema_findings = [
        f for f in run.report["findings"] if f["check"] == "response_schema_conformance"
    ]
    if wrong_year:  # any other violation of the schema stays a finding
        assert run.status == 1 and schema_findings, run.stdout
        assert all("year" in f["expected"] for f in schema_findings), schema_findings
    else:
        assert run.status == 0, run.stdout
