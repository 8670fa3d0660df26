"""The mock's configuration: one keyword-only dataclass, defaults set here only.

The CLI flags map onto it one to one; tests build it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MockConfig", "ProxyConfig"]


@dataclass(frozen=True, kw_only=True)
class MockConfig:
    apis: tuple[str, ...] = ()  # API ids or spec paths; empty: every spec in specs_dir
    specs_dir: Path | None = None
    scenarios: Mapping[str, Path] = field(default_factory=dict)  # api id -> scenarios file
    host: str = "127.0.0.1"
    port: int = 4010
    seed: int | None = None
    cors: bool = True
    admin: bool = True
    journal_size: int = 10_000
    journal_bytes: int = 64 * 1024 * 1024  # the journal's bound in bytes (oldest dropped)
    max_body_size: int = 1_048_576  # bytes; larger bodies get 413 in the API's shape
    max_header_size: int = 16_384  # bytes of all headers; more gets 431 in the API's shape
    # Off loopback the admin API (/__mock/*, health aside) needs `Authorization: Bearer
    # <admin_token>`; None there means one is generated at start. On loopback: needed if set.
    admin_token: str | None = None
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted beside the bound address,
    # localhost and IP literals (DNS rebinding defence); "*" accepts any
    header_timeout: float = 5.0  # seconds to send a request's headers, else 408 and closed
    body_timeout: float = 10.0  # seconds to send a request's body, else 408 and closed
    keepalive_timeout: float = 5.0  # seconds an idle kept-alive connection stays open
    shutdown_timeout: float = 5.0  # seconds in-flight requests get at shutdown, then 503
    state: str = "memory"  # or `redis://HOST:PORT/DB`: one state shared by workers/instances
    state_buffer: int = 10_000  # journal entries kept locally while Redis is away
    session_ttl: float = 3600.0  # seconds a session (X-Mock-Session) may stay idle
    workers: int = 1  # server processes on the one port (more than one needs a shared state)
    express: bool = True  # False: every request through Connexion's guard middleware
    on_start: Callable[[Any], None] | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True, kw_only=True)
class ProxyConfig:
    """The validation proxy (`mockserver proxy`): where it forwards, and how long and how
    much of each answer it waits for and checks. Its own host, port, request limits,
    journal and admin API are a `MockConfig`'s."""

    upstream: str  # the real backend's base URL, `http(s)://host[:port][/path]`
    upstream_timeout: float = 30.0  # seconds to connect, and between two reads of an answer
    max_response_bytes: int = 10 * 1024 * 1024  # the most of an answer kept and validated
    # (a longer answer is still forwarded whole; its body is not validated)
    fail_on: frozenset[str] = frozenset({"request", "response"})  # the sides whose
    # violations fail the run; all are journaled and reported
