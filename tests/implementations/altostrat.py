"""Altostrat SDX: `POST /workflows/{workflowId}/execute`, written from the vendor's reference.

A run is accepted asynchronously (202, `pending`) under a fresh ULID-style `fl_run_` id. Workflow
ids carry the `fl_` prefix; errors use `{type, code, message, doc_url}`.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._common import Invalid, bearer_token, field, now, read_object

PATH = "/workflows/{workflowId}/execute"
WORKFLOWS = {  # any other `fl_` id is an active workflow
    "fl_01h3j4k5l6m7n8p9q0r1s2t3u4": "active",
    "fl_forbidden": "forbidden",
    "fl_missing": "missing",
    "fl_error": "failing",
}
ERRORS = {  # status -> (type, code, default message)
    400: ("invalid_request_error", "invalid_request", "The request body is not valid."),
    401: ("authentication_error", "unauthenticated", "A valid bearer token is required."),
    403: (
        "permission_error",
        "workflow_forbidden",
        "You do not have permission to execute this workflow.",
    ),
    404: ("invalid_request_error", "resource_missing", "No workflow with this ID was found."),
    500: ("api_error", "internal_error", "An unexpected error occurred."),
}
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ulid() -> str:
    """26 lowercase Crockford base32 characters: 48 bits of milliseconds, 80 random bits."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class Altostrat:
    API = "altostrat"
    TOKENS = frozenset({"alto_test_token"})
    ACCEPTED = 202
    INITIAL_STATUS = "pending"

    @classmethod
    def build(cls) -> Starlette:
        return Starlette(routes=[Route(PATH, cls().execute, methods=["POST"])])

    def error(self, status: int, message: str | None = None) -> JSONResponse:
        kind, code, default = ERRORS[status]
        return JSONResponse(
            {
                "type": kind,
                "code": code,
                "message": message or default,
                "doc_url": f"https://docs.altostrat.io/errors/{code}",
            },
            status_code=status,
        )

    def run_id(self) -> str:
        return f"fl_run_{ulid()}"

    async def execute(self, request: Request) -> Response:
        if bearer_token(request) not in self.TOKENS:
            return self.error(401)
        workflow_id = request.path_params["workflowId"]
        state = WORKFLOWS.get(workflow_id, "active") if workflow_id.startswith("fl_") else "missing"
        if state == "missing":
            return self.error(404)
        if state == "forbidden":
            return self.error(403)
        try:
            body = await read_object(request, required=False)
            field(body, "context", dict)
        except Invalid as exc:
            return self.error(400, f"The request body is not valid: {exc}.")
        if state == "failing":
            return self.error(500)
        run: dict[str, Any] = {
            "id": self.run_id(),
            "status": self.INITIAL_STATUS,
            "error_message": None,
            "started_at": now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "completed_at": None,
            "duration_in_seconds": None,
        }
        return JSONResponse(run, status_code=self.ACCEPTED)
