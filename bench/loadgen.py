#!/usr/bin/env python3
"""A small HTTP/1.1 load generator, for when `wrk` cannot be had (bench/run.py's fallback).

`python bench/loadgen.py PLAN.json` opens `connections` keep-alive connections to
127.0.0.1:`port` and, on each, sends the plan's raw requests in rotation, one at a time
(closed loop, like wrk), for `duration` seconds. It prints one line in the same format as
the wrk Lua script's summary:

    BENCH {"requests": N, "duration_us": ..., "p50_us": ..., "p99_us": ..., ...}

It parses only what it must (status line, Content-Length or chunked framing) and uses uvloop
when installed. bench/run.py measures its CPU per point: at ≥95 % of a core it may have been
the bottleneck, and the report says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast


class _Stats:
    def __init__(self, expected: set[int]) -> None:
        self.expected = expected
        self.latencies: list[float] = []
        self.wrong_status = 0
        self.connect = 0
        self.read = 0


class _Connection(asyncio.Protocol):
    """One keep-alive connection: send, read one whole response, repeat until the deadline."""

    def __init__(self, requests: list[bytes], offset: int, deadline: float, stats: _Stats) -> None:
        self.requests = requests
        self.index = offset
        self.deadline = deadline
        self.stats = stats
        self.buffer = bytearray()
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        request = self.requests[self.index % len(self.requests)]
        self.index += 1
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def _response_end(self) -> tuple[int, int] | None:
        """(status, length of the whole response) once the buffer holds a complete one."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = bytes(self.buffer[:head_end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length: int | None = None
        chunked = False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        body_start = head_end + 4
        if not chunked:
            end = body_start + (length or 0)
            return (status, end) if len(self.buffer) >= end else None
        pos = body_start
        while True:
            line_end = self.buffer.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(self.buffer[pos:line_end]).split(b";")[0], 16)
            if size == 0:
                trailer_end = self.buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    # no trailers: the terminating CRLF follows the zero-size line directly
                    if self.buffer[line_end : line_end + 4] == b"\r\n\r\n":
                        return status, line_end + 4
                    return None
                return status, trailer_end + 4
            pos = line_end + 2 + size + 2
            if pos > len(self.buffer):
                return None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            done = self._response_end()
            if done is None:
                return
            status, end = done
            del self.buffer[:end]
            now = time.perf_counter()
            self.stats.latencies.append(now - self.sent_at)
            if status not in self.stats.expected:
                self.stats.wrong_status += 1
            if now >= self.deadline:
                assert self.transport is not None
                self.transport.close()
                return
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if time.perf_counter() < self.deadline:
            self.stats.read += 1
        if not self.finished.done():
            self.finished.set_result(None)


def _factory(
    requests: list[bytes], offset: int, deadline: float, stats: _Stats
) -> Callable[[], _Connection]:
    return lambda: _Connection(requests, offset, deadline, stats)


async def _worker(
    plan: dict[str, Any], requests: list[bytes], offset: int, deadline: float, stats: _Stats
) -> None:
    loop = asyncio.get_running_loop()
    while time.perf_counter() < deadline:
        try:
            _, conn = await loop.create_connection(
                _factory(requests, offset, deadline, stats), plan["host"], plan["port"]
            )
        except OSError:
            stats.connect += 1
            await asyncio.sleep(0.01)
            continue
        with contextlib.suppress(asyncio.CancelledError):
            await conn.finished
        offset = conn.index


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    requests = [r.encode("latin-1") for r in plan["requests"]]
    stats = _Stats(set(plan["expect"]))
    started = time.perf_counter()
    deadline = started + float(plan["duration"])
    workers = asyncio.gather(
        *(
            _worker(plan, requests, i % len(requests), deadline, stats)
            for i in range(int(plan["connections"]))
        )
    )
    try:  # a server that stops answering must not keep us past the deadline for long
        await asyncio.wait_for(workers, timeout=float(plan["duration"]) + 10)
    except TimeoutError:
        stats.read += 1
    elapsed = time.perf_counter() - started
    latencies = sorted(stats.latencies)

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6

    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "p50_us": percentile(50),
        "p99_us": percentile(99),
        "connect": stats.connect,
        "read": stats.read,
        "write": 0,
        "timeout": 0,
        "status": 0,
        "wrong_status": stats.wrong_status,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: loadgen.py PLAN.json", file=sys.stderr)
        return 2
    plan = json.loads(Path(argv[0]).read_text())
    if importlib.util.find_spec("uvloop"):
        import uvloop

        result = uvloop.run(run(plan))
    else:
        result = asyncio.run(run(plan))
    print("BENCH " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
