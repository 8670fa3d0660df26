"""State: fixture workflows per API and the request journal, behind one small interface.

The in-memory store is the default. Everything goes through `State`, so a shared store
(for a mock running as several workers) only has to implement the same five methods.
Reset restores every API's fixtures from its scenarios and empties the journal.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts.scenarios import Fixture, Scenarios

__all__ = ["InMemoryState", "JournalEntry", "State", "mask_headers"]

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization", "cookie"})


def mask(value: str) -> str:
    """Only the last 4 characters of a secret survive (all of it hidden if it is short)."""
    return "****" + value[-4:] if len(value) > 8 else "****"


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {
        name: mask(value) if name.lower() in SECRET_HEADERS else value for name, value in headers
    }


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    time: str
    api: str | None
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any
    status: int
    response_body: Any
    operation: str | None
    rule: str
    example: str | None = None
    duration_ms: float = 0.0
    connection: str | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "body": self.body,
            "status": self.status,
            "response_body": self.response_body,
            "operation": self.operation,
            "rule": self.rule,
            "example": self.example,
            "duration_ms": self.duration_ms,
            "connection": self.connection,
        }


class State(Protocol):
    def fixture(self, api: str, workflow_id: str) -> Fixture | None: ...

    def record(self, entry_fields: dict[str, Any]) -> JournalEntry: ...

    def journal(self, api: str | None = None) -> list[JournalEntry]: ...

    def reset(self) -> None: ...

    def stats(self) -> dict[str, int]: ...


class InMemoryState:
    """Fixtures and a bounded journal (a ring buffer of `journal_size` entries)."""

    def __init__(self, scenarios: Mapping[str, Scenarios | None], journal_size: int = 10_000):
        self._scenarios = dict(scenarios)
        self._lock = threading.Lock()
        self._journal: deque[JournalEntry] = deque(maxlen=journal_size)
        self._seq = 0
        self._fixtures: dict[str, dict[str, Fixture]] = {}
        self.reset()

    def fixture(self, api: str, workflow_id: str) -> Fixture | None:
        return self._fixtures.get(api, {}).get(workflow_id)

    def record(self, entry_fields: dict[str, Any]) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **entry_fields)
            self._journal.append(entry)
        return entry

    def journal(self, api: str | None = None) -> list[JournalEntry]:
        with self._lock:
            entries = list(self._journal)
        return [e for e in entries if api is None or e.api == api]

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
