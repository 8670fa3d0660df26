"""`mockserver serve` as a user runs it: a real process, real signals, real output."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockserver.access import is_loopback
from tests.conftest import ROOT, SPECS
from tests.mockserver.conftest import free_port

MOCKSERVER = [sys.executable, "-c", "from mockserver.cli import main; raise SystemExit(main())"]


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    port = free_port()
    proc = subprocess.Popen(
        [*MOCKSERVER, "serve", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("Ready."):
                break
        assert lines and lines[-1].startswith("Ready."), (
            lines,
            proc.stderr.read() if proc.poll() is not None else "",
        )  # type: ignore[union-attr]
        yield proc, f"http://127.0.0.1:{port}", lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)  # drains and closes the pipes


def test_serves_all_five_and_says_where(tmp_path: Path) -> None:
    with serve() as (_, base, lines):
        ids = [line.split()[0] for line in lines[:5]]
        assert ids == ["altostrat", "example", "pharen", "quiva", "wiv"]
        assert f"{base}/quiva" in lines[3] and "1 operation" in lines[3]
        ui = httpx.get(f"{base}/quiva/ui/")
        assert ui.status_code == 200 and "swagger" in ui.text.lower()
        assert httpx.get(f"{base}/quiva/openapi.json").json()["info"]["title"] == "quiva.ai Gateway"


def test_ctrl_c_and_sigterm_exit_cleanly() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        with serve("quiva") as (proc, base, _):
            assert httpx.get(f"{base}/__mock/health").status_code == 200
            start = time.monotonic()
            proc.send_signal(sig)
            assert proc.wait(timeout=10) == 0
            assert time.monotonic() - start < 5


def test_one_api_is_also_at_the_vendors_own_paths() -> None:
    with serve("altostrat") as (_, base, lines):
        assert any("also at" in line for line in lines)
        for prefix in ("", "/altostrat"):
            response = httpx.post(
                f"{base}{prefix}/workflows/fl_missing/execute",
                headers={"Authorization": "Bearer alto_test_token"},
            )
            assert response.status_code == 404


def test_serves_the_vendors_document_without_operation_ids() -> None:
    # altostrat's own document has no operationId: routing must not need one.
    with serve(str(SPECS / "upstream" / "altostrat.yaml")) as (_, base, _):
        response = httpx.post(
            f"{base}/workflows/fl_abc/execute",
            json={"context": {}},
            headers={"Authorization": "Bearer t"},
        )
        assert response.status_code == 202
        assert "id" in response.json() or response.json() == {} or isinstance(response.json(), dict)


def test_own_scenarios_file_replaces_the_fixtures(tmp_path: Path) -> None:
    own = tmp_path / "mine.yaml"
    own.write_text(
        (SPECS / "quiva.scenarios.yaml")
        .read_text()
        .replace("archived: {state: archived}", "gone-flow: {state: archived}")
    )
    with serve("quiva", "--scenarios", str(own)) as (_, base, _):
        headers = {"Authorization": "Bearer qv_test_token"}
        gone = httpx.post(
            f"{base}/quiva/hub/workflows/c/gone-flow/run", json={"trigger": {}}, headers=headers
        )
        assert gone.json() == {"error": "cannot run an archived flow"}
        assert (
            httpx.post(
                f"{base}/quiva/hub/workflows/c/archived/run", json={"trigger": {}}, headers=headers
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["nope"],
            "mockserver: unknown API 'nope' (known: altostrat, example, pharen, quiva, wiv)",
        ),
        (["missing.yaml"], "mockserver: missing.yaml: file not found"),
        (
            ["--journal-size", "-5"],
            "mockserver serve: argument --journal-size: -5 is below the minimum of 1",
        ),
        (
            ["--max-body-size", "-1"],
            "mockserver serve: argument --max-body-size: -1 is below the minimum of 1",
        ),
        (
            ["--max-body-size", "²"],
            "mockserver serve: argument --max-body-size: '²' is not a whole number",
        ),
        (["--port", "70000"], "mockserver: --port 70000 is not a TCP port"),
        (
            ["--journal-bytes", "1000"],
            "mockserver serve: argument --journal-bytes: 1000 is below the minimum of 65536",
        ),
        (
            ["--header-timeout", "-1"],
            "mockserver serve: argument --header-timeout: -1 is not between 0 and 86400 seconds",
        ),
        (
            ["--body-timeout", "nan"],
            "mockserver serve: argument --body-timeout: nan is not between 0 and 86400 seconds",
        ),
        (
            ["--shutdown-timeout", "soon"],
            "mockserver serve: argument --shutdown-timeout: 'soon' is not a number of seconds",
        ),
    ],
    ids=[
        "unknown-api",
        "missing-file",
        "negative-journal",
        "negative-body",
        "unicode-digit",
        "port",
        "journal-bytes",
        "negative-timeout",
        "nan-timeout",
        "word-timeout",
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], expected: str) -> None:
    result = subprocess.run(
        [*MOCKSERVER, "serve", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == expected


def test_broken_spec_names_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x: [\n")
    result = subprocess.run(
        [*MOCKSERVER, "serve", str(spec)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"mockserver: {spec}:5:1: invalid YAML")
    assert len(result.stderr.strip().splitlines()) == 1


def test_only_loopback_hosts_count_as_local() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_seed_makes_generated_data_reproducible() -> None:
    url, headers = (
        "/altostrat/workflows/fl_abc/execute",
        {"Authorization": "Bearer alto_test_token", "Prefer": "dynamic=true"},
    )
    runs = []
    for seed in ("42", "42", "43"):
        with serve("--seed", seed) as (_, base, _):
            runs.append([httpx.post(base + url, json={}, headers=headers).json() for _ in range(3)])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert len({r["id"] for r in runs[0]}) == 3  # still fresh per request


def test_reload_picks_up_a_changed_spec(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(SPECS, tmp_path / "specs")
    spec = tmp_path / "specs" / "quiva.yaml"
    port = free_port()
    proc = subprocess.Popen(
        [*MOCKSERVER, "serve", "quiva", "--port", str(port), "--reload"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/quiva/hub/workflows/c/archived/run"
    kwargs = {"json": {"trigger": {}}, "headers": {"Authorization": "Bearer qv_test_token"}}

    def answer() -> object:
        try:
            return httpx.post(url, **kwargs).json()  # type: ignore[arg-type]
        except httpx.TransportError:
            return None

    try:
        deadline = time.monotonic() + 30
        while answer() != {"error": "cannot run an archived flow"}:
            assert time.monotonic() < deadline, "mock did not start"
            time.sleep(0.2)
        spec.write_text(
            spec.read_text().replace(
                "error: cannot run an archived flow", "error: this flow is archived"
            )
        )
        deadline = time.monotonic() + 30
        while answer() != {"error": "this flow is archived"}:
            assert time.monotonic() < deadline, "the changed spec was not reloaded"
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def test_no_express_serves_everything_through_connexion() -> None:
    from mockserver.cli import build_parser, config_from_args

    assert config_from_args(build_parser().parse_args(["serve"])).express is True
    config = config_from_args(build_parser().parse_args(["serve", "--no-express"]))
    assert config.express is False
    url = "/quiva/hub/workflows/c1/21312322/run"
    with serve("--no-express") as (_, base, _):
        ok = httpx.post(
            base + url, json={"trigger": {}}, headers={"Authorization": "Bearer qv_test_token"}
        )
        refused = httpx.post(base + url, json={"trigger": {}})
    assert ok.status_code == 200 and "trackingId" in ok.json()
    assert refused.status_code == 401
