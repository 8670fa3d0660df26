"""api.example.com: `POST /v1/workflows/{id}/run`, written from the vendor's reference page.

Draft, active and paused workflows run; archived ones are refused (400), unknown ones not found.
Every answer is an envelope `{code, message, requestId}` (plus `data` on success).
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._common import Invalid, bearer_token, field, read_object

PATH = "/v1/workflows/{id}/run"
WORKFLOWS = {  # any other id is an active workflow
    "wf_active": "active",
    "wf_draft": "draft",
    "wf_paused": "paused",
    "wf_archived": "archived",
    "wf_missing": "missing",
}
_RUN_ID_ALPHABET = string.ascii_lowercase + string.digits


class Example:
    API = "example"
    TOKENS = frozenset({"ex_test_token"})
    ARCHIVED = 400

    @classmethod
    def build(cls) -> Starlette:
        return Starlette(routes=[Route(PATH, cls().run, methods=["POST"])])

    def envelope(self, status: int, message: str, **extra: Any) -> JSONResponse:
        body = {"code": status, "message": message, **extra, "requestId": str(uuid.uuid4())}
        return JSONResponse(body, status_code=status)

    def validate(self, body: dict[str, Any]) -> None:
        for name, kind in [
            ("chatMessageId", str),
            ("dustTest", bool),
            ("payload", dict),
            ("simulate", bool),
            ("version", int),
        ]:
            field(body, name, kind)
        self.check_run_id(field(body, "runId", str))
        self.check_exclusive(body)

    def check_run_id(self, run_id: str | None) -> None:
        if run_id is not None and not run_id.startswith("run_"):
            raise Invalid('runId must start with "run_"', "runId")

    def check_exclusive(self, body: dict[str, Any]) -> None:
        if body.get("dustTest") is True and body.get("simulate") is True:
            raise Invalid("dustTest and simulate are mutually exclusive")

    async def run(self, request: Request) -> Response:
        if bearer_token(request) not in self.TOKENS:
            return self.envelope(401, "missing or invalid bearer token")
        try:
            body = await read_object(request, required=False)
            self.validate(body)
        except Invalid as exc:
            return self.envelope(400, str(exc))
        state = WORKFLOWS.get(request.path_params["id"], "active")
        if state == "missing":
            return self.envelope(404, "workflow not found")
        if state == "archived":
            return self.envelope(self.ARCHIVED, "workflow is archived")
        run_id = body.get("runId") or "run_" + "".join(
            secrets.choice(_RUN_ID_ALPHABET) for _ in range(12)
        )
        return self.envelope(200, "success", data={"runId": run_id})
