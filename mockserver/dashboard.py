"""The dashboard: the journal in a browser page (`/__mock/ui`), fed by the journal as
server-sent events (`GET /__mock/requests/stream`).

The page is three static files shipped in the package (`mockserver/ui/`: HTML, JS, CSS; no
build step, nothing fetched from elsewhere). They hold no data, so they are served like
`/__mock/health` (the Host check applies, the admin token does not: a browser navigating
to the page cannot send it); every call the page makes for data (the stream, reset) goes
through the admin API's checks, with the token the page was given once (`?token=`).

The stream sends each journal entry as one event (`id:` its seq, `event: request`, `data:`
the entry as `GET /__mock/requests` lists it), oldest first, from the entry after `since`
(or the `Last-Event-ID` a reconnecting client sends); `event: reset` when the journal is
reset. It is bounded: at most `JournalFeed.limit` streams at once (503 beyond), at most
`BATCH` entries a step (a burst larger than that between two steps sends its newest), a
comment every `HEARTBEAT` seconds when idle (a client gone is noticed). Streams wake when
this process journals an entry and look every `POLL` seconds anyway (another worker's
entries in a shared state); they end when the server shuts down
(`connections.GuardedHttpToolsProtocol.shutdown` closes the feed), so an open page never
holds up a graceful shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .sessions import DEFAULT_SESSION, SESSION_HEADER, session_error
from .state import StateUnavailable

if TYPE_CHECKING:
    from .admin import Administered

__all__ = ["BATCH", "HEARTBEAT", "POLL", "UI_PATHS", "JournalFeed", "dashboard_routes"]

BATCH = 500
POLL = 1.0
HEARTBEAT = 15.0

# name in mockserver/ui/ → (path, media type)
_FILES = {
    "dashboard.html": ("/__mock/ui", "text/html; charset=utf-8"),
    "dashboard.js": ("/__mock/ui/dashboard.js", "text/javascript; charset=utf-8"),
    "dashboard.css": ("/__mock/ui/dashboard.css", "text/css; charset=utf-8"),
}
UI_PATHS = frozenset({*(path for path, _ in _FILES.values()), "/__mock/ui/"})

# The page runs its own script and style only, is never framed (a click on its reset
# button cannot be borrowed), and never sends its address (`?token=`) as a Referer.
_UI_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


class JournalFeed:
    """Wakes the journal's streams when an entry is recorded, the journal is reset or the
    server shuts down; holds at most `limit` streams."""

    def __init__(self, limit: int = 16):
        self.limit = limit
        self.closed = False
        self.resets = 0  # how many times the journal was reset
        self._waiting: set[asyncio.Event] = set()

    def subscribe(self) -> asyncio.Event | None:
        """An event set at each change, or None when `limit` streams are open already."""
        if len(self._waiting) >= self.limit:
            return None
        woken = asyncio.Event()
        self._waiting.add(woken)
        return woken

    def unsubscribe(self, woken: asyncio.Event) -> None:
        self._waiting.discard(woken)

    def notify(self) -> None:
        for woken in self._waiting:
            woken.set()

    def reset(self) -> None:
        self.resets += 1
        self.notify()

    def close(self) -> None:
        self.closed = True
        self.notify()


def _since(request: Request) -> int | None:
    """Where the stream starts: `Last-Event-ID` (a reconnecting EventSource), else `since`;
    None when it is not a whole number."""
    raw = request.headers.get("last-event-id") or request.query_params.get("since") or "0"
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return int(raw)


def dashboard_routes(server: Administered) -> list[Route]:
    """The page's three files and the journal's stream, for the admin app."""
    ui = files("mockserver") / "ui"
    loaded = {path: ((ui / name).read_bytes(), media) for name, (path, media) in _FILES.items()}
    loaded["/__mock/ui/"] = loaded["/__mock/ui"]

    async def page(request: Request) -> Response:
        body, media_type = loaded[request.url.path]
        return Response(body, media_type=media_type, headers=_UI_HEADERS)

    async def stream(request: Request) -> Response:
        api = request.query_params.get("api")
        known = sorted(c.api_id for c in server.contracts)
        if api is not None and api not in known:
            return JSONResponse({"error": f"unknown api {api!r}", "apis": known}, status_code=404)
        since = _since(request)
        if since is None:
            message = "since (or Last-Event-ID) must be a request's seq, a whole number"
            return JSONResponse({"error": message}, status_code=400)
        session = request.query_params.get(
            "session", request.headers.get(SESSION_HEADER.decode(), DEFAULT_SESSION)
        )
        if (wrong := session_error(session)) is not None:
            return JSONResponse({"error": wrong}, status_code=400)
        woken = server.feed.subscribe()
        if woken is None:
            message = f"{server.feed.limit} journal streams are open already; close one"
            return JSONResponse({"error": message}, status_code=503)
        return StreamingResponse(
            _events(server, woken, api, since, session),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    return [
        *(Route(path, page, methods=["GET"]) for path in sorted(UI_PATHS)),
        Route("/__mock/requests/stream", stream, methods=["GET"]),
    ]


async def _events(
    server: Administered, woken: asyncio.Event, api: str | None, since: int, session: str
) -> AsyncIterator[bytes]:
    feed = server.feed
    try:
        yield b"retry: 2000\n\n"
        resets = feed.resets
        last_sent = time.monotonic()
        while not feed.closed:
            woken.clear()  # before reading: an entry recorded from now on wakes the wait
            if feed.resets != resets:
                resets = feed.resets
                yield b"event: reset\ndata: {}\n\n"
            try:
                entries = await server.state.journal(api, session=session, since=since, limit=BATCH)
            except StateUnavailable:  # Redis away: look again at the next step
                entries = []
            if entries:
                since = entries[-1].seq
                yield b"".join(
                    b"id: %d\nevent: request\ndata: %s\n\n"
                    % (e.seq, json.dumps(e.as_dict(), separators=(",", ":")).encode())
                    for e in entries
                )
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent >= HEARTBEAT:
                yield b": idle\n\n"
                last_sent = time.monotonic()
            with contextlib.suppress(TimeoutError):  # a look anyway: another worker's entries
                await asyncio.wait_for(woken.wait(), POLL)
    finally:
        feed.unsubscribe(woken)
