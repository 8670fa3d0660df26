"""`RedisState`: the `State` interface over Redis, so several workers and instances of the
mock are one mock: one journal in receive order, one reset, one set of sessions.

Layout, every key under `flowcontract:` (a Lua script changes them, so each change is
atomic for every instance):

- `seq`: the global sequence; each entry's `seq` is given by `INCRBY` when it is written.
- `e`: a hash, seq → the entry (`marshal`led `JournalEntry.row()`, secrets already
  masked by `redact.py` when the entry was made).
- `all`: a sorted set of `"<seq> <session>"` by seq, the whole journal's order, from which
  the bounds (entries, and bytes counted in `bytes`) drop the oldest.
- `s:<session>`: a sorted set of the session's seqs (what `?session=NAME` reads).
- `sessions`: a sorted set of session names by their last activity (Redis's clock); an
  idle one past the TTL is dropped, its entries and preferences with it.
- `prefer`: a hash, session → its default preferences as JSON; a change is published on
  the `events` channel, and each instance keeps a local copy the request path reads.

Writes leave the request path: `record` puts the entry in a local buffer and the writer
task sends what has gathered in 5 ms in one script call (`EVALSHA`). Each request is
numbered as it is received (`sequence`: one `INCRBY` for the requests received in one turn
of the event loop), so the order is the order received across instances although entries
are written later. Both travel on plain RESP connections (`resp.RespPipe`); redis-py
serves the admin API and the preferences' channel. While Redis cannot be reached, the
buffer keeps up to `buffer_size` entries (the oldest dropped beyond it, and counted),
`/__mock/health` says `degraded` with the reason, and the writer retries until Redis is
back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import marshal
from collections import deque
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from contracts.errors import UsageError
from contracts.scenarios import Fixture, Scenarios

from .config import MockConfig
from .negotiate import Preference
from .resp import RespPipe
from .sessions import DEFAULT_SESSION
from .state import JournalEntry, StateUnavailable, initial_fixtures

__all__ = ["RedisState", "check_reachable", "redis_location"]

log = logging.getLogger("mockserver")

_PREFIX = "flowcontract:"
_BATCH = 256  # entries one script call writes at most
_GATHER = 0.005  # seconds the writer waits for more entries before it writes (~70 µs a call)
_NUMBER_TIMEOUT = 2.0  # seconds a numbering INCRBY may take before Redis counts as away
_WRITE_TIMEOUT = 5.0  # seconds one script call writing entries may take
_RETRY_DELAY = 0.2  # seconds between two tries of an unreachable Redis
_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)

# Drops a session's entries (keys: e, all, bytes, s:<session>).
_DROP_SESSION = """
local function drop_session(p, session)
  local index = p .. 's:' .. session
  local seqs = redis.call('ZRANGE', index, 0, -1)
  local freed = 0
  for _, seq in ipairs(seqs) do
    freed = freed + redis.call('HSTRLEN', p .. 'e', seq)
    redis.call('HDEL', p .. 'e', seq)
    redis.call('ZREM', p .. 'all', seq .. ' ' .. session)
  end
  redis.call('DEL', index)
  if freed > 0 then redis.call('DECRBY', p .. 'bytes', freed) end
end
"""

# ARGV: prefix, size, max bytes, ttl, default session, then (session, seq, entry) for
# each entry; a seq of 0 (taken while Redis was away) is given here. Returns the seqs.
_RECORD = (
    _DROP_SESSION
    + """
local p = ARGV[1]
local size, max_bytes, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local default = ARGV[5]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local given, added = {}, 0
local blobs, order, by_session = {}, {}, {}  -- one variadic call each, not one per entry
for i = 6, #ARGV, 3 do
  local session, seq, blob = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if seq == 0 then seq = redis.call('INCR', p .. 'seq') end
  given[#given + 1] = seq
  blobs[#blobs + 1] = seq
  blobs[#blobs + 1] = blob
  order[#order + 1] = seq
  order[#order + 1] = seq .. ' ' .. session
  local index = by_session[session]
  if index == nil then index = {}; by_session[session] = index end
  index[#index + 1] = seq
  index[#index + 1] = seq
  added = added + #blob
end
if #given > 0 then
  redis.call('HSET', p .. 'e', unpack(blobs))
  redis.call('ZADD', p .. 'all', unpack(order))
  for session, index in pairs(by_session) do
    redis.call('ZADD', p .. 's:' .. session, unpack(index))
    redis.call('ZADD', p .. 'sessions', now, session)
  end
end
local bytes = redis.call('INCRBY', p .. 'bytes', added)
local function drop(oldest)
  if #oldest == 0 then return 0 end
  local freed, seqs, gone = 0, {}, {}
  for j = 1, #oldest, 2 do
    local seq, session = string.match(oldest[j], '^(%d+) (.+)$')
    freed = freed + redis.call('HSTRLEN', p .. 'e', seq)
    seqs[#seqs + 1] = seq
    local index = gone[session]
    if index == nil then index = {}; gone[session] = index end
    index[#index + 1] = seq
  end
  redis.call('HDEL', p .. 'e', unpack(seqs))
  for session, index in pairs(gone) do redis.call('ZREM', p .. 's:' .. session, unpack(index)) end
  if freed > 0 then bytes = redis.call('DECRBY', p .. 'bytes', freed) end
  return #oldest
end
local excess = redis.call('ZCARD', p .. 'all') - size
while excess > 0 do  -- at most 1,000 at a time: Lua's unpack has a bound
  local n = math.min(excess, 1000)
  drop(redis.call('ZPOPMIN', p .. 'all', n))
  excess = excess - n
end
while bytes > max_bytes do
  if drop(redis.call('ZPOPMIN', p .. 'all')) == 0 then break end
end
local changed = false
for _, session in ipairs(redis.call('ZRANGEBYSCORE', p .. 'sessions', '-inf', '(' .. (now - ttl))) do
  if session ~= default then
    drop_session(p, session)
    redis.call('ZREM', p .. 'sessions', session)
    if redis.call('HDEL', p .. 'prefer', session) > 0 then changed = true end
  end
end
if changed then redis.call('PUBLISH', p .. 'events', 'prefer') end
return given
"""
)

# ARGV: prefix, session ('' for every session), the default session (kept in `sessions`).
_RESET = (
    _DROP_SESSION
    + """
local p = ARGV[1]
local session = ARGV[2]
if session == '' then
  for _, name in ipairs(redis.call('ZRANGE', p .. 'sessions', 0, -1)) do
    redis.call('DEL', p .. 's:' .. name)
  end
  redis.call('DEL', p .. 'e', p .. 'all', p .. 'bytes', p .. 'sessions', p .. 'prefer')
else
  drop_session(p, session)
  redis.call('HDEL', p .. 'prefer', session)
  if session ~= ARGV[3] then redis.call('ZREM', p .. 'sessions', session) end
end
redis.call('PUBLISH', p .. 'events', 'prefer')
return 1
"""
)

# ARGV: prefix, session, preferences as JSON ('' to clear them).
_PREFER = """
local p = ARGV[1]
if ARGV[3] == '' then
  redis.call('HDEL', p .. 'prefer', ARGV[2])
else
  redis.call('HSET', p .. 'prefer', ARGV[2], ARGV[3])
end
local clock = redis.call('TIME')
redis.call('ZADD', p .. 'sessions', tonumber(clock[1]) + tonumber(clock[2]) / 1000000, ARGV[2])
redis.call('PUBLISH', p .. 'events', 'prefer')
return 1
"""


def redis_location(url: str) -> str:
    """`redis://HOST:PORT/DB` without the credentials a URL may carry (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path or '/0'}"


def check_reachable(url: str, timeout: float = 2.0) -> None:
    """A `UsageError` naming the address (never its password) when Redis does not answer."""
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
    except ValueError as exc:
        raise UsageError(f"--state {redis_location(url)}: {exc}") from None
    try:
        client.ping()
    except (*_UNREACHABLE, redis.RedisError) as exc:
        raise UsageError(f"--state {redis_location(url)}: Redis does not answer: {exc}") from None
    finally:
        client.close()


def _preferences_from(raw: bytes | str) -> dict[str, Preference]:
    described = json.loads(raw)
    return {
        api: Preference(code, example, dynamic)
        for api, (code, example, dynamic) in described.items()
    }


class RedisState:
    """Journal, sessions and default preferences in Redis; fixtures read-only, local."""

    kind = "redis"

    def __init__(
        self, url: str, scenarios: Mapping[str, Scenarios | None], config: MockConfig
    ) -> None:
        self.location = redis_location(url)
        self._url = url
        self._fixtures = initial_fixtures(scenarios)
        self._limits = (config.journal_size, config.journal_bytes, config.session_ttl)
        self._buffer_size = config.state_buffer
        self._pending: deque[JournalEntry] = deque()
        self._in_flight = 0
        self._dropped = 0
        self._problem: str | None = None  # why Redis cannot be used now
        # entries numbered when written (kept while Redis was away) are still unwritten
        self._catching_up = False
        # requests given seq 0 (numbered when written) whose entries are not recorded yet:
        # until they are, later requests are numbered when written too, after them
        self._provisional = 0
        self._preferences: dict[str, dict[str, Preference]] = {}
        self._client: aioredis.Redis | None = None
        self._wake: asyncio.Event | None = None
        self._drained: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._numbering: list[asyncio.Future[int]] = []  # this turn's requests to number
        # the numbering's INCRBY and the journal's writes: see `resp` for why not redis-py
        self._pipe, self._writes = RespPipe(url), RespPipe(url)
        self.sequence = self._sequence

    # -- the request path: never waits for Redis

    def fixture(self, api: str, workflow_id: str, session: str = DEFAULT_SESSION) -> Fixture | None:
        return self._fixtures.get(api, {}).get(workflow_id)

    def record(self, entry: JournalEntry) -> None:
        if self._wake is None:
            self._start()
        if entry.seq == 0:  # numbered when written: so is every request until it is
            self._provisional = max(self._provisional - 1, 0)
            self._catching_up = True
        self._pending.append(entry)
        if len(self._pending) > self._buffer_size:
            self._pending.popleft()
            self._dropped += 1
            if self._dropped == 1:
                log.warning(
                    "journal buffer full (%d entries) while %s: the oldest entries are dropped",
                    self._buffer_size,
                    self._problem,
                )
        assert self._wake is not None and self._drained is not None
        self._drained.clear()
        self._wake.set()

    def preferences(self, session: str = DEFAULT_SESSION) -> Mapping[str, Preference]:
        return self._preferences.get(session, {})

    async def _sequence(self) -> int:
        """The request's place in the one order, taken as it is received, before its answer
        is sent: a request answered before another was sent comes first, whichever instance
        answered each. The requests received in one turn of the event loop share one
        `INCRBY`, sent at the turn's end without waiting for the previous one (Redis answers
        them in the order sent). 0 while Redis is away and until what was kept meanwhile
        is written: those entries are numbered as they are written, in the order received,
        and so is every request received before the last of them is recorded (numbered on
        receipt, it would come before one received earlier)."""
        if self._problem is not None or self._catching_up or self._provisional:
            self._provisional += 1
            return 0
        loop = asyncio.get_running_loop()
        waiting = loop.create_future()
        if not self._numbering:
            loop.call_soon(self._number)
        self._numbering.append(waiting)
        seq: int = await waiting
        return seq

    def _number(self) -> None:
        batch, self._numbering = self._numbering, []
        reply = self._pipe.send("INCRBY", f"{_PREFIX}seq", len(batch))
        timer = asyncio.get_running_loop().call_later(_NUMBER_TIMEOUT, reply.cancel)
        reply.add_done_callback(lambda done: self._numbered(batch, done, timer))

    def _numbered(
        self,
        batch: list[asyncio.Future[int]],
        reply: asyncio.Future[Any],
        timer: asyncio.TimerHandle,
    ) -> None:
        timer.cancel()
        if reply.cancelled() or reply.exception() is not None:
            cause = reply.exception() if not reply.cancelled() else None
            cause = cause or TimeoutError(f"no answer to INCRBY in {_NUMBER_TIMEOUT:g} s")
            self._problem = self._problem or self._unreachable(cause)
            self._catching_up = True
        if self._problem is not None or self._catching_up or self._provisional:
            # This batch failed, or an earlier one did (its INCRBY was out, pipelined, when
            # this one was sent): numbered when written, after the requests before it.
            for waiting in batch:
                if not waiting.done():  # (a cancelled request's is)
                    self._provisional += 1
                    waiting.set_result(0)
            return
        first = int(reply.result()) - len(batch) + 1
        for seq, waiting in enumerate(batch, start=first):
            if not waiting.done():
                waiting.set_result(seq)

    # -- the admin API

    async def set_preferences(self, session: str, chosen: Mapping[str, Preference]) -> None:
        described = {api: [p.code, p.example, p.dynamic] for api, p in chosen.items()}
        await self._call(_PREFER, session, json.dumps(described) if described else "")
        if chosen:
            self._preferences[session] = dict(chosen)
        else:
            self._preferences.pop(session, None)

    async def journal(
        self,
        api: str | None = None,
        *,
        session: str = DEFAULT_SESSION,
        since: int = 0,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        client = await self._written()
        index = f"{_PREFIX}s:{session}"
        try:
            found: list[Any]
            if limit is not None and api is None:
                found = await client.zrevrangebyscore(
                    index, "+inf", f"({since}", start=0, num=limit
                )
                found.reverse()
            else:
                found = await client.zrangebyscore(index, f"({since}", "+inf")
            seqs = [int(seq) for seq in cast("list[bytes]", found)]
            entries: list[JournalEntry] = []
            for start in range(0, len(seqs), 1000):
                chunk = seqs[start : start + 1000]
                blobs: list[Any] = await client.hmget(f"{_PREFIX}e", chunk)
                for seq, blob in zip(chunk, blobs, strict=True):
                    if blob is None:  # dropped by the bounds meanwhile
                        continue
                    entry = JournalEntry(*marshal.loads(blob))
                    entry.seq = seq
                    if api is None or entry.api == api:
                        entries.append(entry)
        except _UNREACHABLE as exc:
            raise StateUnavailable(self._unreachable(exc)) from None
        return entries[-limit:] if limit is not None and len(entries) > limit else entries

    async def reset(self, session: str | None = None) -> None:
        await self._written()
        await self._call(_RESET, session or "", DEFAULT_SESSION)
        if session is None:
            self._preferences.clear()
        else:
            self._preferences.pop(session, None)

    async def stats(self) -> dict[str, Any]:
        figures: dict[str, Any] = {"state": self.kind, "redis": self.location}
        client = self._connected()
        try:
            async with client.pipeline(transaction=False) as pipe:
                pipe.zcard(f"{_PREFIX}all")
                pipe.get(f"{_PREFIX}bytes")
                pipe.get(f"{_PREFIX}seq")
                pipe.zcard(f"{_PREFIX}sessions")
                entries, size, seq, sessions = await pipe.execute()
            figures.update(
                journal_entries=entries,
                journal_bytes=int(size or 0),
                recorded_total=int(seq or 0),
                sessions=max(sessions, 1),
            )
            if not self._pending and not self._in_flight:
                self._problem, self._catching_up = None, False  # back, nothing left to write
        except _UNREACHABLE as exc:
            self._problem = self._problem or self._unreachable(exc)
            self._catching_up = True
        figures.update(journal_pending=len(self._pending) + self._in_flight)
        figures.update(journal_dropped=self._dropped)
        if self._problem is not None:
            figures.update(status="degraded", reason=self._problem)
        return figures

    async def open(self) -> None:
        self._start()

    async def close(self) -> None:
        """Write what is pending (for up to 5 seconds while Redis answers), then stop."""
        if self._drained is not None and self._pending and self._problem is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), 5.0)
        if self._pending:
            log.warning("%d journal entries not written: %s", len(self._pending), self._problem)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._pipe.close()
        self._writes.close()
        self._wake = self._drained = None

    # -- behind

    def _connected(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                self._url,
                socket_connect_timeout=1.0,
                socket_timeout=2.0,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
        return self._client

    def _start(self) -> None:
        """The writer and the preferences' listener, in the running event loop."""
        if self._wake is not None:
            return
        self._wake, self._drained = asyncio.Event(), asyncio.Event()
        self._drained.set()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._write()), loop.create_task(self._listen())]

    def _unreachable(self, exc: BaseException) -> str:
        return f"Redis at {self.location} unreachable: {exc}"

    async def _call(self, script: str, *args: str) -> Any:
        client = self._connected()
        try:
            return await client.eval(script, 0, _PREFIX, *args)
        except _UNREACHABLE as exc:
            raise StateUnavailable(self._unreachable(exc)) from None

    async def _written(self) -> aioredis.Redis:
        """The client, once the entries recorded before this call are in Redis (or after a
        second: another instance's entries are never waited for)."""
        if self._problem is None and self._drained is not None and not self._drained.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), 1.0)
        return self._connected()

    async def _write(self) -> None:
        assert self._wake is not None and self._drained is not None
        size, max_bytes, ttl = self._limits
        limits = (_PREFIX, str(size), str(max_bytes), str(ttl), DEFAULT_SESSION)
        while True:
            await self._wake.wait()
            if len(self._pending) < _BATCH:  # gather: one script call for many requests
                await asyncio.sleep(_GATHER)
            self._wake.clear()
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(_BATCH, len(self._pending)))]
                self._in_flight = len(batch)
                args: list[str | bytes] = list(limits)
                for entry in batch:
                    args += (entry.session, str(entry.seq), marshal.dumps(entry.row()))
                try:
                    async with asyncio.timeout(_WRITE_TIMEOUT):
                        given = cast(list[int], await self._writes.script(_RECORD, *args))
                except (*_UNREACHABLE, redis.RedisError) as exc:
                    if self._problem is None:
                        log.warning("%s; journal entries kept locally until it is back", exc)
                    self._problem = self._unreachable(exc)
                    self._catching_up = True
                    self._pending.extendleft(reversed(batch))
                    while len(self._pending) > self._buffer_size:
                        self._pending.popleft()
                        self._dropped += 1
                    self._in_flight = 0
                    await asyncio.sleep(_RETRY_DELAY)
                    continue
                self._in_flight = 0
                for entry, seq in zip(batch, given, strict=True):
                    entry.seq = int(seq)
                if self._problem is not None:
                    log.warning("Redis at %s is back: journal entries written", self.location)
                    self._problem = None
            self._catching_up = False
            self._drained.set()

    async def _load_preferences(self) -> None:
        stored = await self._connected().hgetall(f"{_PREFIX}prefer")
        self._preferences = {
            (name.decode() if isinstance(name, bytes) else name): _preferences_from(raw)
            for name, raw in stored.items()
        }

    async def _listen(self) -> None:
        """Keep the local preferences as Redis has them: reload on each published change,
        and after each reconnection."""
        while True:
            try:
                async with self._connected().pubsub() as pubsub:
                    await pubsub.subscribe(f"{_PREFIX}events")
                    await self._load_preferences()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._load_preferences()
            except _UNREACHABLE:
                await asyncio.sleep(_RETRY_DELAY)
