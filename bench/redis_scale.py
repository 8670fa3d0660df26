#!/usr/bin/env python3
"""Scale-out over Redis: `--workers 2 --state redis://` against `--workers 1` in memory.

    python bench/redis_scale.py [--duration 10] [--warmup 2] [--rounds 3] [--out DIR]

Starts a redis-server of its own (Debian's; no persistence) on a free 127.0.0.1 port, then
one mock at a time (`mockserver serve quiva`) in three configurations, and loads each with
quiva's singleTriggerSync request (bench/run.py's request and load generator: wrk when it
can be had, else bench/loadgen.py):

- `memory-1w`: `--workers 1 --state memory` (today's mock);
- `redis-1w`: `--workers 1 --state redis://...` (what the shared state costs a request);
- `redis-2w`: `--workers 2 --state redis://...` (what it buys).

At c=16 (req/s, issue 15's target: redis-2w >= 1.5 x memory-1w) and at c=1 (latency: the
per-request overhead of Redis over memory). After each configuration the journal's
`recorded_total` (from /__mock/health) is checked against the requests the load
generator counted: every request journaled exactly once. Rounds alternate the
configurations; the median round per point is reported, and the target's ratio in each
round (the shared machine's noise, shown). Writes redis_scale.json and
redis_scale.md under --out (default bench/) and prints the table.

Absolute numbers on a shared 2-core machine are noise; the ratios of one run are the point.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as bench  # noqa: E402  - bench/run.py: the quiva request, launch, load generators

CONFIGS = {
    "memory-1w": ["--workers", "1"],
    "redis-1w": ["--workers", "1", "--state", "{redis}"],
    "redis-2w": ["--workers", "2", "--state", "{redis}"],
}
CONCURRENCIES = (16, 1)
TARGET = 1.5  # redis-2w req/s over memory-1w's, at c=16


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[str, int]]:
    """A redis-server on a free loopback port: its URL and pid."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench: redis-server is not installed (apt-get install redis-server)")
    port = bench.free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(workdir)]
    with bench.launched(argv, workdir / "redis.log") as running:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: redis-server did not start: {running.log_tail()}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", running.proc.pid


def recorded_total(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__mock/health", timeout=5) as answer:
        return int(json.load(answer)["recorded_total"])


def flush(redis_url: str) -> None:
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    subprocess.run(["redis-cli", "-p", port, "flushall"], capture_output=True, check=True)


def bench_config(
    name: str,
    redis_url: str,
    redis_pid: int,
    loadgen: bench.LoadGenerator,
    args: argparse.Namespace,
    workdir: Path,
) -> dict[str, Any]:
    """One configuration: start, warm up, measure each concurrency, check the journal."""
    binary = bench.mockserver_binary()
    assert binary is not None, "the mockserver command is not installed"
    port = bench.free_port()
    extra = [a.format(redis=redis_url) for a in CONFIGS[name]]
    argv = [binary, "serve", "quiva", "--host", "127.0.0.1", "--port", str(port), *extra]
    request = bench.quiva_request("/quiva")
    if "redis" in name:
        flush(redis_url)
    result: dict[str, Any] = {"argv": " ".join(["mockserver", *argv[1:]]), "points": {}}
    with bench.launched(argv, workdir / f"{name}.log") as running:
        result["startup_s"] = bench.wait_ready(running, port, [request])
        sent = 1  # the readiness probe that answered
        for connections in CONCURRENCIES:
            if args.warmup > 0:
                sent += loadgen.run(port, [request], connections, args.warmup).requests
            cpu_before = bench.tree_cpu_s(running.proc.pid)
            redis_before = bench.tree_cpu_s(redis_pid)
            started = time.monotonic()
            point = loadgen.run(port, [request], connections, args.duration)
            wall = time.monotonic() - started
            point.server_cpu = (bench.tree_cpu_s(running.proc.pid) - cpu_before) / wall
            redis_cpu = (bench.tree_cpu_s(redis_pid) - redis_before) / wall
            sent += point.requests
            result["points"][f"c{connections}"] = {**asdict(point), "redis_cpu": redis_cpu}
            print(
                f"{name} c{connections}: {point.rps:,.0f} req/s, p50 "
                f"{bench._fmt(point.p50_ms, 2)} ms, p99 {bench._fmt(point.p99_ms, 2)} ms, "
                f"errors {point.errors}, mock CPU {point.server_cpu:.2f}, redis CPU "
                f"{redis_cpu:.2f}",
                flush=True,
            )
        time.sleep(0.5)  # the last entries leave the workers' buffers
        journaled = recorded_total(port)
        result["sent"], result["journaled"] = sent, journaled
        result["rss_mb"], result["processes"] = bench.tree_rss_mb(running.proc.pid)
    return result


def _median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(rounds[0])
    merged["points"] = {}
    for key in rounds[0]["points"]:
        points = sorted((r["points"][key] for r in rounds), key=lambda p: p["rps"])
        merged["points"][key] = points[(len(points) - 1) // 2]
    # wrk leaves up to c requests in flight when it stops (journaled, not counted): per
    # load run (warm-up and measure, each concurrency) at most that many more
    slack = 2 * sum(CONCURRENCIES)
    merged["journal_exact"] = all(0 <= r["journaled"] - r["sent"] <= slack for r in rounds)
    return merged


def render(report: dict[str, Any]) -> str:
    configs = report["configs"]
    lines = [
        f"# Scale-out over Redis ({report['date']})",
        "",
        f"Machine: {report['machine']}. Load: {report['loadgen']}, {report['duration_s']} s "
        f"per point after {report['warmup_s']} s of warm-up, median of {report['rounds']} "
        "round(s). quiva singleTriggerSync, `mockserver serve quiva`.",
        "",
        "| config | c | req/s | p50 ms | p99 ms | errors | mock CPU | redis CPU | journaled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in configs.items():
        for key, p in result["points"].items():
            counted = f"{result['journaled']:,} of {result['sent']:,} counted"
            exact = counted if result["journal_exact"] else f"MISMATCH: {counted}"
            lines.append(
                f"| {name} | {key[1:]} | {p['rps']:,.0f} | {bench._fmt(p['p50_ms'], 2)} | "
                f"{bench._fmt(p['p99_ms'], 2)} | {p['wrong_status'] + p['socket_errors']} | "
                f"{p['server_cpu']:.2f} | {p['redis_cpu']:.2f} | {exact} |"
            )
    lines += ["", "| ratio | value | target |", "|---|---|---|"]
    for name, (value, target) in report["ratios"].items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        lines.append(f"| {name} | {shown} | {target} |")
    each = report.get("target_ratio_each_round", [])
    if len(each) > 1:
        shown = ", ".join(f"{value:.2f}" for value in each)
        lines += ["", f"redis-2w / memory-1w req/s at c=16 in each round: {shown}."]
    return "\n".join(lines) + "\n"


def ratios(configs: dict[str, Any]) -> dict[str, tuple[float | None, str]]:
    def rps(name: str, key: str) -> float:
        return float(configs[name]["points"][key]["rps"])

    def p50(name: str) -> float:
        return float(configs[name]["points"]["c1"]["p50_ms"] or 0.0)

    def per_request_us(name: str) -> float:
        """Server CPU per request at c=16 (mock and Redis), µs."""
        point = configs[name]["points"]["c16"]
        return (point["server_cpu"] + point["redis_cpu"]) / point["rps"] * 1e6

    return {
        "redis-2w / memory-1w req/s, c=16": (
            rps("redis-2w", "c16") / rps("memory-1w", "c16"),
            f">= {TARGET}",
        ),
        "redis-1w / memory-1w req/s, c=16": (rps("redis-1w", "c16") / rps("memory-1w", "c16"), ""),
        "redis-1w - memory-1w p50 at c=1, ms": (p50("redis-1w") - p50("memory-1w"), ""),
        "redis-1w - memory-1w CPU per request at c=16 (mock + redis), µs": (
            per_request_us("redis-1w") - per_request_us("memory-1w"),
            "",
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--out", type=Path, default=BENCH)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="redis-scale-") as tmp:
        workdir = Path(tmp)
        loadgen = bench.choose_loadgen(args.loadgen, workdir, print)
        with redis_server(workdir) as (redis_url, redis_pid):
            rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in CONFIGS}
            for _ in range(args.rounds):
                for name in CONFIGS:
                    rounds[name].append(
                        bench_config(name, redis_url, redis_pid, loadgen, args, workdir)
                    )
    configs = {name: _median_round(results) for name, results in rounds.items()}
    each_round = [  # the target's ratio in each round (the shared machine's noise, shown)
        two["points"]["c16"]["rps"] / one["points"]["c16"]["rps"]
        for two, one in zip(rounds["redis-2w"], rounds["memory-1w"], strict=True)
    ]
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, shared",
        "loadgen": loadgen.description,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "configs": configs,
        "ratios": ratios(configs),
        "target_ratio_each_round": each_round,
    }
    text = render(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "redis_scale.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "redis_scale.md").write_text(text)
    print(text)
    return 0 if all(c["journal_exact"] for c in configs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
