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
        api = request.query_params.get("api")
        known = {c.api_id for c in server.contracts}
        if api is not None and api not in known:
            return JSONResponse(
                {"error": f"unknown api {api!r}", "apis": sorted(known)}, status_code=404
            )
        entries = [e.as_dict() for e in server.state.journal(api)]
        return JSONResponse({"count": len(entries), "requests": entries})

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
