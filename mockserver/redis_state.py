"""`RedisState`: the `State` interface over Redis, so several workers and instances of the
mock are one mock: one journal in receive order, one reset, one set of sessions.

Layout, every key under `flowcontract:`:

- `seq`: the global sequence (`INCRBY`).
- `e`: a hash, seq → the entry (`marshal`led `JournalEntry.row()`, secrets already
  masked by `redact.py` when the entry was made).
- `all`: a sorted set of `"<seq> <bytes> <session>"` by seq, the whole journal's order, from
  which the bounds (entries, and bytes counted in `bytes`) drop the oldest.
- `s:<session>`: a sorted set of the session's seqs (what `?session=NAME` reads).
- `sessions`: a sorted set of session names by their last activity (the writer's clock);
  an idle one past the TTL is dropped, its entries and preferences with it.
- `prefer`: a hash, session → its default preferences as JSON; a change is published on
  the `events` channel, and each instance keeps a local copy the request path reads.

Numbering: each request is numbered as it is received, by one `INCRBY` for the requests
received in one turn of the event loop (the HTTP protocol calls `numbering` as each head
arrives). The request goes on meanwhile; its answer is held, by the protocol's transport,
until Redis has answered that `INCRBY` (`before_answer`): so a request answered before
another was sent has the smaller number, whichever instance answered each.

Writes leave the request path: `record` puts the entry in a local buffer and the writer
sends what gathered in 5 ms as one transaction of plain commands (`HSET`, `ZADD`, `INCRBY`;
the entries never pass through Lua, where each KB costs Redis about a microsecond), ending
with a small script that keeps the bounds and drops idle sessions. Numbering and writes
travel on plain RESP connections (`resp.RespPipe`); redis-py serves the admin API and the
preferences' channel. While Redis cannot be reached, the buffer keeps up to `buffer_size`
entries (the oldest dropped beyond it, and counted), `/__mock/health` says `degraded` with
the reason, requests are numbered when written (after those kept), and the writer retries
until Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import marshal
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from contracts.errors import UsageError
from contracts.scenarios import Fixture, Scenarios

from .asgi import RequestNote
from .config import MockConfig
from .negotiate import Preference
from .resp import RespPipe, command, encoded
from .sessions import DEFAULT_SESSION
from .state import JournalEntry, StateUnavailable, initial_fixtures

__all__ = ["RedisState", "check_reachable", "redis_location"]

log = logging.getLogger("mockserver")

_PREFIX = "flowcontract:"
_SEQ, _ENTRIES, _ALL, _BYTES, _SESSIONS = (
    f"{_PREFIX}{key}" for key in ("seq", "e", "all", "bytes", "sessions")
)
_BATCH = 512  # entries one transaction writes at most
_GATHER = 0.005  # seconds the writer waits for more entries before it writes
_SWEEP = 1.0  # seconds between two looks for idle sessions (by one writer)
_NUMBER_TIMEOUT = 2.0  # seconds a numbering INCRBY may take before Redis counts as away
_WRITE_TIMEOUT = 5.0  # seconds one transaction writing entries may take
_RETRY_DELAY = 0.2  # seconds between two tries of an unreachable Redis
_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)
# RequestNote.seq while its INCRBY is out: its entry not recorded yet, or recorded
_ASKED, _ASKED_RECORDED = -1, -2

# Drops a session's entries (keys: e, all, bytes, s:<session>).
_DROP_SESSION = """
local function drop_session(p, session)
  local index = p .. 's:' .. session
  local seqs = redis.call('ZRANGE', index, 0, -1)
  local freed = 0
  for start = 1, #seqs, 1000 do  -- Lua's unpack has a bound
    local chunk, members = {}, {}
    for i = start, math.min(start + 999, #seqs) do
      local size = redis.call('HSTRLEN', p .. 'e', seqs[i])
      freed = freed + size
      chunk[#chunk + 1] = seqs[i]
      members[#members + 1] = seqs[i] .. ' ' .. size .. ' ' .. session
    end
    redis.call('HDEL', p .. 'e', unpack(chunk))
    redis.call('ZREM', p .. 'all', unpack(members))
  end
  redis.call('DEL', index)
  if freed > 0 then redis.call('DECRBY', p .. 'bytes', freed) end
end
"""

# The bounds, then the idle sessions. ARGV: prefix, size, max bytes, idle before (a time;
# 0: do not look), the default session (never dropped).
_TIDY = (
    _DROP_SESSION
    + """
local p = ARGV[1]
local size, max_bytes, idle_before = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local default = ARGV[5]
local bytes = tonumber(redis.call('GET', p .. 'bytes') or '0')
local function drop(oldest)  -- `all`'s oldest members, with their scores
  if #oldest == 0 then return 0 end
  local freed, seqs, newest = 0, {}, {}
  for j = 1, #oldest, 2 do
    local seq, n, session = string.match(oldest[j], '^(%d+) (%d+) (.*)$')
    freed = freed + tonumber(n)
    seqs[#seqs + 1] = seq
    newest[session] = seq  -- in order: the session's newest entry dropped
  end
  redis.call('HDEL', p .. 'e', unpack(seqs))
  for session, seq in pairs(newest) do
    redis.call('ZREMRANGEBYSCORE', p .. 's:' .. session, '-inf', seq)
  end
  bytes = redis.call('DECRBY', p .. 'bytes', freed)
  return #oldest
end
local excess = redis.call('ZCARD', p .. 'all') - size
while excess > 0 do
  local n = math.min(excess, 1000)
  drop(redis.call('ZPOPMIN', p .. 'all', n))
  excess = excess - n
end
while bytes > max_bytes do
  if drop(redis.call('ZPOPMIN', p .. 'all')) == 0 then break end
end
if idle_before > 0 then
  local changed = false
  for _, session in ipairs(redis.call('ZRANGEBYSCORE', p .. 'sessions', '-inf', '(' .. idle_before)) do
    if session ~= default then
      drop_session(p, session)
      redis.call('ZREM', p .. 'sessions', session)
      if redis.call('HDEL', p .. 'prefer', session) > 0 then changed = true end
    end
  end
  if changed then redis.call('PUBLISH', p .. 'events', 'prefer') end
end
return 1
"""
)
_TIDY_SHA = hashlib.sha1(_TIDY.encode()).hexdigest()

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

# ARGV: prefix, session, preferences as JSON ('' to clear them), now.
_PREFER = """
local p = ARGV[1]
if ARGV[3] == '' then
  redis.call('HDEL', p .. 'prefer', ARGV[2])
else
  redis.call('HSET', p .. 'prefer', ARGV[2], ARGV[3])
end
redis.call('ZADD', p .. 'sessions', ARGV[4], ARGV[2])
redis.call('PUBLISH', p .. 'events', 'prefer')
return 1
"""


def redis_location(url: str) -> str:
    """`redis://HOST:PORT/DB` (or `unix:///PATH?db=N`) without the credentials a URL may
    carry (for messages)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        db = parse_qs(parts.query).get("db", ["0"])[0]
        return f"unix://{parts.path}?db={db}"
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
        # recorded entries, each with its request's note while its number is out
        self._pending: deque[tuple[JournalEntry, RequestNote | None]] = deque()
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
        self._answered: asyncio.Event | None = None  # a numbering INCRBY answered
        self._tasks: list[asyncio.Task[None]] = []
        self._numbering: list[RequestNote] = []  # received, their INCRBY not sent yet
        self._last_numbering: asyncio.Future[Any] | None = None  # the last INCRBY sent
        self._sent = 0  # numbering INCRBYs sent (a serial number for each)
        self._forced_through = 0  # those up to this one are numbered when written
        self._swept = 0.0
        # the numbering's INCRBY and the journal's writes: see `resp` for why not redis-py
        self._pipe, self._writes = RespPipe(url), RespPipe(url)
        self.numbering = self._number

    # -- the request path: never waits for Redis (an answer may: `before_answer`)

    def fixture(self, api: str, workflow_id: str, session: str = DEFAULT_SESSION) -> Fixture | None:
        return self._fixtures.get(api, {}).get(workflow_id)

    def record(self, entry: JournalEntry, note: RequestNote | None = None) -> None:
        if self._wake is None:
            self._start()
        seq = note.seq if note is not None else entry.seq
        if seq == _ASKED:
            note.seq = _ASKED_RECORDED  # type: ignore[union-attr]
        elif seq == 0:  # numbered when written: so is every request until it is
            self._provisional = max(self._provisional - 1, 0)
            self._catching_up = True
        elif seq > 0:
            entry.seq = seq
        self._pending.append((entry, note if seq < 0 else None))
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

    def _number(self, note: RequestNote) -> None:
        """Number a request as it is received, into `note.seq` once Redis answers (the
        request goes on meanwhile). The requests received in one turn of the event loop
        share one `INCRBY`, sent by `before_answer`. 0 while Redis is away and until what
        was kept meanwhile is written: those entries are numbered as they are written, in
        the order recorded, and so is every request received before the last of them is
        recorded (numbered on receipt, it would come before one recorded earlier)."""
        if self._problem is not None or self._catching_up or self._provisional:
            self._provisional += 1
            return
        note.seq = _ASKED
        if not self._numbering:
            asyncio.get_running_loop().call_soon(self.before_answer)
        self._numbering.append(note)

    def before_answer(self) -> asyncio.Future[Any] | None:
        """Send the numbering of the requests received so far; what an answer about to
        leave must wait for: the last numbering `INCRBY` while Redis has not answered it
        (None once it has). Called by the HTTP protocol's transport before the first byte
        of each answer, and at the end of each turn of the loop in which requests were
        received. Each `INCRBY` is sent without waiting for the one before (Redis answers
        a connection's commands in the order sent)."""
        if self._numbering:
            batch, self._numbering = self._numbering, []
            self._sent += 1
            sent = self._sent
            reply = self._pipe.send("INCRBY", _SEQ, len(batch))
            timer = asyncio.get_running_loop().call_later(_NUMBER_TIMEOUT, reply.cancel)
            reply.add_done_callback(lambda done: self._numbered(batch, sent, done, timer))
            self._last_numbering = reply
        last = self._last_numbering
        return last if last is not None and not last.done() else None

    def _numbered(
        self,
        batch: list[RequestNote],
        sent: int,
        reply: asyncio.Future[Any],
        timer: asyncio.TimerHandle,
    ) -> None:
        timer.cancel()
        if self._answered is not None:
            self._answered.set()
        if reply.cancelled() or reply.exception() is not None:
            cause = reply.exception() if not reply.cancelled() else None
            cause = cause or TimeoutError(f"no answer to INCRBY in {_NUMBER_TIMEOUT:g} s")
            self._problem = self._problem or self._unreachable(cause)
            self._catching_up = True
        if (
            self._problem is not None
            or self._catching_up
            or self._provisional
            or sent <= self._forced_through
        ):
            # This batch failed, or Redis is away or what was kept meanwhile is not all
            # written, or an earlier batch was numbered when written (this one's INCRBY was
            # out then, pipelined): numbered when written, after the requests before it. So
            # is every batch out now, whatever happens meanwhile (their requests were
            # received after this one's).
            self._forced_through = self._sent
            for note in batch:
                if note.seq == _ASKED:  # its entry is not recorded yet
                    self._provisional += 1
                note.seq = 0
            self._catching_up = True
            return
        first = int(reply.result()) - len(batch) + 1
        for seq, note in enumerate(batch, start=first):
            note.seq = seq

    # -- the admin API

    async def set_preferences(self, session: str, chosen: Mapping[str, Preference]) -> None:
        described = {api: [p.code, p.example, p.dynamic] for api, p in chosen.items()}
        await self._call(
            _PREFER, session, json.dumps(described) if described else "", repr(time.time())
        )
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
                blobs: list[Any] = await client.hmget(_ENTRIES, chunk)
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
                pipe.zcard(_ALL)
                pipe.get(_BYTES)
                pipe.get(_SEQ)
                pipe.zcard(_SESSIONS)
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
        await self._pipe.aclose()
        await self._writes.aclose()
        self._wake = self._drained = self._answered = None

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
        self._answered = asyncio.Event()
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
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                if len(self._pending) < _BATCH:  # gather: one transaction for many requests
                    await asyncio.sleep(_GATHER)
                batch = self._numbered_entries()
                if not batch:  # the first one's INCRBY is out: answered (or failed) in 2 s
                    assert self._answered is not None
                    self._answered.clear()
                    await self._answered.wait()
                    continue
                self._in_flight = len(batch)
                try:
                    async with asyncio.timeout(_WRITE_TIMEOUT):
                        await self._send(batch)
                except (*_UNREACHABLE, redis.RedisError) as exc:
                    if self._problem is None:
                        log.warning("%s; journal entries kept locally until it is back", exc)
                    self._problem = self._unreachable(exc)
                    self._catching_up = True
                    self._pending.extendleft((entry, None) for entry in reversed(batch))
                    while len(self._pending) > self._buffer_size:
                        self._pending.popleft()
                        self._dropped += 1
                    self._in_flight = 0
                    await asyncio.sleep(_RETRY_DELAY)
                    continue
                self._in_flight = 0
                if self._problem is not None:
                    log.warning("Redis at %s is back: journal entries written", self.location)
                    self._problem = None
            self._catching_up = False
            self._drained.set()

    def _numbered_entries(self) -> list[JournalEntry]:
        """The pending entries, in the order recorded, up to the first whose `INCRBY` is
        still out (at most `_BATCH`): one numbered when written must not pass it, as it
        may be numbered when written too."""
        batch: list[JournalEntry] = []
        pending = self._pending
        while pending and len(batch) < _BATCH:
            entry, note = pending[0]
            if note is not None:
                if note.seq < 0:
                    break
                entry.seq = note.seq
            pending.popleft()
            batch.append(entry)
        return batch

    async def _send(self, batch: list[JournalEntry]) -> None:
        """One transaction: the entries, their places in the orders, the bytes, the
        sessions' activity, then the bounds (`_TIDY`). Entries numbered when written get
        their numbers first, in the order recorded. Written again after a failure, an
        entry keeps its number: only `bytes` may count it twice (the bounds then drop a
        little early)."""
        unnumbered = [entry for entry in batch if entry.seq == 0]
        if unnumbered:
            last = cast(int, await self._writes.call("INCRBY", _SEQ, len(unnumbered)))
            for given, entry in enumerate(unnumbered, start=last - len(unnumbered) + 1):
                entry.seq = given
        # the commands' arguments, encoded here (RESP bulk strings): most of the writer's
        # time per request is this loop
        blobs: list[bytes] = []
        order: list[bytes] = []
        by_session: dict[str, list[bytes]] = {}
        added = 0
        for entry in batch:
            seq = b"%d" % entry.seq
            blob = marshal.dumps(entry.row())
            member = b"%b %d %b" % (seq, len(blob), entry.session.encode())
            number = b"$%d\r\n%b\r\n" % (len(seq), seq)
            blobs.append(b"%b$%d\r\n%b\r\n" % (number, len(blob), blob))
            order.append(b"%b$%d\r\n%b\r\n" % (number, len(member), member))
            index = by_session.get(entry.session)
            if index is None:
                index = by_session[entry.session] = []
            index.append(number * 2)
            added += len(blob)
        now = time.time()
        size, max_bytes, ttl = self._limits
        idle_before = 0.0
        if now - self._swept >= _SWEEP:
            self._swept, idle_before = now, now - ttl
        tidy = (_PREFIX, size, max_bytes, repr(idle_before), DEFAULT_SESSION)
        commands = [
            encoded(("HSET", _ENTRIES), blobs, 2),
            encoded(("ZADD", _ALL), order, 2),
            *(encoded(("ZADD", f"{_PREFIX}s:{n}"), index, 2) for n, index in by_session.items()),
            command("ZADD", _SESSIONS, *(x for name in by_session for x in (repr(now), name))),
            command("INCRBY", _BYTES, added),
            command("EVALSHA", _TIDY_SHA, 0, *tidy),
        ]
        replies = cast(list[Any], await self._writes.transaction(commands))
        tidied = replies[-1]
        if isinstance(tidied, redis.ResponseError) and str(tidied).startswith("NOSCRIPT"):
            await self._writes.script(_TIDY, *tidy)  # (Redis restarted: sent whole, once)
        elif failed := [r for r in replies if isinstance(r, redis.ResponseError)]:
            log.warning("Redis refused part of a journal write: %s", failed[0])

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
