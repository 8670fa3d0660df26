"""Wiv: `POST /workflows/{workflow_id}/run`, written from the vendor's prose docs.

Every workflow id runs; the answer echoes the payload and the workflow id under `data`, with a
fresh `exec_` id and a UTC timestamp. Errors use `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._common import Invalid, field, now, read_object

PATH = "/workflows/{workflow_id}/run"


@dataclass(frozen=True)
class Account:
    run_by: str
    tenant_id: str


ACCOUNTS = {  # by API key
    "wiv_test_api_key": Account(run_by="api_user_name", tenant_id="tenant_xyz789"),
}


class Wiv:
    API = "wiv"
    TRIGGER_TYPE = "MANUAL"

    @classmethod
    def build(cls) -> Starlette:
        return Starlette(routes=[Route(PATH, cls().run, methods=["POST"])])

    def error(self, status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    def account(self, request: Request) -> Account | None:
        return ACCOUNTS.get(request.headers.get("x-api-key", ""))

    def execution_id(self) -> str:
        return f"exec_{secrets.token_hex(6)}"

    async def run(self, request: Request) -> Response:
        account = self.account(request)
        if account is None:
            return self.error(401, "unauthorized", "missing or invalid X-API-KEY header")
        try:
            body = await read_object(request, required=True)
            payload = field(body, "payload", dict)
        except Invalid as exc:
            return self.error(400, "invalid_request", str(exc))
        execution: dict[str, Any] = {
            "event_type": "WORKFLOW_TRIGGER",
            "execution_id": self.execution_id(),
            "payload": payload if payload is not None else {},
            "run_by": account.run_by,
            "tenant_id": account.tenant_id,
            "timestamp": now().strftime("%Y-%m-%d %H:%M:%S.%f"),
            "trigger_id": "-",
            "trigger_type": self.TRIGGER_TYPE,
            "workflow_id": request.path_params["workflow_id"],
        }
        return JSONResponse({"data": execution})
