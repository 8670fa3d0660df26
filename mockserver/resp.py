"""`RespPipe`: a plain connection to Redis for the commands every request costs.

Every request to a mock over Redis is numbered as it is received (`redis_state`: one
`INCRBY` for the requests received meanwhile), so that command's cost is paid per request.
redis-py's asyncio client spends about 70 µs of CPU on one such call on the development
machine, however it is configured (a single connection, no health checks, with or without
hiredis), against about 9 µs for the same command written and read on a bare asyncio
connection: on a 2-core machine that difference alone kept two workers over Redis from
1.5x one worker in memory (issue 15). The journal's writes (one transaction per batch of
entries) take a second pipe, so that a long write never delays a numbering. redis-py keeps
the rest (the admin API's reads and resets, the preferences' channel), paid off the
request path.

The pipe speaks RESP2: commands are sent as they are called, replies are matched to the
calls in order (Redis answers a connection's commands in order). It connects on first use,
from the same `redis://`, `rediss://` or `unix://` URL (parsed by redis-py: `AUTH`,
`SELECT` and TLS as the URL says), and after a failure the next call connects anew. A lost or
refused connection raises `redis.ConnectionError`; an error reply, `redis.ResponseError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from collections import deque
from typing import Any

import redis
import redis.asyncio as aioredis

__all__ = ["RespPipe", "command", "encoded"]

Reply = int | bytes | list[Any] | None


def command(*args: str | bytes | int) -> bytes:
    """A command as Redis reads it (RESP: an array of bulk strings)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        raw = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(parts)


_MULTI, _EXEC = command("MULTI"), command("EXEC")


def encoded(head: tuple[str, ...], items: list[bytes], per_item: int) -> bytes:
    """A command: the words `head`, then `items`, each `per_item` arguments already encoded
    as RESP bulk strings (`$<size>\\r\\n<bytes>\\r\\n` each)."""
    words = [b"$%d\r\n%s\r\n" % (len(word), word.encode()) for word in head]
    return b"".join((b"*%d\r\n" % (len(head) + per_item * len(items)), *words, *items))


def _parse(buffer: bytearray, at: int) -> tuple[Reply | redis.ResponseError, int] | None:
    """One reply from `buffer[at:]` and where the next begins; None if it is incomplete."""
    end = buffer.find(b"\r\n", at)
    if end < 0:
        return None
    kind, line = buffer[at], bytes(buffer[at + 1 : end])
    after = end + 2
    if kind == 0x3A:  # ':' integer
        return int(line), after
    if kind == 0x2B:  # '+' simple string
        return line, after
    if kind == 0x2D:  # '-' error
        return redis.ResponseError(line.decode("utf-8", "replace")), after
    if kind == 0x24:  # '$' bulk string
        size = int(line)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            return None
        return bytes(buffer[after : after + size]), after + size + 2
    if kind == 0x2A:  # '*' array
        count = int(line)
        if count < 0:
            return None, after
        items: list[Any] = []
        for _ in range(count):
            parsed = _parse(buffer, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item)
        return items, after
    raise redis.ConnectionError(f"Redis sent an unreadable reply (type byte {kind!r})")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        # a future per command sent, None for a reply nobody reads (inside a transaction)
        self.waiting: deque[asyncio.Future[Reply] | None] = deque()
        self.buffer = bytearray()
        self.lost: Exception | None = None
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        at = 0
        try:
            while self.waiting and (parsed := _parse(buffer, at)) is not None:
                reply, at = parsed
                waiting = self.waiting.popleft()
                if waiting is None or waiting.done():  # its caller stopped waiting
                    continue
                if isinstance(reply, redis.ResponseError):
                    waiting.set_exception(reply)
                else:
                    waiting.set_result(reply)
        except redis.ConnectionError as exc:
            self.connection_lost(exc)
            if self.transport is not None:
                self.transport.close()
            return
        del buffer[:at]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = redis.ConnectionError(f"connection to Redis lost: {exc or 'closed'}")
        if not self.gone.done():
            self.gone.set_result(None)
        while self.waiting:
            waiting = self.waiting.popleft()
            if waiting is not None and not waiting.done():
                waiting.set_exception(self.lost)


class RespPipe:
    """Commands on one connection, each answered by a future of its reply."""

    def __init__(self, url: str, connect_timeout: float = 1.0) -> None:
        pool = aioredis.ConnectionPool.from_url(url)
        self._kwargs = dict(pool.connection_kwargs)
        self._unix = issubclass(pool.connection_class, aioredis.UnixDomainSocketConnection)
        # TLS as redis-py sets it up from the URL (ssl_cert_reqs, ssl_ca_certs, ssl_certfile...)
        self._tls: ssl.SSLContext | None = None
        if issubclass(pool.connection_class, aioredis.SSLConnection):
            self._tls = pool.connection_class(**self._kwargs).ssl_context.get()
        self._connect_timeout = connect_timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Task[_Protocol] | None = None
        # commands sent while not connected, in order: (encoded, the future of the reply)
        self._backlog: deque[tuple[bytes, asyncio.Future[Reply]]] = deque()
        self._flushing: asyncio.Task[None] | None = None  # (held: a task must be referenced)

    async def call(self, *args: str | bytes | int) -> Reply:
        return await self.send(*args)

    async def script(self, source: str, *args: str | bytes | int) -> Reply:
        """`EVALSHA` of a Lua script with no keys, sent whole (`EVAL`) when Redis does
        not know it yet."""
        sha = hashlib.sha1(source.encode()).hexdigest()
        try:
            return await self.call("EVALSHA", sha, 0, *args)
        except redis.ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.call("EVAL", source, 0, *args)

    def send(self, *args: str | bytes | int) -> asyncio.Future[Reply]:
        """Send now (connected) or once connected; the future of the reply. Commands are
        sent, and so answered, in the order of the calls: while a connection is being
        made, they wait in line for it."""
        protocol = self._protocol
        if protocol is not None and protocol.lost is None and not self._backlog:
            return self._send(protocol, args)
        waiting: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._backlog.append((command(*args), waiting))
        if len(self._backlog) == 1:
            self._flushing = asyncio.get_running_loop().create_task(self._send_backlog())
        return waiting

    async def transaction(self, commands: list[bytes]) -> Reply:
        """`MULTI`, the commands (encoded: `command`, `encoded`) and `EXEC`, in one write:
        `EXEC`'s reply, each command's reply in order (a `redis.ResponseError` for one that
        failed). After the calls `send` holds while it connects."""
        if self._backlog and self._flushing is not None:
            await asyncio.shield(self._flushing)
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._connect()
        assert protocol.transport is not None
        protocol.transport.write(b"".join((_MULTI, *commands, _EXEC)))
        protocol.waiting.extend(None for _ in range(len(commands) + 1))
        done: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        protocol.waiting.append(done)
        return await done

    async def _send_backlog(self) -> None:
        try:
            protocol = await self._connect()
        except redis.ConnectionError as exc:
            backlog, self._backlog = self._backlog, deque()
            for _, waiting in backlog:
                if not waiting.done():
                    waiting.set_exception(exc)
            return
        backlog, self._backlog = self._backlog, deque()
        for payload, waiting in backlog:
            if waiting.done():  # its caller stopped waiting: not sent
                continue
            if protocol.lost is not None or protocol.transport is None:
                waiting.set_exception(protocol.lost or redis.ConnectionError("not connected"))
                continue
            protocol.transport.write(payload)
            protocol.waiting.append(waiting)

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None

    async def aclose(self, timeout: float = 1.0) -> None:
        """`close`, then wait for the connection to be gone (TLS ends with a message of its
        own: the loop must not close under it)."""
        protocol = self._protocol
        self.close()
        if protocol is not None and protocol.lost is None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await protocol.gone

    @staticmethod
    def _send(protocol: _Protocol, args: tuple[str | bytes | int, ...]) -> asyncio.Future[Reply]:
        waiting: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        assert protocol.transport is not None
        protocol.transport.write(command(*args))
        protocol.waiting.append(waiting)
        return waiting

    async def _connect(self) -> _Protocol:
        if self._connecting is None:  # one connection attempt for every caller meanwhile
            self._connecting = asyncio.get_running_loop().create_task(self._open())
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if connecting.done():
                self._connecting = None

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        kw = self._kwargs
        try:
            async with asyncio.timeout(self._connect_timeout):
                if self._unix:
                    _, protocol = await loop.create_unix_connection(_Protocol, kw["path"])
                else:
                    _, protocol = await loop.create_connection(
                        _Protocol, kw.get("host", "localhost"), kw.get("port", 6379), ssl=self._tls
                    )
                hello: list[asyncio.Future[Reply]] = []
                if kw.get("password"):
                    user = kw.get("username")
                    auth = ("AUTH", user, kw["password"]) if user else ("AUTH", kw["password"])
                    hello.append(self._send(protocol, auth))
                if int(kw.get("db") or 0):
                    hello.append(self._send(protocol, ("SELECT", int(kw["db"]))))
                for answer in hello:
                    await answer
        except (OSError, TimeoutError) as exc:
            raise redis.ConnectionError(f"cannot connect to Redis: {exc or 'timed out'}") from None
        self._protocol = protocol
        return protocol
