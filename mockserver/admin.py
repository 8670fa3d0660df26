"""The admin API under `/__mock/`: health, the request journal, reset.

It is mounted beside the APIs, never under one, so no API path can collide with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
        return JSONResponse({"status": "reset", "apis": sorted(c.api_id for c in server.contracts)})

    return Starlette(
        routes=[
            Route("/__mock/health", health, methods=["GET"]),
            Route("/__mock/requests", requests, methods=["GET"]),
            Route("/__mock/reset", reset, methods=["POST"]),
        ]
    )
