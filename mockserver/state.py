"""State: fixture workflows per API, the request journal and the default preferences,
per session, behind one small interface.

The in-memory store is the default; `redis_state.RedisState` implements the same
interface over Redis, so several workers and instances share one journal. What is read
on the request path (`fixture`, `preferences`) and `record` are plain calls that never
wait for I/O; the admin API's reads and resets are coroutines. Reset restores every API's
fixtures from its scenarios and empties the journal (of one session, or of all).
"""

from __future__ import annotations

import marshal
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from contracts.scenarios import Fixture, Scenarios

from .asgi import RequestNote
from .config import MockConfig
from .jsonbody import NotStrictJSON
from .jsonbody import loads as strict_json
from .negotiate import Preference
from .redact import BODY_LIMIT, Declared, kept_body, kept_headers, kept_path, kept_query
from .sessions import DEFAULT_SESSION

__all__ = [
    "InMemoryState",
    "Journal",
    "JournalEntry",
    "State",
    "StateUnavailable",
    "initial_fixtures",
    "state_for",
]

_METHODS: dict[str, str] = {}  # one string per method name, shared by every entry
_ENTRY_OVERHEAD = 400  # bytes an entry costs beyond its headers, target and bodies


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    if len(raw) > BODY_LIMIT:
        return f"<{len(raw)} bytes>"
    try:
        return strict_json(raw)
    except NotStrictJSON as exc:  # kept as it was sent, marked: it cannot be JSON again
        return f"<not strict JSON: {exc}> {raw.decode('utf-8', 'replace')}"
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


@dataclass(slots=True)
class JournalEntry:
    """One request and its response, as received and sent, kept compact: headers and
    bodies stay bytes until read. `seq` is given by the state that records it."""

    time: float
    api: str | None
    method: str
    path: str
    query: bytes
    raw_headers: bytes  # `redact.kept_headers`: secrets already masked
    raw_body: bytes
    status: int
    raw_response: bytes
    operation: str | None
    rule: str
    example: str | None = None
    duration_ms: float = 0.0
    client: tuple[str, int] | None = None
    lane: str | None = None  # `express` or `connexion`; None when refused before routing
    seq: int = 0
    truncated: tuple[str, ...] = ()  # what was cut from the request, and how much
    # the validation proxy's findings on this exchange: (where, kind, message) each,
    # where is `request` or `response` (`mockserver.violations`)
    violations: tuple[tuple[str, str, str], ...] = ()
    session: str = DEFAULT_SESSION

    @classmethod
    def of(
        cls,
        scope: Mapping[str, Any],
        api: str | None,
        raw_body: bytes,
        status: int,
        response: bytes,
        started: float,
        declared: Declared,
        session: str = DEFAULT_SESSION,
    ) -> JournalEntry:
        """The entry for an ASGI request, its secrets masked (the spec's `declared` ones and
        the well-known names) and its oversized parts cut; `started` is its
        `time.perf_counter()`."""
        note = scope.get("flowcontract") or RequestNote()
        method = scope["method"]
        headers = scope["headers"]
        truncated: list[str] = []
        content_type = (
            next((v for k, v in headers if k == b"content-type"), None) if raw_body else None
        )
        raw_response = (
            response if len(response) <= BODY_LIMIT else f'"<{len(response)} bytes>"'.encode()
        )
        return cls(
            time=time.time(),
            api=api,
            method=_METHODS.setdefault(method, method),
            path=kept_path(scope["path"], truncated),
            query=kept_query(scope.get("query_string", b""), declared, truncated),
            raw_headers=kept_headers(headers, declared, truncated),
            raw_body=kept_body(raw_body, content_type, truncated),
            status=status,
            raw_response=raw_response,
            operation=note.operation,
            rule=note.rule,
            example=note.example,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            client=scope.get("client"),
            lane=note.lane,
            truncated=tuple(truncated),
            session=session,
        )

    @property
    def size(self) -> int:
        """About the bytes this entry holds (what the journal's byte bound counts)."""
        return (
            _ENTRY_OVERHEAD
            + len(self.path)
            + len(self.query)
            + len(self.raw_headers)
            + len(self.raw_body)
            + len(self.raw_response)
        )

    def row(self) -> tuple[Any, ...]:
        """The fields in declaration order, as `marshal` stores them."""
        return (
            self.time,
            self.api,
            self.method,
            self.path,
            self.query,
            self.raw_headers,
            self.raw_body,
            self.status,
            self.raw_response,
            self.operation,
            self.rule,
            self.example,
            self.duration_ms,
            self.client,
            self.lane,
            self.seq,
            self.truncated,
            self.violations,
            self.session,
        )

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        text = self.raw_headers.decode("latin-1")
        pairs = (line.partition(": ") for line in text.split("\r\n")) if text else ()
        return tuple((name, value) for name, _, value in pairs)

    def header_map(self) -> dict[str, str]:
        """The headers by name; a repeated header's values joined as HTTP joins them
        (`, `; `; ` for cookies), so none is lost."""
        out: dict[str, str] = {}
        for name, value in self.headers:
            if name in out:
                out[name] += ("; " if name == "cookie" else ", ") + value
            else:
                out[name] = value
        return out

    @property
    def connection(self) -> str | None:
        return f"{self.client[0]}:{self.client[1]}" if self.client else None

    @property
    def body(self) -> Any:
        return _decode(self.raw_body)

    @property
    def response_body(self) -> Any:
        return _decode(self.raw_response)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": datetime.fromtimestamp(self.time, UTC).isoformat(),
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": self.query.decode("latin-1"),
            "headers": self.header_map(),
            "body": self.body,
            "status": self.status,
            "response_body": self.response_body,
            "operation": self.operation,
            "rule": self.rule,
            "example": self.example,
            "lane": self.lane,
            "duration_ms": self.duration_ms,
            "connection": self.connection,
            "truncated": list(self.truncated),
            "violations": [
                {"where": where, "kind": kind, "message": message}
                for where, kind, message in self.violations
            ],
            "session": self.session,
        }


class StateUnavailable(Exception):
    """The shared store cannot be reached: the admin API answers 503 with this message."""


class State(Protocol):
    """Where the mock keeps what changes while it serves, per session."""

    @property
    def numbering(self) -> Callable[[RequestNote], None] | None:
        """None when `record` numbers the entries; else what numbers each request as it is
        received (a shared state: the order across instances), into `note.seq` once the
        store answers. The request does not wait for it; its answer does (the HTTP
        protocol asks the state's `before_answer`, see `connections._Outbox`)."""

    def fixture(self, api: str, workflow_id: str, session: str = DEFAULT_SESSION) -> Fixture | None:
        """A workflow's fixture, as the scenarios declare it (fixtures are read-only)."""

    def record(self, entry: JournalEntry, note: RequestNote | None = None) -> None:
        """Journal `entry`, the answer to the request `note` describes (its `seq` is given
        here or, for a shared state, by `numbering` or when written)."""

    def preferences(self, session: str = DEFAULT_SESSION) -> Mapping[str, Preference]:
        """The default preferences (`PUT /__mock/prefer`) of a session, by API id."""

    async def set_preferences(self, session: str, chosen: Mapping[str, Preference]) -> None:
        """Replace a session's default preferences."""

    async def journal(
        self,
        api: str | None = None,
        *,
        session: str = DEFAULT_SESSION,
        since: int = 0,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """A session's entries, oldest first: of `api` only when given, recorded after the
        entry numbered `since`, the last `limit` of them."""

    async def reset(self, session: str | None = None) -> None:
        """Empty the journal and the preferences of `session`, or of every session."""

    async def stats(self) -> dict[str, Any]:
        """Figures for `/__mock/health`; `status` is `degraded` (with a `reason`) when the
        state cannot reach its store."""

    async def open(self) -> None:
        """Called in the serving event loop before the first request."""

    async def close(self) -> None:
        """Called at shutdown: write what is still pending."""


class Journal:
    """A ring of the last `size` entries, and of at most about `max_bytes` bytes, in arrival
    order, kept compact: the newest `block` entries as objects, older ones in blocks of
    `block` entries, marshalled and zlib-compressed (a block of JSON requests shrinks about
    7x, for ~3 us an entry). Reading it (the admin API) decompresses only the blocks it
    needs; recording never does. The byte bound drops whole blocks, oldest first."""

    def __init__(self, size: int, block: int = 256, max_bytes: int = 64 * 1024 * 1024):
        self.size = max(size, 0)
        self.block = block
        self.max_bytes = max_bytes
        self._recent: list[JournalEntry] = []
        self._recent_bytes = 0
        # (entries, the last one's seq, compressed rows)
        self._blocks: deque[tuple[int, int, bytes]] = deque()
        self._blocks_bytes = 0
        self._skip = 0  # entries of the oldest block already dropped from the ring
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def bytes(self) -> int:
        """About the bytes held: compressed blocks as stored, recent entries as counted."""
        return self._blocks_bytes + self._recent_bytes

    def append(self, entry: JournalEntry) -> None:
        self._recent.append(entry)
        self._recent_bytes += entry.size
        self._count += 1
        if len(self._recent) >= self.block or self._recent_bytes > self.max_bytes // 4:
            rows = [e.row() for e in self._recent]
            last = self._recent[-1].seq
            blob = zlib.compress(marshal.dumps(rows), 1)
            self._blocks.append((len(rows), last, blob))
            self._blocks_bytes += len(blob) + _ENTRY_OVERHEAD
            self._recent, self._recent_bytes = [], 0
        excess = self._count - self.size
        while excess > 0:  # drop the oldest entries, first from the oldest block
            if not self._blocks:
                self._recent_bytes -= sum(e.size for e in self._recent[:excess])
                del self._recent[:excess]
                self._count -= excess
                break
            held = self._blocks[0][0] - self._skip
            if excess < held:
                self._skip += excess
                self._count -= excess
                break
            self._drop_oldest_block()
            excess -= held
        while self.bytes > self.max_bytes and self._blocks:
            self._drop_oldest_block()

    def _drop_oldest_block(self) -> None:
        entries, _, blob = self._blocks.popleft()
        self._blocks_bytes -= len(blob) + _ENTRY_OVERHEAD
        self._count -= entries - self._skip
        self._skip = 0

    def entries(
        self,
        since: int = 0,
        limit: int | None = None,
        api: str | None = None,
        session: str | None = None,
    ) -> list[JournalEntry]:
        """The entries held, oldest first: recorded after the entry numbered `since`, of
        `api` and of `session` only when given, the last `limit` of them. Blocks wholly
        before `since`, or older than the `limit` newest matching entries, are not
        decompressed."""
        newest_first: list[JournalEntry] = []

        def take(entries: Iterable[JournalEntry]) -> bool:
            """Keep the matching ones (newest first); whether `limit` is reached."""
            for e in entries:
                if (
                    e.seq > since
                    and (api is None or e.api == api)
                    and (session is None or e.session == session)
                ):
                    if limit is not None and len(newest_first) >= limit:
                        return True
                    newest_first.append(e)
            return limit is not None and len(newest_first) >= limit

        done = take(reversed(self._recent))
        oldest = len(self._blocks) - 1
        for i, (_, last, blob) in enumerate(reversed(self._blocks)):
            if done or last <= since:
                break
            rows = marshal.loads(zlib.decompress(blob))
            if i == oldest:
                rows = rows[self._skip :]
            done = take(JournalEntry(*row) for row in reversed(rows))
        newest_first.reverse()
        return newest_first

    def clear(self) -> None:
        self._recent, self._recent_bytes, self._skip, self._count = [], 0, 0, 0
        self._blocks.clear()
        self._blocks_bytes = 0


def state_for(config: MockConfig, scenarios: Mapping[str, Scenarios | None]) -> State:
    """The state `config.state` names: `memory`, or `redis://...` (imported only then)."""
    if config.state == "memory":
        return InMemoryState(
            scenarios,
            journal_size=config.journal_size,
            journal_bytes=config.journal_bytes,
            session_ttl=config.session_ttl,
        )
    from .redis_state import RedisState

    return RedisState(config.state, scenarios, config)


def initial_fixtures(
    scenarios: Mapping[str, Scenarios | None],
) -> dict[str, dict[str, Fixture]]:
    """Each API's fixtures as its scenarios declare them: the state after a reset."""
    return {
        api: dict(sc.workflows.fixtures) if sc and sc.workflows else {}
        for api, sc in scenarios.items()
    }


@dataclass(slots=True)
class _Session:
    seen: float  # when its last request was recorded (`time.time()`)
    floor: int  # its entries up to this seq were reset away
    preferences: dict[str, Preference]


class InMemoryState:
    """Fixtures, a bounded journal (a ring buffer of `journal_size` entries, shared by every
    session) and the sessions: a session idle for `session_ttl` seconds is forgotten,
    the default session never is. Resetting one session hides its entries up to then
    (the ring drops them in its time)."""

    kind = "memory"
    numbering = None  # `record` numbers the entries

    def __init__(
        self,
        scenarios: Mapping[str, Scenarios | None],
        journal_size: int = 10_000,
        journal_bytes: int = 64 * 1024 * 1024,
        session_ttl: float = 3600.0,
    ):
        self._fixtures = initial_fixtures(scenarios)
        self._lock = threading.Lock()
        self._journal = Journal(journal_size, max_bytes=journal_bytes)
        self._seq = 0
        self._session_ttl = session_ttl
        self._sessions: dict[str, _Session] = {}
        self._swept = 0.0
        self._clear()

    def _clear(self) -> None:
        self._journal.clear()
        self._sessions = {DEFAULT_SESSION: _Session(time.time(), self._seq, {})}

    def _session(self, name: str, now: float) -> _Session:
        """The live session `name`, begun now (after every entry so far) if it was not."""
        session = self._sessions.get(name)
        if session is None:
            session = self._sessions[name] = _Session(now, self._seq, {})
        session.seen = now
        if now - self._swept > 1.0:
            self._swept = now
            idle = now - self._session_ttl
            for gone in [k for k, s in self._sessions.items() if s.seen < idle]:
                if gone != DEFAULT_SESSION:
                    del self._sessions[gone]
        return session

    def fixture(self, api: str, workflow_id: str, session: str = DEFAULT_SESSION) -> Fixture | None:
        return self._fixtures.get(api, {}).get(workflow_id)

    def record(self, entry: JournalEntry, note: RequestNote | None = None) -> None:
        with self._lock:
            if entry.session != DEFAULT_SESSION:
                self._session(entry.session, entry.time)  # before the seq: its floor
            self._seq += 1
            entry.seq = self._seq
            self._journal.append(entry)

    def preferences(self, session: str = DEFAULT_SESSION) -> Mapping[str, Preference]:
        found = self._sessions.get(session)
        return found.preferences if found is not None else {}

    async def set_preferences(self, session: str, chosen: Mapping[str, Preference]) -> None:
        with self._lock:
            self._session(session, time.time()).preferences = dict(chosen)

    async def journal(
        self,
        api: str | None = None,
        *,
        session: str = DEFAULT_SESSION,
        since: int = 0,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        with self._lock:
            found = self._sessions.get(session)
            if found is None:
                return []
            return self._journal.entries(max(since, found.floor), limit, api, session)

    async def reset(self, session: str | None = None) -> None:
        with self._lock:
            if session is None:
                self._clear()
            elif session == DEFAULT_SESSION:
                self._sessions[session] = _Session(time.time(), self._seq, {})
            else:  # begun again, after every entry so far, by its next request
                self._sessions.pop(session, None)

    async def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "state": self.kind,
                "journal_entries": len(self._journal),
                "journal_bytes": self._journal.bytes,
                "recorded_total": self._seq,
                "sessions": len(self._sessions),
            }

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None
