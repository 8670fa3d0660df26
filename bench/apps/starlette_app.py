"""The ceiling: a bare Starlette app answering the quiva run route with a fixed JSON.

Served by `bench/run.py` under uvicorn with the same settings as the other Python servers.
It reads the request body (as any real handler would) and answers pre-rendered bytes.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_BODY = json.dumps(
    {
        "trackingId": "ms.hub.run.abcdef-1234-5678-90ab-cdef12345678"
        ".ms.hub.config.workflow.1234567890.21312322",
        "result": {"status": "completed", "order_id": "ORD-456"},
    },
    separators=(",", ":"),
).encode()


async def run_workflow(request: Request) -> Response:
    await request.body()
    return Response(_BODY, media_type="application/json")


app = Starlette(
    routes=[
        Route("/hub/workflows/{collection_topic}/{flow_topic}/run", run_workflow, methods=["POST"])
    ]
)
