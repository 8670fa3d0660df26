"""The admin API under `/__mock/`: health, the request journal (also as a stream, and the
dashboard page that shows it: `dashboard`), reset, default preferences.

It is mounted beside the APIs, never under one, so no API path can collide with it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .dashboard import dashboard_routes
from .negotiate import Preference, parse_preference

if TYPE_CHECKING:
    from .app import MockServer

__all__ = ["admin_app"]


def admin_app(server: MockServer) -> Starlette:
    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "apis": server.describe(), **server.state.stats()})

    async def requests(request: Request) -> JSONResponse:
        params = request.query_params
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
        entries = server.state.journal(
            api, since=numbers.get("since", 0), limit=numbers.get("limit")
        )
        listed = [e.as_dict() for e in entries]
        return JSONResponse({"count": len(listed), "requests": listed})

    async def reset(_request: Request) -> JSONResponse:
        server.state.reset()
        server.preferences.clear()
        server.feed.reset()
        return JSONResponse({"status": "reset", "apis": sorted(c.api_id for c in server.contracts)})

    def preferences_reply() -> JSONResponse:
        return JSONResponse(
            {"prefer": {api: _described(pref) for api, pref in sorted(server.preferences.items())}}
        )

    async def show_prefer(_request: Request) -> JSONResponse:
        return preferences_reply()

    async def set_prefer(request: Request) -> JSONResponse:
        """`{"quiva": "code=400, example=ArchivedFlow"}` ("*": every API) replaces the default
        preferences: a request without its own `Prefer`/`__code` is answered as if it had it."""
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
        server.preferences.clear()
        server.preferences.update(chosen)
        return preferences_reply()

    async def clear_prefer(_request: Request) -> JSONResponse:
        server.preferences.clear()
        return preferences_reply()

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
