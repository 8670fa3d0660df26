"""bench/run.py without servers or timing: parsing, requests, ratios, targets, the report.

Keeps the benchmark harness from rotting silently; `python bench/run.py` is what measures.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


bench = _load_harness()

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40123
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.21ms  402.10us  12.30ms   91.02%
    Req/Sec    13.40k   812.33    14.51k    83.00%
  Latency Distribution
     50%    1.12ms
     75%    1.30ms
     90%    1.55ms
     99%    2.83ms
  133410 requests in 10.00s, 36.51MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  13340.12
Transfer/sec:      3.65MB
"""
BENCH_LINE = (
    'BENCH {"requests": 133410, "duration_us": 10001234, "p50_us": 1120.0, "p99_us": 2830.5, '
    '"connect": 0, "read": 2, "write": 0, "timeout": 1, "status": 7, "wrong_status": 9}\n'
)


def test_wrk_text_is_parsed() -> None:
    result = bench.parse_wrk_text(WRK_OUTPUT)
    assert result.requests == 133410
    assert result.rps == pytest.approx(13340.12)
    assert result.p50_ms == pytest.approx(1.12)
    assert result.p99_ms == pytest.approx(2.83)
    assert (result.wrong_status, result.socket_errors, result.errors) == (7, 3, 10)


def test_the_lua_summary_line_wins_over_wrks_text() -> None:
    result = bench.parse_load_output(WRK_OUTPUT + BENCH_LINE)
    assert result.requests == 133410
    assert result.rps == pytest.approx(133410 / 10.001234)
    assert result.p50_ms == pytest.approx(1.12)
    assert result.p99_ms == pytest.approx(2.8305)
    # every status other than the expected one is an error, not only wrk's non-2xx
    assert (result.wrong_status, result.socket_errors) == (9, 3)


@pytest.mark.parametrize(("text", "ms"), [("950.00us", 0.95), ("2.5ms", 2.5), ("1.02s", 1020)])
def test_wrk_durations(text: str, ms: float) -> None:
    assert bench._ms(text) == pytest.approx(ms)


def test_requests_come_from_the_contracts() -> None:
    quiva = bench.quiva_request("/quiva")
    assert quiva.path == "/quiva/hub/workflows/1234567890/21312322/run"
    assert quiva.headers["Authorization"] == "Bearer qv_test_token"
    assert json.loads(quiva.body)["trigger"]["user_id"] == "user_123"
    mix = {r.name.split("/")[0]: r for r in bench.mix_requests()}
    assert set(mix) == {"quiva", "wiv", "altostrat", "pharen", "example"}
    assert mix["wiv"].headers["X-API-KEY"] == "wiv_test_api_key"
    assert mix["altostrat"].expect == 202
    assert "team_id=" in mix["pharen"].path
    assert all(r.path.startswith(f"/{api}/") for api, r in mix.items())


def test_wrk_script_carries_the_requests_and_expected_statuses() -> None:
    mix = bench.mix_requests()
    script = bench.wrk_script(mix)
    assert "function request()" in script and "[200]=true" in script and "[202]=true" in script
    single = bench.wrk_script([bench.quiva_request()])
    assert "function request()" not in single  # one request: wrk's static request
    assert "wrk.body = specs[1].body" in single and "[200]=true" in single
    assert bench._lua_string('a"b\\c\n') == '"a\\"b\\\\c\\010"'


def _server(name: str, rps: float, p99: float, rss: float, startup: float) -> Any:
    point = bench.LoadResult(
        requests=int(rps * 10),
        duration_s=10.0,
        rps=rps,
        p50_ms=p99 / 2,
        p99_ms=p99,
        wrong_status=0,
        socket_errors=0,
    )
    return bench.ServerResult(
        name=name,
        label=name,
        available=True,
        startup_s=startup,
        rss_mb=rss,
        processes=1,
        points={"c16": point},
    )


def test_ratios_and_targets() -> None:
    servers = {
        "ours": _server("ours", rps=7000, p99=6.0, rss=70, startup=1.0),
        "prism-warn": _server("prism-warn", rps=3000, p99=20.0, rss=160, startup=2.0),
        "starlette": _server("starlette", rps=15000, p99=2.5, rss=35, startup=0.3),
        "connexion": bench.ServerResult(name="connexion", label="c", available=False),
    }
    ratios = bench.compute_ratios(servers, [16])
    assert set(ratios) == {"prism-warn", "starlette"}
    assert ratios["prism-warn"]["c16"]["rps"] == pytest.approx(7000 / 3000)
    assert ratios["starlette"]["rss"] == pytest.approx(2.0)
    assert [t.result for t in bench.check_targets(servers)] == ["PASS"] * 6
    servers["ours"].points["c16"].p99_ms = 9.0  # > 3 x 2.5
    servers["ours"].rss_mb = 90.0  # > 160 / 2
    by_name = {t.name: t for t in bench.check_targets(servers)}
    misses = sorted(name for name, t in by_name.items() if t.result == "MISS")
    assert misses == ["RSS after load ≤ ½ Prism's (-v warn)", "p99 at c=16 ≤ 3x bare Starlette's"]


def test_rounds_merge_to_the_median_round_of_each_point() -> None:
    rounds = [
        _server("ours", rps=4000, p99=9.0, rss=70, startup=1.4),
        _server("ours", rps=6000, p99=5.0, rss=66, startup=1.0),
        _server("ours", rps=5000, p99=6.0, rss=68, startup=1.1),
        bench.ServerResult(name="ours", label="ours", available=False, reason="crashed"),
    ]
    merged = bench.median_of_rounds(rounds)
    point = merged.points["c16"]
    assert (point.rps, point.p99_ms) == (5000, 6.0)  # the median round, latency with it
    assert (merged.rss_mb, merged.startup_s) == (68, 1.1)
    assert merged.notes == ["1 of 4 rounds unavailable"]
    assert not bench.median_of_rounds(rounds[3:]).available
    assert bench.parse_args([]).rounds == 3
    with pytest.raises(SystemExit):
        bench.parse_args(["--rounds", "0"])


def test_ours_unavailable_is_reported_not_raised() -> None:
    servers = {
        "ours": bench.ServerResult(
            name="ours", label="ours", available=False, reason="not implemented"
        ),
        "starlette": _server("starlette", rps=15000, p99=2.5, rss=35, startup=0.3),
    }
    targets = bench.check_targets(servers)
    assert {t.result for t in targets} == {"n/a"}
    assert all(t.why for t in targets)
    env = {
        "loadgen": "wrk",
        "uvicorn": "uvicorn",
        "prism": "prism",
        "node": "v20",
        "cpus": 2,
        "loadavg": "0.1",
        "duration_s": 10.0,
        "warmup_s": 3.0,
        "rounds": 3,
        "concurrency": [16],
        "mix": "-",
    }
    report = bench.build_report(servers, env, [16], "now")
    markdown = bench.render_markdown(report)
    assert "| ours | unavailable: not implemented |" in markdown
    assert "| starlette | c16 | 15,000 |" in markdown
    assert "3 rounds (every server in turn" in markdown
    json.dumps({k: v for k, v in report.items() if not k.startswith("_")})


def test_a_saved_run_rerenders_to_the_same_verdicts() -> None:
    servers = {
        "ours": _server("ours", rps=7000, p99=9.0, rss=70, startup=1.0),
        "prism-warn": _server("prism-warn", rps=3000, p99=20.0, rss=160, startup=2.0),
        "starlette": _server("starlette", rps=15000, p99=2.5, rss=35, startup=0.3),
    }
    servers["ours"].points["c16"].server_cpu = 0.5
    env = {"concurrency": [16], "duration_s": 10.0}
    report = bench.build_report(servers, env, [16], "then")
    saved = json.loads(json.dumps({k: v for k, v in report.items() if not k.startswith("_")}))
    again = bench.build_report(bench.servers_from_json(saved), env, [16], "then")
    assert again["targets"] == report["targets"]
    assert again["servers"]["ours"]["points"]["c16"]["rps_per_cpu"] == pytest.approx(14000)
