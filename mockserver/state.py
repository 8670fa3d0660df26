"""State: fixture workflows per API and the request journal, behind one small interface.

The in-memory store is the default. Everything goes through `State`, so a shared store
(for a mock running as several workers) only has to implement the same five methods.
Reset restores every API's fixtures from its scenarios and empties the journal.
"""

from __future__ import annotations

import marshal
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from contracts.scenarios import Fixture, Scenarios

from .asgi import RequestNote
from .jsonbody import NotStrictJSON
from .jsonbody import loads as strict_json

__all__ = [
    "USUAL_SECRETS",
    "InMemoryState",
    "Journal",
    "JournalEntry",
    "Secrets",
    "State",
    "header_block",
]

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization", "cookie"})


_SECRET_NAMES = frozenset(n.encode() for n in SECRET_HEADERS)
_JOURNAL_BODY_LIMIT = 64 * 1024
_METHODS: dict[str, str] = {}  # one string per method name, shared by every entry


def _mask(value: bytes) -> bytes:
    """Only the last 4 characters of a secret survive (all of it hidden if it is short)."""
    return b"****" + value[-4:] if len(value) > 8 else b"****"


@dataclass(frozen=True)
class Secrets:
    """Where an API's credentials travel, masked in its journal entries: the usual
    headers plus its apiKey headers (lower-case) and query parameters."""

    headers: frozenset[bytes] = _SECRET_NAMES
    query: frozenset[bytes] = frozenset()

    @classmethod
    def of(cls, api_key_headers: Iterable[str], api_key_query: Iterable[str]) -> Secrets:
        return cls(
            headers=_SECRET_NAMES | {n.lower().encode("latin-1") for n in api_key_headers},
            query=frozenset(n.encode("latin-1") for n in api_key_query),
        )


USUAL_SECRETS = Secrets()  # an API without apiKey schemes


def header_block(
    headers: Iterable[tuple[bytes, bytes]], secret: frozenset[bytes] = _SECRET_NAMES
) -> bytes:
    """ASGI headers as one `name: value` block, each secret reduced to its last 4
    characters: a journal entry keeps one bytes object, not a tuple of string pairs."""
    # ASGI header names arrive lower-cased.
    return b"\r\n".join(
        [name + b": " + (_mask(value) if name in secret else value) for name, value in headers]
    )


def _masked_query(query: bytes, secret: frozenset[bytes]) -> bytes:
    if not secret or not query:
        return query
    parts = []
    for part in query.split(b"&"):
        key, eq, value = part.partition(b"=")
        if eq and unquote_to_bytes(key.replace(b"+", b" ")) in secret:
            part = key + b"=" + _mask(value)
        parts.append(part)
    return b"&".join(parts)


def _kept(raw: bytes) -> bytes:
    """What the journal keeps of a body: all of it up to 64 KiB, else a note of its size."""
    return raw if len(raw) <= _JOURNAL_BODY_LIMIT else f'"<{len(raw)} bytes>"'.encode()


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    if len(raw) > 65_536:
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
    raw_headers: bytes  # `header_block`: secrets already masked
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

    @classmethod
    def of(
        cls,
        scope: Mapping[str, Any],
        api: str | None,
        raw_body: bytes,
        status: int,
        response: bytes,
        started: float,
        secrets: Secrets = USUAL_SECRETS,
    ) -> JournalEntry:
        """The entry for an ASGI request; `started` is its `time.perf_counter()`;
        `secrets` says which headers and query parameters to mask."""
        note = scope.get("flowcontract") or RequestNote()
        method = scope["method"]
        return cls(
            time=time.time(),
            api=api,
            method=_METHODS.setdefault(method, method),
            path=scope["path"],
            query=_masked_query(scope.get("query_string", b""), secrets.query),
            raw_headers=header_block(scope["headers"], secrets.headers),
            raw_body=_kept(raw_body),
            status=status,
            raw_response=_kept(response),
            operation=note.operation,
            rule=note.rule,
            example=note.example,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            client=scope.get("client"),
            lane=note.lane,
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
        )

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        text = self.raw_headers.decode("latin-1")
        pairs = (line.partition(": ") for line in text.split("\r\n")) if text else ()
        return tuple((name, value) for name, _, value in pairs)

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
            "headers": dict(self.headers),
            "body": self.body,
            "status": self.status,
            "response_body": self.response_body,
            "operation": self.operation,
            "rule": self.rule,
            "example": self.example,
            "lane": self.lane,
            "duration_ms": self.duration_ms,
            "connection": self.connection,
        }


class State(Protocol):
    def fixture(self, api: str, workflow_id: str) -> Fixture | None: ...

    def record(self, entry: JournalEntry) -> JournalEntry: ...

    def journal(
        self, api: str | None = None, *, since: int = 0, limit: int | None = None
    ) -> list[JournalEntry]: ...

    def reset(self) -> None: ...

    def stats(self) -> dict[str, int]: ...


class Journal:
    """A ring of the last `size` entries, in arrival order, kept compact: the newest
    `block` entries as objects, older ones in blocks of `block` entries, marshalled and
    zlib-compressed (a block of JSON requests shrinks about 7x, for ~3 us an entry).
    Reading it (the admin API) decompresses; recording never does."""

    def __init__(self, size: int, block: int = 256):
        self.size = max(size, 0)
        self.block = block
        self._recent: list[JournalEntry] = []
        # (entries, the last one's seq, compressed rows)
        self._blocks: deque[tuple[int, int, bytes]] = deque()
        self._skip = 0  # entries of the oldest block already dropped from the ring
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, entry: JournalEntry) -> None:
        self._recent.append(entry)
        self._count += 1
        if len(self._recent) >= self.block:
            rows = [e.row() for e in self._recent]
            last = self._recent[-1].seq
            self._blocks.append((len(rows), last, zlib.compress(marshal.dumps(rows), 1)))
            self._recent = []
        excess = self._count - self.size
        while excess > 0:  # drop the oldest entries, first from the oldest block
            if self._blocks:
                held = self._blocks[0][0] - self._skip
                dropped = min(excess, held)
                self._skip += dropped
                if dropped == held:
                    self._blocks.popleft()
                    self._skip = 0
            else:
                dropped = excess
                del self._recent[:dropped]
            excess -= dropped
            self._count -= dropped

    def entries(self, since: int = 0) -> list[JournalEntry]:
        """The entries held, oldest first; with `since`, only those recorded after the entry
        numbered `since` (blocks wholly before it are not decompressed)."""
        out: list[JournalEntry] = []
        for i, (_, last, blob) in enumerate(self._blocks):
            if last <= since:
                continue
            rows = marshal.loads(zlib.decompress(blob))
            entries = (JournalEntry(*row) for row in (rows[self._skip :] if i == 0 else rows))
            out.extend(e for e in entries if e.seq > since)
        out.extend(e for e in self._recent if e.seq > since)
        return out

    def clear(self) -> None:
        self._recent, self._skip, self._count = [], 0, 0
        self._blocks.clear()


class InMemoryState:
    """Fixtures and a bounded journal (a ring buffer of `journal_size` entries)."""

    def __init__(self, scenarios: Mapping[str, Scenarios | None], journal_size: int = 10_000):
        self._scenarios = dict(scenarios)
        self._lock = threading.Lock()
        self._journal = Journal(journal_size)
        self._seq = 0
        self._fixtures: dict[str, dict[str, Fixture]] = {}
        self.reset()

    def fixture(self, api: str, workflow_id: str) -> Fixture | None:
        return self._fixtures.get(api, {}).get(workflow_id)

    def record(self, entry: JournalEntry) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._journal.append(entry)
        return entry

    def journal(
        self, api: str | None = None, *, since: int = 0, limit: int | None = None
    ) -> list[JournalEntry]:
        """Oldest first: of `api` only, recorded after entry `since`, the last `limit`."""
        with self._lock:
            entries = self._journal.entries(since)
        kept = [e for e in entries if api is None or e.api == api]
        return kept if limit is None else kept[max(len(kept) - limit, 0) :]

    def reset(self) -> None:
        with self._lock:
            self._journal.clear()
            self._fixtures = {
                api: dict(sc.workflows.fixtures) if sc and sc.workflows else {}
                for api, sc in self._scenarios.items()
            }

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"journal_entries": len(self._journal), "recorded_total": self._seq}
