#!/usr/bin/env python3
"""Routing cost against the number of operations: a large document vs quiva's one.

    python bench/routing_large.py [SPEC] [--path /repos/o/r/pulls/1] [--duration 10]

SPEC defaults to a synthetic 1,000-operation document (bench/gen_large_spec.py); pass
GitHub's description (api.github.com.json of the npm package @octokit/openapi) for the
real thing. Two measurements, printed as JSON lines, nothing asserted:

- `match_us`: the mock's `Dispatcher.match` for one request path, in process, µs per
  call (the routing alone, without HTTP noise), for the large document and for quiva;
- `rps`: requests/s of one operation over HTTP (bench/loadgen.py, 4 keep-alive
  connections, `--duration` s) against `mockserver serve SPEC` and `mockserver serve
  quiva`, and their ratio (issue 11's target: large >= 0.8 x quiva).

By default the large document's request is its last GET operation with a path
parameter in every templated segment filled with `1` (the deepest routing work).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as bench  # noqa: E402  - bench/run.py: the quiva request, launch, readiness

from contracts.catalog import load_contract  # noqa: E402
from mockserver.app import MockServer  # noqa: E402
from mockserver.config import MockConfig  # noqa: E402


def last_templated_get(spec: Path) -> str:
    contract = load_contract(spec, read_only=True)
    gets = [op for op in contract.operations if op.method == "get" and "{" in op.path]
    required = [
        op
        for op in gets
        if not any(p.get("required") and p.get("in") != "path" for p in op.parameters)
        and not op.security
    ]
    chosen = (required or gets)[-1]
    return re.sub(r"\{[^{}/]+\}", "1", chosen.path)


def match_us(spec: Path, api_id: str, method: str, path: str, calls: int = 20_000) -> float:
    server = MockServer(MockConfig(apis=(str(spec),)), [load_contract(spec, read_only=True)])
    full = f"/{api_id}{path}"
    scope: dict[str, Any] = {"method": method, "path": full, "raw_path": full.encode()}
    assert server.dispatch.match(dict(scope)) is not None, f"no route for {method} {full}"
    started = time.perf_counter()
    for _ in range(calls):
        server.dispatch.match(dict(scope))
    return (time.perf_counter() - started) / calls * 1e6


def requests_per_second(
    spec: Path, request: bench.BenchRequest, duration: float
) -> tuple[float, float]:
    """Requests/s, and requests per CPU-second of the server (what contention on a shared
    machine does not hide)."""
    port = bench.free_port()
    mockserver = str(Path(sys.executable).with_name("mockserver"))
    command = [mockserver, "serve", str(spec), "--port", str(port)]
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while bench.probe(port, request) is None or not (
            200 <= (bench.probe(port, request) or 0) < 300
        ):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"{spec}: no 2xx answer to {request.method} {request.path}")
            time.sleep(0.2)
        cpu_before = bench.tree_cpu_s(proc.pid)
        with tempfile.TemporaryDirectory() as tmp:
            plan = Path(tmp) / "plan.json"
            host = f"127.0.0.1:{port}"
            plan.write_text(
                json.dumps(
                    {
                        "host": "127.0.0.1",
                        "port": port,
                        "connections": 4,
                        "duration": duration,
                        "requests": [request.raw(host).decode("latin-1")],
                        "expect": [request.expect],
                    }
                )
            )
            done = subprocess.run(
                [sys.executable, str(bench.LOADGEN), str(plan)],
                capture_output=True,
                text=True,
                check=True,
            )
        cpu = bench.tree_cpu_s(proc.pid) - cpu_before
        result = bench.parse_load_output(done.stdout)
        return float(result.rps or 0.0), result.requests / cpu if cpu > 0 else 0.0
    finally:
        bench.stop_group(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", nargs="?", type=Path)
    parser.add_argument("--path", help="the large document's request path (a GET)")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--no-http", action="store_true", help="only the in-process match")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = args.spec
        if spec is None:
            spec = Path(tmp) / "large.yaml"
            generator = [sys.executable, str(BENCH / "gen_large_spec.py"), str(spec)]
            subprocess.run(generator, check=True, capture_output=True)
        api_id = spec.name.split(".")[0]
        path = args.path or last_templated_get(spec)
        quiva = bench.quiva_request()
        large_us = match_us(spec, api_id, "GET", path)
        quiva_us = match_us(bench.SPECS / "quiva.yaml", "quiva", quiva.method, quiva.path)
        print(
            json.dumps(
                {
                    "path": path,
                    "match_us": {"large": round(large_us, 2), "quiva": round(quiva_us, 2)},
                }
            )
        )
        if args.no_http:
            return 0
        large = bench.BenchRequest("large", "GET", f"/{api_id}{path}", {}, b"", 200)
        rps_large, per_cpu_large = requests_per_second(spec, large, args.duration)
        rps_quiva, per_cpu_quiva = requests_per_second(
            bench.SPECS / "quiva.yaml", bench.quiva_request("/quiva"), args.duration
        )
        print(
            json.dumps(
                {
                    "request": f"GET /{api_id}{path}",
                    "rps": {"large": round(rps_large), "quiva": round(rps_quiva)},
                    "rps_ratio": round(rps_large / rps_quiva, 2) if rps_quiva else None,
                    "requests_per_cpu_s": {
                        "large": round(per_cpu_large),
                        "quiva": round(per_cpu_quiva),
                    },
                    "per_cpu_ratio": (
                        round(per_cpu_large / per_cpu_quiva, 2) if per_cpu_quiva else None
                    ),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
