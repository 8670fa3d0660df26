#!/usr/bin/env python3
"""Start-up time and memory of `mockserver serve FILE` on large documents (and Prism's).

    python bench/startup_large.py [SPEC ...] [--operations 1000] [--runs 3] [--prism]

For each document (default: a synthetic one of `--operations` operations written by
bench/gen_large_spec.py; pass GitHub's description, e.g. api.github.com.json from the npm
package @octokit/openapi, as a SPEC), launch the mock as a user does, on a free loopback
port, and measure the time from launch to the first correct answer (a 2xx to a GET of
the first operation without path parameters, else of the first one with `1` for each
parameter), the CPU seconds the server spent until then (steadier than the wall time
when other work shares the machine), and the peak RSS of the server's process tree (the
server and the child that loads the contracts) while it starts, then after the answer.
`--prism` measures Prism the same way when bench/run.py has installed it
(bench/.tools/). Prints one JSON line per server and document; nothing is asserted.

Absolute numbers on a shared machine are noise; compare servers within one run.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import free_port, terminate, tree_rss_mb  # noqa: E402  (bench/run.py)

PRISM = BENCH / ".tools" / "node_modules" / ".bin" / "prism"
TIMEOUT_S = 300.0


def probe_path(spec: Path) -> str:
    """The first GET operation's path, without a template if one has none (`/meta` on
    GitHub's), each path parameter filled with `1`."""
    text = spec.read_text(encoding="utf-8")
    doc = json.loads(text) if spec.suffix == ".json" else yaml.safe_load(text)
    paths = [str(path) for path, item in doc["paths"].items() if "get" in item]
    if not paths:
        raise SystemExit(f"{spec}: no GET operation to probe")
    chosen = next((path for path in paths if "{" not in path), paths[0])
    return re.sub(r"\{[^{}/]+\}", "1", chosen)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` and of its children it has waited for (the
    mock's loading child), from /proc/PID/stat."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def answered(url: str) -> bool:
    # Any bearer token: without a scenarios file the mock (like Prism) accepts any
    # well-formed credential, and an operation without security ignores it.
    request = urllib.request.Request(url, headers={"Authorization": "Bearer any-token"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def measure(command: list[str], url: str) -> dict[str, Any]:
    # stderr to a file, not a pipe: a document with many invalid examples is warned about
    # at start-up (GitHub's: ~120 KB), which would fill a pipe nobody reads and stall it
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            return _until_answered(proc, url, started, stderr)
        finally:
            terminate(proc)


def _until_answered(
    proc: subprocess.Popen[bytes], url: str, started: float, stderr: Any
) -> dict[str, Any]:
    peak = 0.0
    while time.perf_counter() - started < TIMEOUT_S:
        peak = max(peak, tree_rss_mb(proc.pid)[0])
        if proc.poll() is not None:
            stderr.seek(0)
            error = stderr.read().decode(errors="replace")
            return {"error": error.strip().splitlines()[-1:] or ["exited"]}
        if answered(url):
            ready = time.perf_counter() - started
            after = tree_rss_mb(proc.pid)[0]
            return {
                "start_s": round(ready, 2),
                "cpu_s": round(cpu_s(proc.pid), 2),
                "peak_rss_mb": round(max(peak, after)),
                "rss_mb": round(after),
            }
        time.sleep(0.05)
    return {"error": [f"no answer within {TIMEOUT_S:.0f} s"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", type=Path)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--prism", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        specs = list(args.specs)
        if not specs:
            synthetic = Path(tmp) / "large.yaml"
            subprocess.run(
                [
                    sys.executable,
                    str(BENCH / "gen_large_spec.py"),
                    str(synthetic),
                    "--operations",
                    str(args.operations),
                ],
                check=True,
            )
            specs.append(synthetic)
        mockserver = Path(sys.executable).with_name("mockserver")
        for spec in specs:
            probe = probe_path(spec)
            servers = {"ours": [str(mockserver), "serve", str(spec), "--port", "PORT"]}
            if args.prism and PRISM.exists():
                servers["prism"] = [str(PRISM), "mock", str(spec), "-p", "PORT"]
            for name, command in servers.items():
                for run in range(1, args.runs + 1):
                    port = str(free_port())
                    argv = [port if arg == "PORT" else arg for arg in command]
                    row = measure(argv, f"http://127.0.0.1:{port}{probe}")
                    print(json.dumps({"spec": spec.name, "server": name, "run": run, **row}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
