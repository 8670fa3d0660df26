"""The shared state: two instances and `--workers 2` over one real Redis are one mock
(one journal in receive order, one reset, sessions kept apart, the bounds for the whole);
Redis going away leaves the API answering and the journal complete within its buffer.
The `State` interface's own tests run against both implementations.

Redis is Debian's `redis-server`, started here on a free loopback port (`.ci/run` installs
it; outside CI a machine without it skips these tests, naming why).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import marshal
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis

from contracts.scenarios import load_scenarios
from mockserver.config import MockConfig
from mockserver.negotiate import Preference
from mockserver.redis_state import RedisState
from mockserver.resp import RespPipe, command, encoded
from mockserver.state import InMemoryState, JournalEntry, State
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, free_port, running

REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None and os.environ.get("CI"):
    raise RuntimeError("redis-server is missing in CI: .ci/run installs Debian's redis-server")

RUN = "/quiva/hub/workflows/1234567890/21312322/run"
AUTH = {"Authorization": "Bearer qv_test_token"}
MAIN = "from mockserver.cli import main; raise SystemExit(main())"


def _answering(client: redis.Redis, server: subprocess.Popen[bytes]) -> None:
    """Wait (10 s at most) until the redis-server just started answers `client`."""
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.02)


@dataclass
class RedisProcess:
    """A redis-server of our own: no persistence but the dump its SHUTDOWN SAVE writes,
    so a stop and a start keep the data (as a restarted production Redis would)."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        _answering(client, self.process)
        client.close()

    def stop(self) -> None:
        """SHUTDOWN SAVE: the data in the dump, the process gone."""
        assert self.process is not None
        client = redis.Redis(port=self.port)
        with contextlib.suppress(redis.ConnectionError):  # it closes as it exits
            client.shutdown(save=True)
        self.process.wait(timeout=10)
        self.process = None

    def flush(self) -> None:
        with redis.Redis(port=self.port) as client:
            client.flushall()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    if REDIS_SERVER is None:
        pytest.skip("needs Debian's redis-server (.ci/run installs it)")
    server = RedisProcess(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    if server.process is not None:
        server.process.terminate()
        server.process.wait(timeout=10)


# -- the State interface, both implementations


def _entry(n: int, session: str = "default", api: str = "quiva") -> JournalEntry:
    return JournalEntry(
        time=time.time(),
        api=api,
        method="POST",
        path=f"/run/{n}",
        query=b"",
        raw_headers=b"authorization: ****oken",
        raw_body=b'{"n": %d}' % n,
        status=200,
        raw_response=b"{}",
        operation="POST /run",
        rule="default",
        session=session,
    )


def _state(kind: str, url: str, **config: Any) -> State:
    scenarios = {"quiva": load_scenarios(SPECS / "quiva.scenarios.yaml")}
    settings = MockConfig(**config)
    if kind == "memory":
        return InMemoryState(
            scenarios,
            journal_size=settings.journal_size,
            journal_bytes=settings.journal_bytes,
            session_ttl=settings.session_ttl,
        )
    return RedisState(url, scenarios, settings)


def _paths(entries: list[JournalEntry]) -> list[str]:
    return [e.path for e in entries]


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The implementation, and the Redis URL it uses (a flushed one for `redis`)."""
    if request.param == "memory":
        return "memory", ""
    server: RedisProcess = request.getfixturevalue("redis_server")
    server.flush()
    return "redis", server.url


def test_state_journal_sessions_and_reset(kind: tuple[str, str]) -> None:
    async def scenario() -> None:
        state = _state(*kind)
        await state.open()
        try:
            assert state.fixture("quiva", "archived") is not None
            for n in range(4):
                state.record(_entry(n))
                state.record(_entry(100 + n, session="xdist-gw1"))
            state.record(_entry(9, api="other"))
            default = await state.journal()
            assert _paths(default) == ["/run/0", "/run/1", "/run/2", "/run/3", "/run/9"]
            seqs = [e.seq for e in default]
            assert seqs == sorted(seqs) and len(set(seqs)) == 5
            assert _paths(await state.journal("quiva", limit=2)) == ["/run/2", "/run/3"]
            assert _paths(await state.journal(since=seqs[2])) == ["/run/3", "/run/9"]
            other = await state.journal(session="xdist-gw1")
            assert _paths(other) == [f"/run/{100 + n}" for n in range(4)]
            assert {e.session for e in other} == {"xdist-gw1"}

            await state.set_preferences("xdist-gw1", {"quiva": Preference(code="400")})
            assert state.preferences("xdist-gw1")["quiva"].code == "400"
            assert state.preferences() == {}

            await state.reset("xdist-gw1")  # that session only
            assert await state.journal(session="xdist-gw1") == []
            assert state.preferences("xdist-gw1") == {}
            assert len(await state.journal()) == 5
            state.record(_entry(104, session="xdist-gw1"))
            assert _paths(await state.journal(session="xdist-gw1")) == ["/run/104"]

            await state.reset()
            assert await state.journal() == []
            assert await state.journal(session="xdist-gw1") == []
            state.record(_entry(5))
            (after,) = await state.journal()
            assert after.seq > seqs[-1]  # the sequence goes on after a reset
            stats = await state.stats()
            assert stats["state"] == kind[0] and stats.get("status", "ok") == "ok"
        finally:
            await state.close()

    asyncio.run(scenario())


def test_state_bounds_and_idle_sessions(kind: tuple[str, str]) -> None:
    async def scenario() -> None:
        state = _state(*kind, journal_size=5, session_ttl=0.5)
        await state.open()
        try:
            for n in range(8):
                state.record(_entry(n, session="a" if n % 2 else "default"))
            everything = await state.journal() + await state.journal(session="a")
            assert sorted(_paths(everything)) == [f"/run/{n}" for n in range(3, 8)]
            assert (await state.stats())["journal_entries"] == 5
            await asyncio.sleep(1.2)
            state.record(_entry(8, session="b"))  # a's idle time is over
            await state.journal(session="b")
            assert await state.journal(session="a") == []
            assert _paths(await state.journal(session="b")) == ["/run/8"]
            assert len(await state.journal()) == 2  # the default session never expires
        finally:
            await state.close()

    asyncio.run(scenario())


def test_redis_byte_bound_drops_the_oldest_entries(redis_server: RedisProcess) -> None:
    redis_server.flush()
    blob = len(marshal.dumps(_entry(0).row()))

    async def scenario() -> tuple[list[str], int]:
        state = _state("redis", redis_server.url, journal_bytes=3 * blob + blob // 2)
        await state.open()
        try:
            for n in range(8):
                state.record(_entry(n))
            entries = await state.journal()
            return _paths(entries), (await state.stats())["journal_bytes"]
        finally:
            await state.close()

    paths, held = asyncio.run(scenario())
    assert paths == ["/run/5", "/run/6", "/run/7"]  # as many of the newest as fit
    assert held <= 3 * blob + blob // 2


def test_redis_away_keeps_a_bounded_buffer_and_says_degraded() -> None:
    async def scenario() -> None:
        nobody = f"redis://127.0.0.1:{free_port()}/0"
        state = _state("redis", nobody, state_buffer=5)
        await state.open()
        for n in range(8):
            state.record(_entry(n))
        await asyncio.sleep(0.3)
        stats = await state.stats()
        assert stats["status"] == "degraded"
        assert "unreachable" in stats["reason"] and nobody in stats["reason"]
        assert (stats["journal_pending"], stats["journal_dropped"]) == (5, 3)
        await state.close()

    asyncio.run(scenario())


# -- two real instances over one Redis


@pytest.fixture(scope="module")
def two_instances(redis_server: RedisProcess) -> Iterator[tuple[str, str]]:
    config = MockConfig(apis=("quiva",), state=redis_server.url, journal_size=50)
    with running(config) as (a, _), running(config) as (b, _):
        yield a, b


_CLIENTS: dict[str, httpx.Client] = {}


def _client(base: str) -> httpx.Client:
    """One kept-alive client per instance (a new connection per request costs ~100 ms)."""
    if base not in _CLIENTS:
        _CLIENTS[base] = httpx.Client(base_url=base, timeout=10)
    return _CLIENTS[base]


@pytest.fixture(autouse=True, scope="module")
def _close_clients() -> Iterator[None]:
    yield
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()


def _run(base: str, n: int, **headers: str) -> httpx.Response:
    body = {"trigger": {"n": n}}
    return _client(base).post(RUN, json=body, headers={**AUTH, **headers})


def _journal(base: str, **params: Any) -> list[dict[str, Any]]:
    answer = _client(base).get("/__mock/requests", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["requests"])


def _numbers(entries: list[dict[str, Any]]) -> list[int]:
    return [e["body"]["trigger"]["n"] for e in entries]


def _reset(base: str, **params: str) -> None:
    answer = _client(base).post("/__mock/reset", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text


def test_two_instances_are_one_journal_in_receive_order(two_instances: tuple[str, str]) -> None:
    a, b = two_instances
    _reset(a)
    for n in range(10):
        assert _run((a, b)[n % 2], n).status_code == 200
    time.sleep(0.05)  # b's own last entry is waited for; a's are written within ms
    seen_by_a, seen_by_b = _journal(a), _journal(b)
    assert _numbers(seen_by_a) == _numbers(seen_by_b) == list(range(10))
    seqs = [e["seq"] for e in seen_by_a]
    assert seqs == sorted(seqs) and len(set(seqs)) == 10
    assert seen_by_a[0]["headers"]["authorization"] != AUTH["Authorization"]  # masked
    assert _numbers(_journal(b, since=seqs[6])) == [7, 8, 9]  # a's seq, read from b
    assert _numbers(_journal(a, limit=3)) == [7, 8, 9]

    _reset(b)  # from either instance
    assert _journal(a) == [] and _journal(b) == []


def test_two_instances_keep_sessions_apart(two_instances: tuple[str, str]) -> None:
    a, b = two_instances
    _reset(a)
    assert _run(a, 1, **{"X-Mock-Session": "ci-job-1"}).status_code == 200
    # ?__session is taken out of the query before the API's validation sees it
    query = httpx.post(
        b + RUN + "?__session=ci-job-2", json={"trigger": {"n": 2}}, headers=AUTH, timeout=10
    )
    assert query.status_code == 200, query.text
    assert _run(b, 3).status_code == 200
    time.sleep(0.05)
    job1, job2 = _journal(b, session="ci-job-1"), _journal(a, session="ci-job-2")
    assert _numbers(job1) == [1] and _numbers(job2) == [2] and _numbers(_journal(a)) == [3]
    assert job2[0]["query"] == "" and job2[0]["session"] == "ci-job-2"

    # a default preference set on one instance, for one session, answers on the other
    prefer = httpx.put(
        a + "/__mock/prefer",
        json={"quiva": "code=400, example=ArchivedFlow"},
        headers={**ADMIN, "X-Mock-Session": "ci-job-1"},
        timeout=10,
    )
    assert prefer.status_code == 200, prefer.text
    deadline = time.monotonic() + 2
    while _run(b, 4, **{"X-Mock-Session": "ci-job-1"}).status_code != 400:
        assert time.monotonic() < deadline, "the preference never reached the other instance"
        time.sleep(0.01)
    assert _run(b, 5).status_code == 200  # the default session has none

    _reset(b, session="ci-job-1")
    assert _journal(a, session="ci-job-1") == []
    assert _numbers(_journal(a, session="ci-job-2")) == [2]
    assert _run(a, 6, **{"X-Mock-Session": "ci-job-1"}).status_code == 200  # preference gone
    bad = _run(a, 7, **{"X-Mock-Session": "no spaces"})
    assert bad.status_code == 400 and "session" in bad.text


def test_two_instances_share_the_bounds(two_instances: tuple[str, str]) -> None:
    a, b = two_instances
    _reset(a)
    for n in range(60):  # journal_size=50, for the whole
        assert _run((a, b)[n % 2], n).status_code == 200
    time.sleep(0.05)
    assert _numbers(_journal(a)) == list(range(10, 60))
    health = httpx.get(b + "/__mock/health", timeout=10).json()
    assert (health["status"], health["journal_entries"]) == ("ok", 50)


def test_redis_stopped_and_restarted_under_load(redis_server: RedisProcess) -> None:
    redis_server.flush()
    config = MockConfig(apis=("quiva",), state=redis_server.url, state_buffer=10_000)
    statuses: list[int] = []
    with running(config) as (base, _):
        _reset(base)
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(base_url=base, headers=AUTH, timeout=10) as client:
                n = 0
                while not stop.is_set() and n < 5_000:
                    statuses.append(client.post(RUN, json={"trigger": {"n": n}}).status_code)
                    n += 1

        sender = threading.Thread(target=load)
        sender.start()
        try:
            time.sleep(0.3)
            redis_server.stop()
            time.sleep(0.5)
            health = httpx.get(base + "/__mock/health", timeout=10).json()
            assert health["status"] == "degraded" and "unreachable" in health["reason"]
            assert health["journal_pending"] > 0
            redis_server.start()
            time.sleep(0.5)
        finally:
            stop.set()
            sender.join(30)
        deadline = time.monotonic() + 10
        while (health := httpx.get(base + "/__mock/health", timeout=10).json())["status"] != "ok":
            assert time.monotonic() < deadline, health
            time.sleep(0.05)
        assert health["journal_pending"] == 0 and health["journal_dropped"] == 0
        assert statuses and set(statuses) == {200}  # no API error while Redis was away
        assert _numbers(_journal(base, limit=10_000)) == list(range(len(statuses)))


# -- mockserver serve --workers 2


def test_two_workers_journal_each_request_once(redis_server: RedisProcess) -> None:
    redis_server.flush()
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-c", MAIN, "serve", "quiva", "--port", str(port)),
            *("--workers", "2", "--state", redis_server.url),
        ],
        cwd=SPECS.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 120
        while len(workers) < 2:  # each call on a new connection: the kernel spreads them
            assert time.monotonic() < deadline and process.poll() is None, workers
            try:
                workers.add(httpx.get(base + "/__mock/health", timeout=2).json()["worker"])
            except httpx.TransportError:
                time.sleep(0.1)
        # a burst of connections opened at once (as a load generator or a browser opens
        # them) is spread over both workers too
        burst = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(16)]
        for connection in burst:
            connection.connect()
        answered_by = []
        for connection in burst:
            connection.request("GET", "/__mock/health")
            answered_by.append(json.loads(connection.getresponse().read())["worker"])
            connection.close()
        assert len(set(answered_by)) == 2, answered_by
        for n in range(40):
            assert _run(base, n).status_code == 200
        time.sleep(0.1)  # the other worker's last entries are written within ms
        entries = _journal(base, limit=1000)
        assert sorted(_numbers(entries)) == list(range(40))  # all, each once
        assert len({e["seq"] for e in entries}) == 40
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert output.count("Ready.") == 1 and "2 processes sharing" in output


def test_serve_refuses_what_cannot_be_shared() -> None:
    nobody = f"redis://:secret@127.0.0.1:{free_port()}/0"
    for args, expected in (
        (["--workers", "2"], "--workers 2 needs a shared state"),
        (["--state", nobody], "Redis does not answer"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", MAIN, "serve", "quiva", *args],
            cwd=SPECS.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and expected in done.stderr
        assert "secret" not in done.stderr


# -- sessions with the memory state (pytest-xdist workers sharing one mock)


def test_sessions_keep_parallel_runs_apart_in_memory() -> None:
    with running(MockConfig(apis=("quiva",))) as (base, _):
        _reset(base)
        for n, worker in enumerate(("gw0", "gw1", "gw0")):
            assert _run(base, n, **{"X-Mock-Session": worker}).status_code == 200
        by_query = _client(base).post(
            RUN + "?__session=gw1&stream=false", json={"trigger": {"n": 3}}, headers=AUTH
        )
        assert by_query.status_code == 200, by_query.text
        gw0, gw1 = _journal(base, session="gw0"), _journal(base, session="gw1")
        assert _numbers(gw0) == [0, 2] and _numbers(gw1) == [1, 3]
        assert gw1[1]["query"] == "stream=false"  # __session taken out, the rest kept
        assert _journal(base) == []  # the default session saw none of it
        prefer = _client(base).put(
            "/__mock/prefer",
            json={"quiva": "code=400, example=ArchivedFlow"},
            headers={**ADMIN, "X-Mock-Session": "gw0"},
        )
        assert prefer.status_code == 200, prefer.text
        assert _run(base, 4, **{"X-Mock-Session": "gw0"}).status_code == 400
        assert _run(base, 5, **{"X-Mock-Session": "gw1"}).status_code == 200
        _reset(base, session="gw0")
        assert _journal(base, session="gw0") == []
        assert _numbers(_journal(base, session="gw1")) == [1, 3, 5]
        assert _run(base, 6, **{"X-Mock-Session": "gw0"}).status_code == 200
        assert _numbers(_journal(base, session="gw0")) == [6]


# -- the request path's own connection (`resp.RespPipe`)


def test_resp_pipe_reads_every_reply_kind_in_order(redis_server: RedisProcess) -> None:
    big = os.urandom(1 << 20)  # a reply that arrives in many reads

    async def scenario() -> list[object]:
        pipe = RespPipe(redis_server.url)
        try:
            calls = [
                pipe.call("SET", "resp:big", big),
                pipe.call("GET", "resp:big"),
                pipe.call("GET", "resp:absent"),
                pipe.call("INCRBY", "resp:n", 5),
                pipe.call("EVAL", "return {1, 'two', {3}}", 0),
                *(pipe.call("INCRBY", "resp:n", 1) for _ in range(50)),
            ]
            replies = list(await asyncio.gather(*calls))
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                await pipe.call("LPUSH", "resp:big", "x")
            replies.append(await pipe.call("PING"))  # still in step after an error
            await pipe.call("SCRIPT", "FLUSH")
            for _ in range(2):  # sent whole (NOSCRIPT), then by its SHA1
                replies.append(await pipe.script("return ARGV[1] .. ARGV[2]", "a", "b"))
            return replies
        finally:
            pipe.close()

    redis_server.flush()
    replies = asyncio.run(scenario())
    assert replies[:5] == [b"OK", big, None, 5, [1, b"two", [3]]]
    assert replies[5:55] == list(range(6, 56))  # each call its own reply, in order
    assert replies[55:] == [b"PONG", b"ab", b"ab"]


def test_resp_pipe_authenticates_selects_and_reconnects(redis_server: RedisProcess) -> None:
    admin = redis.Redis(port=redis_server.port)
    admin.acl_setuser("piper", enabled=True, passwords=["+s3cret"], keys=["*"], commands=["+@all"])
    url = f"redis://piper:s3cret@127.0.0.1:{redis_server.port}/3"

    async def scenario() -> tuple[object, object, object]:
        pipe = RespPipe(url)
        try:
            who = await pipe.call("ACL", "WHOAMI")
            await pipe.call("SET", "resp:where", "db3")
            admin.client_kill_filter(_id=str(await pipe.call("CLIENT", "ID")))
            await asyncio.sleep(0.2)  # the pipe sees its connection closed
            after = await pipe.call("PING")  # a new connection, authenticated again
            who_after = await pipe.call("ACL", "WHOAMI")
            return who, after, who_after
        finally:
            pipe.close()

    try:
        assert asyncio.run(scenario()) == (b"piper", b"PONG", b"piper")
        assert redis.Redis(port=redis_server.port, db=3).get("resp:where") == b"db3"
    finally:
        admin.acl_deluser("piper")
        admin.close()


def test_resp_pipe_says_unreachable_as_redis_py_does() -> None:
    async def scenario() -> None:
        pipe = RespPipe(f"redis://127.0.0.1:{free_port()}/0")
        await pipe.call("PING")

    with pytest.raises(redis.ConnectionError, match="cannot connect to Redis"):
        asyncio.run(scenario())


def test_resp_pipe_keeps_the_order_of_calls_made_while_it_connects(
    redis_server: RedisProcess,
) -> None:
    """A call made once the connection is up but before those made while it was being
    made are sent still goes after them (the numbering's order depends on it)."""

    async def scenario() -> list[object]:
        pipe = RespPipe(redis_server.url)
        try:
            first = [pipe.send("INCR", "resp:order") for _ in range(3)]  # not connected yet
            while pipe._protocol is None:  # the moment the connection is made
                await asyncio.sleep(0)
            later = pipe.send("INCR", "resp:order")
            return list(await asyncio.gather(*first, later))
        finally:
            pipe.close()

    redis_server.flush()
    assert asyncio.run(scenario()) == [1, 2, 3, 4]


def test_resp_pipe_transaction_answers_each_command(redis_server: RedisProcess) -> None:
    async def scenario() -> object:
        pipe = RespPipe(redis_server.url)
        try:
            return await pipe.transaction(
                [
                    command("SET", "resp:t", "x"),
                    encoded(("HSET", "resp:h"), [b"$1\r\na\r\n$2\r\n\r\n\r\n"], 2),
                    command("LPUSH", "resp:t", "y"),  # WRONGTYPE, when run
                    command("HGET", "resp:h", "a"),
                ]
            )
        finally:
            pipe.close()

    redis_server.flush()
    ok, added, wrong, value = cast(list[object], asyncio.run(scenario()))
    assert (ok, added, value) == (b"OK", 1, b"\r\n")  # a value holding CRLF, sent as is
    assert isinstance(wrong, redis.ResponseError) and "WRONGTYPE" in str(wrong)


def test_an_answer_waits_until_redis_has_numbered_its_request(redis_server: RedisProcess) -> None:
    """The request is handled without waiting for Redis, but its answer leaves only once
    Redis has numbered it: what keeps the order across instances (Redis does not read its
    connections strictly in the order data arrived on them)."""
    redis_server.flush()
    config = MockConfig(apis=("quiva",), state=redis_server.url)
    with running(config) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        assert _run(base, -1).status_code == 200
        assert redis_server.process is not None
        redis_server.process.send_signal(signal.SIGSTOP)
        thaw = threading.Timer(0.4, redis_server.process.send_signal, (signal.SIGCONT,))
        thaw.start()
        try:
            started = time.monotonic()
            answer = client.post(RUN, json={"trigger": {"n": 0}}, headers=AUTH)
            took = time.monotonic() - started
        finally:
            thaw.join()
        assert answer.status_code == 200
        assert took >= 0.35, f"answered after {took:.3f} s, while Redis was frozen"
        health = client.get("/__mock/health").json()
        assert health["status"] == "ok" and health["recorded_total"] >= 2


def test_a_refusal_by_the_protocol_waits_behind_a_held_answer(redis_server: RedisProcess) -> None:
    """On one connection while Redis is frozen: an API request, whose answer is then held
    until Redis numbers it, then one whose headers pass the protocol's cap (refused with
    431 by the protocol, which then closes the connection). The 431 goes behind the held
    answer, and the close waits for both."""
    redis_server.flush()
    config = MockConfig(apis=("quiva",), state=redis_server.url)
    with running(config) as (base, app):
        assert _run(base, -1).status_code == 200
        body = b'{"trigger": {"n": 0}}'
        first = (
            b"POST %b HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %b\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%b"
            % (RUN.encode(), AUTH["Authorization"].encode(), len(body), body)
        )
        huge = b"x" * (5 * app.config.max_header_size)
        second = b"GET /quiva/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %b\r\n\r\n" % huge
        port = int(base.rsplit(":", 1)[1])
        assert redis_server.process is not None
        redis_server.process.send_signal(signal.SIGSTOP)
        thaw = threading.Timer(0.8, redis_server.process.send_signal, (signal.SIGCONT,))
        thaw.start()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(first)
                time.sleep(0.3)  # answered, and held (Redis thaws at 0.8 s)
                sock.sendall(second)
                received = b""
                while chunk := sock.recv(65536):
                    received += chunk
        finally:
            thaw.join()
        statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
        assert statuses == [200, 431], received[:300]


def test_a_redis_on_a_unix_socket_is_one_journal_too(tmp_path: Path) -> None:
    """`--state unix:///PATH?db=N` (a Redis on the same host, no TCP port): two instances
    are one journal, and messages name the socket, never the password."""
    if REDIS_SERVER is None:
        pytest.skip("needs Debian's redis-server (.ci/run installs it)")
    sock = tmp_path / "redis.sock"
    server = subprocess.Popen(
        [
            *(REDIS_SERVER, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.02)
        url = f"unix://{sock}?db=2"
        config = MockConfig(apis=("quiva",), state=url)
        with running(config) as (a, _), running(config) as (b, _):
            _reset(a)  # (`running`'s own probes)
            for n in range(4):
                assert _run((a, b)[n % 2], n).status_code == 200
            time.sleep(0.05)
            assert _numbers(_journal(a)) == _numbers(_journal(b)) == [0, 1, 2, 3]
            health = httpx.get(a + "/__mock/health", timeout=10).json()
            assert health["redis"] == f"unix://{sock}?db=2"
        assert redis.Redis(unix_socket_path=str(sock), db=2).zcard("flowcontract:all") == 4
        nobody = f"unix://:secret@{tmp_path / 'absent.sock'}?db=0"
        done = subprocess.run(
            [sys.executable, "-c", MAIN, "serve", "quiva", "--state", nobody],
            cwd=SPECS.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"unix://{tmp_path / 'absent.sock'}?db=0" in done.stderr
        assert "Redis does not answer" in done.stderr and "secret" not in done.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_redis_over_tls_with_its_own_ca(tmp_path: Path) -> None:
    """`rediss://...?ssl_ca_certs=CA` (a Redis with a certificate of its own CA): the
    numbering and the writes trust what the URL says, as redis-py does."""
    if REDIS_SERVER is None or shutil.which("openssl") is None:
        pytest.skip("needs Debian's redis-server and openssl (.ci/run installs them)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            *(REDIS_SERVER, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
            *("--tls-cert-file", str(cert), "--tls-key-file", str(key)),
            *("--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        _answering(client, server)
        with running(MockConfig(apis=("quiva",), state=url)) as (base, _):
            _reset(base)
            for n in range(3):
                assert _run(base, n).status_code == 200
            assert _numbers(_journal(base)) == [0, 1, 2]
            health = httpx.get(base + "/__mock/health", timeout=10).json()
            assert health["status"] == "ok", health
        assert client.zcard("flowcontract:all") == 3
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
