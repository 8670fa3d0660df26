"""Soak: memory stays flat under a long run (the journal is a bounded ring).

Runs in its own tox env (`tox -e soak`): ~100 000 requests take minutes.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import httpx
import pytest

from tests.conftest import ROOT
from tests.mockserver.conftest import free_port
from tests.mockserver.test_cli import MOCKSERVER

pytestmark = pytest.mark.soak


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def load(base: str, count: int, concurrency: int = 32) -> None:
    url = f"{base}/wiv/workflows/wf_soak/run"
    headers = {"X-API-KEY": "wiv_test_api_key"}
    per_worker = count // concurrency

    async def worker(w: int) -> None:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=60) as c:
            for i in range(per_worker):
                r = await c.post(
                    url, json={"payload": {"w": w, "i": i, "pad": "x" * 200}}, headers=headers
                )
                assert r.status_code == 200

    await asyncio.gather(*(worker(w) for w in range(concurrency)))


def test_rss_after_100k_requests_is_within_20_percent_of_after_10k() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*MOCKSERVER, "serve", "wiv", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/__mock/health")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        asyncio.run(load(base, 10_000))
        after_10k = rss_kib(proc.pid)
        asyncio.run(load(base, 90_000))
        after_100k = rss_kib(proc.pid)
        journal = httpx.get(f"{base}/__mock/requests", params={"api": "wiv"}).json()["count"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"RSS after 10k: {after_10k} KiB, after 100k: {after_100k} KiB, journal {journal}")
    assert journal == 10_000
    assert after_100k <= after_10k * 1.2
