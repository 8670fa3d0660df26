#!/usr/bin/env python3
"""Benchmark flowcontract's mock against Prism, Connexion's own mock and bare Starlette.

One command (`python bench/run.py`, or `tox -e bench`) installs what it compares against
(Prism from npm into bench/.tools/, Debian's `wrk` when it can), then runs one server at a
time on a free 127.0.0.1 port, loads it with the quiva singleTriggerSync request at each
concurrency (warm-up, then a fixed duration), and for our mock also a mix of all five APIs'
documented requests. It reports requests/s, p50, p99, errors (a wrong status is an error),
RSS after load and the time from launch to the first correct answer, computes the ratios of
ours to each other server, checks the targets of issue 7, and writes bench/results.json and
bench/results.md (also printed).

Absolute numbers on a shared 2-core machine are noise; the ratios from one run are the point.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SPECS = ROOT / "specs"
TOOLS = BENCH / ".tools"
APPS = BENCH / "apps"
LOADGEN = BENCH / "loadgen.py"

PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.14.2"
PRISM_BIN = TOOLS / "node_modules" / ".bin" / "prism"

QUIVA_RUN_PATH = "/hub/workflows/1234567890/21312322/run"
QUIVA_EXAMPLE = "singleTriggerSync"
TARGET_CONCURRENCY = 16
READY_TIMEOUT_S = 90.0
WRK_TIMEOUT = "5s"
CLIENT_SATURATED = 0.95  # a load generator using this much of a core may be the bottleneck

OURS = "ours"
PRISM_FAST = "prism-warn"
PRISM_DEFAULT = "prism-info"
CONNEXION = "connexion"
STARLETTE = "starlette"
SERVER_NAMES = (OURS, PRISM_FAST, PRISM_DEFAULT, CONNEXION, STARLETTE)


class Unavailable(Exception):
    """A server or tool that cannot be had; the run goes on without it."""


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class BenchRequest:
    """One request the load generator sends, and the status a correct answer has."""

    name: str
    method: str
    path: str  # path and query, from the server's root
    headers: dict[str, str]
    body: bytes
    expect: int

    def raw(self, host: str) -> bytes:
        """The request as HTTP/1.1 bytes (keep-alive), for the Python load generator."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def credential_headers(schemes: dict[str, Any], scheme_name: str, value: str) -> dict[str, str]:
    """The header(s) that carry one credential under the named security scheme (for
    Basic the value is `user:password`, sent base64-encoded)."""
    from contracts.requests import apply_credential

    applied = apply_credential(schemes, scheme_name, value)
    if applied.location == "header":
        return {applied.name: applied.value}
    kind = (schemes.get(scheme_name) or {}).get("type")
    raise ValueError(f"security scheme {scheme_name!r} ({kind}) cannot be sent as a header")


def quiva_request(prefix: str = "") -> BenchRequest:
    """The valid quiva singleTriggerSync request, with the scenarios' default credential."""
    from contracts import load_contract

    contract = load_contract(SPECS / "quiva.yaml")
    op = contract.operation(contract.scenarios.operation if contract.scenarios else None)
    body = op.request_examples[QUIVA_EXAMPLE].value
    headers = {"Authorization": "Bearer qv_test_token"}
    cred = contract.scenarios.credential() if contract.scenarios else None
    if cred is not None:
        headers = credential_headers(dict(contract.security_schemes), cred.scheme, cred.value)
    headers["Content-Type"] = "application/json"
    return BenchRequest(
        name=f"quiva/{QUIVA_EXAMPLE}",
        method="POST",
        path=prefix + QUIVA_RUN_PATH,
        headers=headers,
        body=_json_bytes(body),
        expect=200,
    )


def mix_requests() -> list[BenchRequest]:
    """Per API: its first documented 2xx case, with the default credential, under `/<id>`."""
    from contracts import find_specs, load_contract

    out: list[BenchRequest] = []
    for spec in find_specs(SPECS):
        contract = load_contract(spec)
        sc = contract.scenarios
        if sc is None:
            continue
        op = contract.operation(sc.operation)
        case = next(
            (
                c
                for c in sc.cases
                if 200 <= c.expect.status < 300 and c.expect.media_type == "application/json"
            ),
            None,
        )
        if case is None:
            continue
        path = op.path
        for name, value in case.request.path.items():
            path = path.replace("{" + name + "}", str(value))
        if case.request.query:
            path += "?" + urlencode({k: _query_value(v) for k, v in case.request.query.items()})
        headers: dict[str, str] = {}
        cred = sc.credential(case.request.credential)
        if cred is not None:
            headers.update(
                credential_headers(dict(contract.security_schemes), cred.scheme, cred.value)
            )
        headers.update(case.request.headers)
        body = b""
        if case.request.has_body:
            value = (
                op.request_examples[case.request.body_example].value
                if case.request.body_example
                else case.request.body_value
            )
            body = _json_bytes(value)
            headers.setdefault("Content-Type", "application/json")
        out.append(
            BenchRequest(
                name=f"{contract.api_id}/{case.name}",
                method=op.method.upper(),
                path=f"/{contract.api_id}{path}",
                headers=headers,
                body=body,
                expect=case.expect.status,
            )
        )
    return out


# --------------------------------------------------------------------------- results


@dataclass
class LoadResult:
    """One measured point: a load generator run against one server."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    wrong_status: int
    socket_errors: int
    client_cpu: float | None = None  # the load generator's CPU, as a fraction of one core
    server_cpu: float | None = None  # the server's (process tree's) CPU, fraction of one core

    @property
    def errors(self) -> int:
        return self.wrong_status + self.socket_errors

    @property
    def rps_per_cpu(self) -> float | None:
        """Requests per CPU-second of the server: throughput that contention does not hide."""
        return self.rps / self.server_cpu if self.server_cpu else None


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_bench_line(output: str) -> LoadResult | None:
    """The `BENCH {json}` line that the wrk Lua `done()` hook and bench/loadgen.py print."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[len("BENCH ") :])
            duration_s = data["duration_us"] / 1e6
            requests = int(data["requests"])
            return LoadResult(
                requests=requests,
                duration_s=duration_s,
                rps=requests / duration_s if duration_s else 0.0,
                p50_ms=data["p50_us"] / 1000 if requests else None,
                p99_ms=data["p99_us"] / 1000 if requests else None,
                wrong_status=int(data["wrong_status"]),
                socket_errors=sum(int(data[k]) for k in ("connect", "read", "write", "timeout")),
            )
    return None


def parse_wrk_text(output: str) -> LoadResult:
    """wrk's own report (`--latency`), for when the Lua summary line is missing."""
    requests = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", output, re.M)
    if requests is None:
        raise ValueError("no 'N requests in T' line in wrk's output")
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.M)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.M)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    duration_s = _ms(requests.group(2)) / 1000
    count = int(requests.group(1))
    return LoadResult(
        requests=count,
        duration_s=duration_s,
        rps=float(rps.group(1)) if rps else count / duration_s,
        p50_ms=_ms(p50.group(1)) if p50 else None,
        p99_ms=_ms(p99.group(1)) if p99 else None,
        wrong_status=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=sum(int(g) for g in sock.groups()) if sock else 0,
    )


def parse_load_output(output: str) -> LoadResult:
    return parse_bench_line(output) or parse_wrk_text(output)


@dataclass
class ServerResult:
    name: str
    label: str
    available: bool
    reason: str | None = None
    startup_s: float | None = None  # launch to first correct answer (all APIs it serves)
    rss_mb: float | None = None  # process tree RSS after the last load
    processes: int | None = None
    points: dict[str, LoadResult] = field(default_factory=dict)  # "c16", "mix-c16"
    notes: list[str] = field(default_factory=list)

    def point(self, concurrency: int) -> LoadResult | None:
        return self.points.get(f"c{concurrency}")


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


@dataclass
class Target:
    name: str
    ours: float | None
    reference: float | None
    ratio: float | None
    required: str  # e.g. ">= 2.00"
    result: str  # PASS / MISS / n/a
    why: str | None = None


def _check(value: float | None, op: str, bound: float) -> str:
    if value is None:
        return "n/a"
    ok = value >= bound if op == ">=" else value <= bound
    return "PASS" if ok else "MISS"


def compute_ratios(
    results: dict[str, ServerResult], concurrencies: Sequence[int]
) -> dict[str, dict[str, Any]]:
    """Ours divided by each other server: req/s and p99 per concurrency, RSS, startup."""
    ours = results.get(OURS)
    out: dict[str, dict[str, Any]] = {}
    if ours is None or not ours.available:
        return out
    for name, other in results.items():
        if name == OURS or not other.available:
            continue
        per_c: dict[str, Any] = {}
        for c in concurrencies:
            a, b = ours.point(c), other.point(c)
            per_c[f"c{c}"] = {
                "rps": ratio(a.rps if a else None, b.rps if b else None),
                "p99": ratio(a.p99_ms if a else None, b.p99_ms if b else None),
                "rps_per_cpu": ratio(a.rps_per_cpu if a else None, b.rps_per_cpu if b else None),
            }
        out[name] = {
            **per_c,
            "rss": ratio(ours.rss_mb, other.rss_mb),
            "startup": ratio(ours.startup_s, other.startup_s),
        }
    return out


def check_targets(
    results: dict[str, ServerResult], concurrency: int = TARGET_CONCURRENCY
) -> list[Target]:
    """Issue 7's targets, as ratios from this run (Prism at its fastest: `-v warn`)."""
    ours = results.get(OURS)
    prism = results.get(PRISM_FAST)
    star = results.get(STARLETTE)

    def get(r: ServerResult | None, what: str) -> float | None:
        if r is None or not r.available:
            return None
        if what == "rss":
            return r.rss_mb
        if what == "startup":
            return r.startup_s
        point = r.point(concurrency)
        if point is None:
            return None
        return point.rps if what == "rps" else point.p99_ms

    def why(*rs: tuple[str, ServerResult | None]) -> str | None:
        for label, r in rs:
            if r is None:
                return f"{label} not run"
            if not r.available:
                return f"{label} unavailable"
        return None

    specs: list[tuple[str, str, ServerResult | None, str, str, float]] = [
        (f"req/s at c={concurrency} ≥ 2x Prism (-v warn)", "rps", prism, "prism", ">=", 2.0),
        (f"req/s at c={concurrency} ≥ 40% of bare Starlette", "rps", star, "starlette", ">=", 0.4),
        (f"p99 at c={concurrency} ≤ 3x bare Starlette's", "p99", star, "starlette", "<=", 3.0),
        ("RSS after load ≤ ½ Prism's (-v warn)", "rss", prism, "prism", "<=", 0.5),
        (
            "launch → first correct (5 APIs) ≤ Prism's (1 spec)",
            "startup",
            prism,
            "prism",
            "<=",
            1.0,
        ),
    ]
    targets: list[Target] = []
    for name, what, ref, ref_label, op, bound in specs:
        a, b = get(ours, what), get(ref, what)
        r = ratio(a, b)
        targets.append(
            Target(
                name=name,
                ours=a,
                reference=b,
                ratio=r,
                required=f"{'≥' if op == '>=' else '≤'} {bound:g}x",
                result=_check(r, op, bound),
                why=why(("ours", ours), (ref_label, ref)) if r is None else None,
            )
        )
    point = ours.point(concurrency) if ours and ours.available else None
    targets.append(
        Target(
            name=f"no errors from ours at c={concurrency} (sanity)",
            ours=float(point.errors) if point else None,
            reference=None,
            ratio=None,
            required="= 0",
            result=("PASS" if point.errors == 0 else "MISS") if point else "n/a",
            why=None if point else why(("ours", ours)) or "not measured",
        )
    )
    return targets


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from `state` on


def process_tree(root: int) -> list[int]:
    """`root` and every descendant (a shell wrapper's node, uvicorn's children...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_rss_mb(root: int) -> tuple[float, int]:
    """Summed VmRSS of the process tree, in MiB, and how many processes it has."""
    total_kb, count = 0, 0
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    count += 1
                    break
    return total_kb / 1024, count


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of the live process tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        stat = _proc_stat(pid)
        if stat is not None:
            total += int(stat[11]) + int(stat[12])
    return total / ticks


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    started: float
    log: Path

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text[-lines:])


@contextlib.contextmanager
def launched(
    argv: Sequence[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[Running]:
    """Start `argv` in its own process group; always stop the whole group on the way out."""
    with log.open("wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    try:
        yield Running(proc=proc, started=started, log=log)
    finally:
        stop_group(proc)


def terminate(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # stragglers that left the process group
        os.killpg(proc.pid, signal.SIGKILL)


def probe(port: int, request: BenchRequest, timeout: float = 2.0) -> int | None:
    """Send one real request; its status, or None if the server does not answer yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(request.method, request.path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_ready(running: Running, port: int, probes: Sequence[BenchRequest]) -> float:
    """Seconds from launch until every probe got its expected status (polled with real requests)."""
    pending = list(probes)
    last: dict[str, int | None] = {}
    deadline = running.started + READY_TIMEOUT_S
    while pending:
        if running.proc.poll() is not None:
            raise Unavailable(
                f"exited with status {running.proc.returncode} before answering: "
                f"{running.log_tail() or 'no output'}"
            )
        if time.monotonic() > deadline:
            got = ", ".join(f"{p.name}: {last.get(p.name)}" for p in pending)
            raise Unavailable(f"no correct answer within {READY_TIMEOUT_S:.0f} s ({got})")
        for request in list(pending):
            status = probe(port, request)
            last[request.name] = status
            if status == request.expect:
                pending.remove(request)
        if pending:
            time.sleep(0.01)
    return time.monotonic() - running.started


# --------------------------------------------------------------------------- installs


def _run_quiet(argv: Sequence[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def prism_version() -> str | None:
    package = TOOLS / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_prism(log: Callable[[str], None]) -> Path:
    """Prism from npm into bench/.tools/ (idempotent); raises Unavailable when it can't."""
    if PRISM_BIN.exists() and prism_version() == PRISM_VERSION:
        return PRISM_BIN
    if shutil.which("npm") is None or shutil.which("node") is None:
        _apt_install(["nodejs", "npm"], log)
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise Unavailable("node/npm not found (install Node.js 18+ and npm)")
    log(f"installing {PRISM_PACKAGE}@{PRISM_VERSION} into {TOOLS.relative_to(ROOT)}/ (npm)")
    TOOLS.mkdir(parents=True, exist_ok=True)
    done = _run_quiet(
        [
            "npm",
            "install",
            "--prefix",
            str(TOOLS),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"{PRISM_PACKAGE}@{PRISM_VERSION}",
        ]
    )
    if done.returncode != 0 or not PRISM_BIN.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise Unavailable(f"npm install {PRISM_PACKAGE} failed: {' '.join(tail)}")
    return PRISM_BIN


def _apt_install(packages: Sequence[str], log: Callable[[str], None]) -> bool:
    """`apt-get install -y` when we are root and have apt-get; `apt-get update` once if needed."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env_argv = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q"]
    log(f"installing {' '.join(packages)} (apt-get)")
    try:
        if _run_quiet([*env_argv, *packages]).returncode == 0:
            return True
        _run_quiet(["apt-get", "update", "-q"])
        return _run_quiet([*env_argv, *packages]).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def wrk_version(wrk: str) -> str:
    out = _run_quiet([wrk, "-v"], timeout=10)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


# --------------------------------------------------------------------------- load generators


def _lua_string(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def wrk_script(requests: Sequence[BenchRequest]) -> str:
    """A wrk Lua script: the request(s), a status check per response, a JSON summary line."""
    specs = ",\n".join(
        "  {method="
        + _lua_string(r.method)
        + ", path="
        + _lua_string(r.path)
        + ", headers={"
        + ", ".join(f"[{_lua_string(k)}]={_lua_string(v)}" for k, v in r.headers.items())
        + "}, body="
        + (_lua_string(r.body) if r.body else "nil")
        + "}"
        for r in requests
    )
    expected = ", ".join(f"[{s}]=true" for s in sorted({r.expect for r in requests}))
    # One request: wrk's static request (no Lua call per request). Several: rotate through
    # them per thread. wrk pairs no response with its request, so with several requests a
    # status is wrong when it is none of the expected ones.
    sender = (
        """
wrk.method = specs[1].method
wrk.path = specs[1].path
wrk.headers = specs[1].headers
wrk.body = specs[1].body
"""
        if len(requests) == 1
        else """
local formatted = {}
local next_index = 0
function init(args)
  for k, s in ipairs(specs) do
    formatted[k] = wrk.format(s.method, s.path, s.headers, s.body)
  end
end
function request()
  next_index = next_index % #formatted + 1
  return formatted[next_index]
end
"""
    )
    return f"""-- generated by bench/run.py
local specs = {{
{specs}
}}
local expected = {{ {expected} }}
{sender}
wrong_status = 0
function response(status, headers, body)
  if not expected[status] then wrong_status = wrong_status + 1 end
end

local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local wrong = 0
  for _, t in ipairs(threads) do wrong = wrong + (t:get("wrong_status") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, "wrong_status": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status, wrong))
end
"""


def _wait_with_cpu(proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Wait for `proc`; the CPU seconds it used (os.wait4 reports them for that child only)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return float(usage.ru_utime + usage.ru_stime)
        if time.monotonic() > deadline:
            stop_group(proc)
            raise RuntimeError("load generator did not finish in time")
        time.sleep(0.05)


class LoadGenerator:
    name = "load generator"
    description = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def run(
        self, port: int, requests: Sequence[BenchRequest], connections: int, duration: float
    ) -> LoadResult:
        raise NotImplementedError

    def _measure(self, argv: Sequence[str], duration: float, tag: str) -> tuple[str, float]:
        out_path = self.workdir / f"{tag}.out"
        with out_path.open("wb") as out:
            started = time.monotonic()
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                cpu = _wait_with_cpu(proc, duration + 60)
            finally:
                if proc.returncode is None:
                    stop_group(proc)
            wall = time.monotonic() - started
        output = out_path.read_text(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} failed ({proc.returncode}): {output.strip()[-300:]}")
        return output, cpu / wall if wall else 0.0


class Wrk(LoadGenerator):
    name = "wrk"

    def __init__(self, workdir: Path, binary: str) -> None:
        super().__init__(workdir)
        self.binary = binary
        self.description = (
            f"{wrk_version(binary)}, 1 thread, Lua script (status check per response)"
        )

    def run(
        self, port: int, requests: Sequence[BenchRequest], connections: int, duration: float
    ) -> LoadResult:
        tag = f"wrk-{port}-{connections}-{time.monotonic_ns()}"
        script = self.workdir / f"{tag}.lua"
        script.write_text(wrk_script(requests))
        argv = [
            self.binary,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={WRK_TIMEOUT}",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ]
        output, cpu = self._measure(argv, duration, tag)
        result = parse_load_output(output)
        result.client_cpu = cpu
        return result


class PythonLoad(LoadGenerator):
    name = "python"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
        self.description = (
            f"bench/loadgen.py (Python {platform.python_version()} {loop}, one process, "
            "keep-alive connections); its CPU per point shows whether it was the bottleneck"
        )

    def run(
        self, port: int, requests: Sequence[BenchRequest], connections: int, duration: float
    ) -> LoadResult:
        tag = f"py-{port}-{connections}-{time.monotonic_ns()}"
        plan = self.workdir / f"{tag}.json"
        host = f"127.0.0.1:{port}"
        plan.write_text(
            json.dumps(
                {
                    "host": "127.0.0.1",
                    "port": port,
                    "connections": connections,
                    "duration": duration,
                    "requests": [r.raw(host).decode("latin-1") for r in requests],
                    "expect": sorted({r.expect for r in requests}),
                }
            )
        )
        output, cpu = self._measure([sys.executable, str(LOADGEN), str(plan)], duration, tag)
        result = parse_load_output(output)
        result.client_cpu = cpu
        return result


def choose_loadgen(choice: str, workdir: Path, log: Callable[[str], None]) -> LoadGenerator:
    if choice in {"auto", "wrk"}:
        binary = shutil.which("wrk")
        if binary is None and _apt_install(["wrk"], log):
            binary = shutil.which("wrk")
        if binary is not None:
            return Wrk(workdir, binary)
        if choice == "wrk":
            raise SystemExit("bench: wrk is not installed and cannot be installed here")
        log("wrk unavailable (not installed, and apt-get needs root): using bench/loadgen.py")
    return PythonLoad(workdir)


# --------------------------------------------------------------------------- servers


def uvicorn_settings() -> tuple[list[str], str]:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http_impl = "httptools" if importlib.util.find_spec("httptools") else "h11"
    flags = [
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        loop,
        "--http",
        http_impl,
    ]
    return flags, f"uvicorn, 1 worker, --no-access-log, --log-level warning, {loop}, {http_impl}"


@dataclass
class ServerSpec:
    name: str
    label: str
    argv: Callable[[int], list[str]]
    prefix: str
    probes: list[BenchRequest]
    mix: bool = False
    unavailable: str | None = None


def mockserver_binary() -> str | None:
    beside = Path(sys.executable).parent / "mockserver"
    return str(beside) if beside.exists() else shutil.which("mockserver")


def server_specs(prism: Path | None, prism_reason: str | None) -> list[ServerSpec]:
    flags, _ = uvicorn_settings()
    quiva_spec = str(SPECS / "quiva.yaml")
    plain = quiva_request()
    ours_bin = mockserver_binary()

    def uvicorn(app: str) -> Callable[[int], list[str]]:
        return lambda port: [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--app-dir",
            str(APPS),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *flags,
        ]

    def prism_argv(*extra: str) -> Callable[[int], list[str]]:
        return lambda port: [
            str(prism),
            "mock",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--errors=false",
            *extra,
            quiva_spec,
        ]

    return [
        ServerSpec(
            name=OURS,
            label="flowcontract mock (5 APIs)",
            argv=lambda port: [str(ours_bin), "serve", "--host", "127.0.0.1", "--port", str(port)],
            prefix="/quiva",
            probes=[quiva_request("/quiva"), *mix_requests()],
            mix=True,
            unavailable=None if ours_bin else "the mockserver command is not installed",
        ),
        ServerSpec(
            name=PRISM_FAST,
            label="Prism -v warn",
            argv=prism_argv("-v", "warn"),
            prefix="",
            probes=[plain],
            unavailable=prism_reason,
        ),
        ServerSpec(
            name=PRISM_DEFAULT,
            label="Prism (default logging)",
            argv=prism_argv(),
            prefix="",
            probes=[plain],
            unavailable=prism_reason,
        ),
        ServerSpec(
            name=CONNEXION,
            label="Connexion --mock=all",
            argv=uvicorn("connexion_mock:app"),
            prefix="",
            probes=[plain],
        ),
        ServerSpec(
            name=STARLETTE,
            label="bare Starlette",
            argv=uvicorn("starlette_app:app"),
            prefix="",
            probes=[plain],
        ),
    ]


def bench_server(
    spec: ServerSpec,
    loadgen: LoadGenerator,
    concurrencies: Sequence[int],
    duration: float,
    warmup: float,
    mix_concurrency: int,
    workdir: Path,
    log: Callable[[str], None],
) -> ServerResult:
    result = ServerResult(name=spec.name, label=spec.label, available=False)
    if spec.unavailable:
        result.reason = spec.unavailable
        log(f"{spec.name}: unavailable ({spec.unavailable})")
        return result
    port = free_port()
    request = quiva_request(spec.prefix)
    try:
        with launched(spec.argv(port), workdir / f"{spec.name}.log") as running:
            try:
                result.startup_s = wait_ready(running, port, spec.probes)
            except Unavailable as exc:
                result.reason = str(exc)
                log(f"{spec.name}: unavailable ({exc})")
                return result
            result.available = True
            log(f"{spec.name}: first correct answer after {result.startup_s:.2f} s")
            plan: list[tuple[str, list[BenchRequest], int]] = [
                (f"c{c}", [request], c) for c in concurrencies
            ]
            if spec.mix:
                plan.append((f"mix-c{mix_concurrency}", mix_requests(), mix_concurrency))
            for key, requests, connections in plan:
                if warmup > 0:
                    loadgen.run(port, requests, connections, warmup)
                cpu_before, wall_before = tree_cpu_s(running.proc.pid), time.monotonic()
                point = loadgen.run(port, requests, connections, duration)
                cpu = tree_cpu_s(running.proc.pid) - cpu_before
                point.server_cpu = cpu / (time.monotonic() - wall_before)
                result.points[key] = point
                log(
                    f"{spec.name} {key}: {point.rps:,.0f} req/s, p50 {_fmt(point.p50_ms, 2)} ms, "
                    f"p99 {_fmt(point.p99_ms, 2)} ms, errors {point.errors}"
                )
                if running.proc.poll() is not None:
                    raise RuntimeError(f"{spec.name} exited during load: {running.log_tail()}")
            result.rss_mb, result.processes = tree_rss_mb(running.proc.pid)
    except RuntimeError as exc:
        result.notes.append(str(exc))
        log(f"{spec.name}: {exc}")
    return result


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def median_of_rounds(rounds: list[ServerResult]) -> ServerResult:
    """One server's rounds as one result: per point the round with the median req/s
    (its latencies and CPU with it), and the median RSS and start-up time."""
    first = rounds[0]
    done = [r for r in rounds if r.available]
    if not done:
        return first
    merged = ServerResult(name=first.name, label=first.label, available=True)
    merged.startup_s = _median([r.startup_s for r in done if r.startup_s is not None])
    merged.rss_mb = _median([r.rss_mb for r in done if r.rss_mb is not None])
    merged.processes = max((r.processes or 0 for r in done), default=None) or None
    for key in dict.fromkeys(k for r in done for k in r.points):
        points = sorted((r.points[key] for r in done if key in r.points), key=lambda p: p.rps)
        merged.points[key] = points[(len(points) - 1) // 2]
    merged.notes = [n for r in rounds for n in r.notes]
    if len(done) < len(rounds):
        merged.notes.append(f"{len(rounds) - len(done)} of {len(rounds)} rounds unavailable")
    return merged


# --------------------------------------------------------------------------- report


def _fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _rounds_text(rounds: int) -> str:
    if rounds <= 1:
        return "one round"
    return (
        f"{rounds} rounds (every server in turn, restarted each round); each figure is "
        "the round with the median req/s"
    )


def render_markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    servers: dict[str, ServerResult] = report["_servers"]
    lines = [
        f"# flowcontract benchmark ({report['finished']})",
        "",
        f"- load generator: {env['loadgen']}",
        f"- Python servers: {env['uvicorn']}; ours: `mockserver serve` with its own settings",
        f"- Prism: {env['prism']} on Node {env['node']}, launched as `node_modules/.bin/prism`",
        f"- request: `POST {QUIVA_RUN_PATH}` (quiva {QUIVA_EXAMPLE}, bearer token; "
        f"ours under `/quiva`), expect 200; mix: {env['mix']}",
        f"- {env['duration_s']:g} s per point after {env['warmup_s']:g} s warm-up, "
        f"{_rounds_text(env.get('rounds', 1))}; "
        f"{env['cpus']} CPUs, load average {env['loadavg']} at start; "
        "absolute numbers are noise here, the ratios are the point",
        "",
        "| server | load | req/s | p50 ms | p99 ms | errors | server CPU | req/CPU-s | client CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in servers.values():
        if not r.available:
            lines.append(f"| {r.name} | unavailable: {r.reason or 'not run'} | | | | | | | |")
            continue
        for key, p in r.points.items():
            flag = " ⚠" if p.client_cpu is not None and p.client_cpu >= CLIENT_SATURATED else ""
            lines.append(
                f"| {r.name} | {key} | {p.rps:,.0f} | {_fmt(p.p50_ms, 2)} | {_fmt(p.p99_ms, 2)} "
                f"| {p.errors} | {_pct(p.server_cpu)} | {_fmt(p.rps_per_cpu, 0)} "
                f"| {_pct(p.client_cpu)}{flag} |"
            )
    lines += [
        "",
        "| server | RSS after load MB (processes) | launch → first correct s |",
        "|---|---:|---:|",
    ]
    for r in servers.values():
        if r.available:
            lines.append(
                f"| {r.name} ({r.label}) | {_fmt(r.rss_mb)} ({r.processes}) "
                f"| {_fmt(r.startup_s, 2)} |"
            )
    ratios: dict[str, dict[str, Any]] = report["ratios"]
    if ratios:
        cs = report["environment"]["concurrency"]
        head = " | ".join(f"req/s c={c} | p99 c={c}" for c in cs)
        tc = TARGET_CONCURRENCY if TARGET_CONCURRENCY in cs else cs[0]
        lines += [
            "",
            f"| ours ÷ | {head} | req/CPU-s c={tc} | RSS | launch → first correct |",
            "|---|" + "---:|" * (2 * len(cs) + 3),
        ]
        for name, rr in ratios.items():
            cells = " | ".join(
                f"{_fmt(rr[f'c{c}']['rps'], 2, 'x')} | {_fmt(rr[f'c{c}']['p99'], 2, 'x')}"
                for c in cs
            )
            lines.append(
                f"| {name} | {cells} | {_fmt(rr[f'c{tc}'].get('rps_per_cpu'), 2, 'x')} "
                f"| {_fmt(rr['rss'], 2, 'x')} | {_fmt(rr['startup'], 2, 'x')} |"
            )
    lines += ["", "| target | ours | reference | ours ÷ reference | required | result |"]
    lines.append("|---|---:|---:|---:|---:|---|")
    for t in report["targets"]:
        result = t["result"] + (f" ({t['why']})" if t["why"] else "")
        lines.append(
            f"| {t['name']} | {_fmt(t['ours'], 2)} | {_fmt(t['reference'], 2)} "
            f"| {_fmt(t['ratio'], 2, 'x')} | {t['required']} | {result} |"
        )
    notes = [f"{r.name}: {n}" for r in servers.values() for n in r.notes]
    if any(
        p.client_cpu is not None and p.client_cpu >= CLIENT_SATURATED
        for r in servers.values()
        for p in r.points.values()
    ):
        notes.append("⚠ the load generator used ≥95% of a core: it may have been the bottleneck")
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def build_report(
    servers: dict[str, ServerResult],
    environment: dict[str, Any],
    concurrencies: Sequence[int],
    started: str,
) -> dict[str, Any]:
    ratios = compute_ratios(servers, concurrencies)
    targets = [asdict(t) for t in check_targets(servers)]
    return {
        "started": started,
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "environment": environment,
        "servers": {
            name: {
                **{k: v for k, v in asdict(r).items() if k != "points"},
                "points": {
                    key: {**asdict(p), "errors": p.errors, "rps_per_cpu": p.rps_per_cpu}
                    for key, p in r.points.items()
                },
            }
            for name, r in servers.items()
        },
        "ratios": ratios,
        "targets": targets,
        "_servers": servers,
    }


def _environment(
    loadgen: LoadGenerator, args: argparse.Namespace, concurrencies: list[int]
) -> dict[str, Any]:
    node = (
        _run_quiet(["node", "--version"], timeout=10).stdout.strip()
        if shutil.which("node")
        else "-"
    )
    mix = ", ".join(f"{r.name} ({r.expect})" for r in mix_requests())
    return {
        "loadgen": f"{loadgen.name}: {loadgen.description}",
        "uvicorn": uvicorn_settings()[1],
        "prism": f"{PRISM_PACKAGE} {prism_version() or '(not installed)'}",
        "node": node,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "concurrency": concurrencies,
        "mix": mix,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark the flowcontract mock against Prism, Connexion's mock and Starlette.",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per point (5)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="run every server this many times, in turn; report the median round (3)",
    )
    parser.add_argument(
        "--concurrency", default="1,16,64", help="comma-separated connection counts (1,16,64)"
    )
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated servers to run (of {', '.join(SERVER_NAMES)}); default all",
    )
    parser.add_argument(
        "--loadgen", choices=["auto", "wrk", "python"], default="auto", help="load generator"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH / "results.json",
        help="JSON results; the Markdown table goes beside it (.md)",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="RESULTS",
        help="measure nothing: recompute ratios and targets of a saved results.json and re-render",
    )
    args = parser.parse_args(argv)
    args.only_names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(args.only_names) - set(SERVER_NAMES)
    if unknown:
        parser.error(f"unknown server(s) {sorted(unknown)}; known: {', '.join(SERVER_NAMES)}")
    try:
        args.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        parser.error("--concurrency takes comma-separated integers, e.g. 1,16,64")
    if args.rounds < 1:
        parser.error("--rounds needs a positive integer")
    if not args.concurrencies or min(args.concurrencies) < 1:
        parser.error("--concurrency needs at least one positive integer")
    return args


def servers_from_json(data: dict[str, Any]) -> dict[str, ServerResult]:
    """The ServerResults of a saved results.json (derived fields are recomputed)."""
    fields = {f for f in LoadResult.__dataclass_fields__}
    servers: dict[str, ServerResult] = {}
    for name, raw in data["servers"].items():
        points = {
            key: LoadResult(**{k: v for k, v in point.items() if k in fields})
            for key, point in raw.get("points", {}).items()
        }
        servers[name] = ServerResult(**{**raw, "points": points})
    return servers


def write_report(report: dict[str, Any], out: Path, log: Callable[[str], None]) -> None:
    markdown = render_markdown(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({k: v for k, v in report.items() if not k.startswith("_")}, indent=2) + "\n"
    )
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    log(f"wrote {out} and {out.with_suffix('.md')}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        env = saved["environment"]
        report = build_report(servers_from_json(saved), env, env["concurrency"], saved["started"])
        report["finished"] = saved["finished"]
        write_report(report, args.out, log)
        return 0
    sys.path.insert(0, str(ROOT))  # `contracts` from this checkout when not installed

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    wanted = args.only_names or list(SERVER_NAMES)
    with tempfile.TemporaryDirectory(prefix="flowcontract-bench-") as tmp:
        workdir = Path(tmp)
        loadgen = choose_loadgen(args.loadgen, workdir, log)
        log(f"load generator: {loadgen.name}: {loadgen.description}")
        prism: Path | None = None
        prism_reason: str | None = None
        if {PRISM_FAST, PRISM_DEFAULT} & set(wanted):
            try:
                prism = ensure_prism(log)
            except (Unavailable, OSError, subprocess.TimeoutExpired) as exc:
                prism_reason = str(exc)
        mix_c = (
            TARGET_CONCURRENCY
            if TARGET_CONCURRENCY in args.concurrencies
            else max(args.concurrencies)
        )
        specs = [spec for spec in server_specs(prism, prism_reason) if spec.name in wanted]
        rounds: dict[str, list[ServerResult]] = {spec.name: [] for spec in specs}
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                log(f"round {number} of {args.rounds}")
            for spec in specs:  # in turn, so drifting load on the machine hits all alike
                rounds[spec.name].append(
                    bench_server(
                        spec,
                        loadgen,
                        args.concurrencies,
                        args.duration,
                        args.warmup,
                        mix_c,
                        workdir,
                        log,
                    )
                )
        servers = {name: median_of_rounds(results) for name, results in rounds.items()}
        report = build_report(
            servers, _environment(loadgen, args, args.concurrencies), args.concurrencies, started
        )
    write_report(report, args.out, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
