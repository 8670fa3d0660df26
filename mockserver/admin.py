"""The admin API under `/__mock/`: health, the request journal (also as a stream, and the
dashboard page that shows it: `dashboard`), reset, default preferences.

It is mounted beside the APIs, never under one, so no API path can collide with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from contracts.catalog import Contract

from .dashboard import JournalFeed, dashboard_routes
from .negotiate import Preference, parse_preference
from .sessions import DEFAULT_SESSION, SESSION_HEADER, session_error
from .state import State, StateUnavailable

__all__ = ["Administered", "admin_app"]


class Administered(Protocol):
    """What the admin API reads of the server it administers (`app.MockServer`, the
    validation proxy's `proxy.ProxyServer`)."""

    @property
    def contracts(self) -> Sequence[Contract]: ...

    @property
    def state(self) -> State: ...

    @property
    def feed(self) -> JournalFeed: ...

    def describe(self) -> list[dict[str, Any]]: ...


def _session(request: Request) -> str:
    """The session an admin call is about: `?session=NAME`, else `X-Mock-Session`."""
    named = request.query_params.get("session")
    if named is None:
        named = request.headers.get(SESSION_HEADER.decode(), DEFAULT_SESSION)
    return named


def admin_app(server: Administered) -> Starlette:
    async def health(_request: Request) -> JSONResponse:
        stats = await server.state.stats()
        # `worker`: which process answered (several share the port with --workers)
        return JSONResponse(
            {"status": "ok", "apis": server.describe(), "worker": os.getpid(), **stats}
        )

    async def requests(request: Request) -> JSONResponse:
        params = request.query_params
        session = _session(request)
        if (wrong := session_error(session)) is not None:
            return JSONResponse({"error": wrong}, status_code=400)
        api = params.get("api")
        known = {c.api_id for c in server.contracts}
        if api is not None and api not in known:
            return JSONResponse(
                {"error": f"unknown api {api!r}", "apis": sorted(known)}, status_code=404
            )
        numbers: dict[str, int] = {}
        for name in ("since", "limit"):
            raw = params.get(name)
            if raw is None:
                continue
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):  # int() takes '²'
                message = (
                    f"{name} must be a whole number (a request's seq, or a count), not {raw!r}"
                )
                return JSONResponse({"error": message}, status_code=400)
            numbers[name] = int(raw)
        try:
            entries = await server.state.journal(
                api, session=session, since=numbers.get("since", 0), limit=numbers.get("limit")
            )
        except StateUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        listed = [e.as_dict() for e in entries]
        return JSONResponse({"count": len(listed), "requests": listed})

    async def reset(request: Request) -> JSONResponse:
        """Every session, or only `?session=NAME`'s (journal and default preferences)."""
        session = request.query_params.get("session")
        if session is not None and (wrong := session_error(session)) is not None:
            return JSONResponse({"error": wrong}, status_code=400)
        try:
            await server.state.reset(session)
        except StateUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        server.feed.reset()
        apis = sorted(c.api_id for c in server.contracts)
        told = {"session": session} if session is not None else {}
        return JSONResponse({"status": "reset", "apis": apis, **told})

    def preferences_reply(session: str) -> JSONResponse:
        chosen = server.state.preferences(session)
        return JSONResponse(
            {"prefer": {api: _described(pref) for api, pref in sorted(chosen.items())}}
        )

    async def show_prefer(request: Request) -> JSONResponse:
        return preferences_reply(_session(request))

    async def set_prefer(request: Request) -> JSONResponse:
        """`{"quiva": "code=400, example=ArchivedFlow"}` ("*": every API) replaces the default
        preferences: a request without its own `Prefer`/`__code` is answered as if it had it."""
        session = _session(request)
        if (wrong := session_error(session)) is not None:
            return JSONResponse({"error": wrong}, status_code=400)
        known = sorted(c.api_id for c in server.contracts)
        try:
            wanted = json.loads(await request.body())
        except (ValueError, RecursionError):
            wanted = None
        if not isinstance(wanted, dict) or not all(isinstance(v, str) for v in wanted.values()):
            message = (
                'send a JSON object of API id (or "*") to a Prefer value, e.g. {"*": "code=400"}'
            )
            return JSONResponse({"error": message}, status_code=400)
        chosen: dict[str, Preference] = {}
        # "*" first, so a named API's preference wins over it whatever the key order
        for api, value in sorted(wanted.items(), key=lambda item: item[0] != "*"):
            preference = parse_preference(value, {})
            if not preference:
                message = (
                    f"{api}: {value!r} is not of the form code=NNN, example=NAME, dynamic=true"
                )
                return JSONResponse({"error": message}, status_code=400)
            if api != "*" and api not in known:
                return JSONResponse(
                    {"error": f"unknown api {api!r}", "apis": known}, status_code=400
                )
            chosen.update(dict.fromkeys(known, preference) if api == "*" else {api: preference})
        try:
            await server.state.set_preferences(session, chosen)
        except StateUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return preferences_reply(session)

    async def clear_prefer(request: Request) -> JSONResponse:
        session = _session(request)
        if (wrong := session_error(session)) is not None:
            return JSONResponse({"error": wrong}, status_code=400)
        try:
            await server.state.set_preferences(session, {})
        except StateUnavailable as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return preferences_reply(session)

    return Starlette(
        routes=[
            Route("/__mock/health", health, methods=["GET"]),
            Route("/__mock/requests", requests, methods=["GET"]),
            Route("/__mock/reset", reset, methods=["POST"]),
            Route("/__mock/prefer", show_prefer, methods=["GET"]),
            Route("/__mock/prefer", set_prefer, methods=["PUT"]),
            Route("/__mock/prefer", clear_prefer, methods=["DELETE"]),
            *dashboard_routes(server),
        ]
    )


def _described(preference: Preference) -> dict[str, str | bool | None]:
    return {"code": preference.code, "example": preference.example, "dynamic": preference.dynamic}
