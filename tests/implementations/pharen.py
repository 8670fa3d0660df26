"""Pharen Hub: `POST /api/flow/workflows/{workflow_uuid}/execute/`, from its OpenAPI and prose.

Scoped API keys; a workflow is found only in its own team (`team_id`); `stream=true` answers with
server-sent events, one `progress` per node then the `run`. Errors use
`{"error": {code, message, details}}`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ._common import Invalid, bearer_token, field, now, query_bool, read_object

PATH = "/api/flow/workflows/{workflow_uuid}/execute/"
RUN, STREAMING = "workflows:run", "streaming"
API_KEYS = {  # key -> scopes
    "phk_your_api_key": frozenset({RUN, STREAMING}),
    "phk_no_scope": frozenset({STREAMING}),
    "phk_no_stream": frozenset({RUN}),
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass(frozen=True)
class Workflow:
    team_id: str
    nodes: tuple[str, ...]


WORKFLOWS = {  # published workflows by uuid
    "11111111-1111-4111-8111-111111111111": Workflow(
        team_id="22222222-2222-4222-8222-222222222222", nodes=("trigger", "output")
    ),
}


def uuid_param(value: str | None, name: str, where: str) -> str:
    if value is None:
        raise Invalid(f"Missing {where} parameter '{name}'", name)
    if not _UUID.match(value):
        raise Invalid(f"{where.capitalize()} parameter '{name}' must be a UUID", name)
    return value.lower()


class Pharen:
    API = "pharen"
    INVALID = 400

    @classmethod
    def build(cls) -> Starlette:
        return Starlette(routes=[Route(PATH, cls().execute, methods=["POST"])])

    def error(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> JSONResponse:
        error: dict[str, Any] = {"code": code, "message": message}
        if details:
            error["details"] = details
        return JSONResponse({"error": error}, status_code=status)

    def forbidden(self, scope: str, message: str) -> JSONResponse:
        return self.error(403, "forbidden", message, {"required_scope": scope})

    def may_stream(self, scopes: frozenset[str]) -> bool:
        return STREAMING in scopes

    def run_record(self, workflow_uuid: str, status: str) -> dict[str, Any]:
        started_at = now().isoformat(timespec="microseconds").replace("+00:00", "Z")
        return {
            "id": str(uuid.uuid4()),
            "workflow_id": workflow_uuid,
            "status": status,
            "started_at": started_at,
        }

    async def execute(self, request: Request) -> Response:
        scopes = API_KEYS.get(bearer_token(request) or "")
        if scopes is None:
            return self.error(401, "unauthorized", "The request did not include a valid API key.")
        if RUN not in scopes:
            return self.forbidden(RUN, "This API key does not have the required scope.")
        try:
            raw_uuid = request.path_params["workflow_uuid"]
            workflow_uuid = uuid_param(raw_uuid, "workflow_uuid", "path")
            team_id = uuid_param(request.query_params.get("team_id"), "team_id", "query")
            stream = query_bool(request, "stream") or False
        except Invalid as exc:
            return self.error(self.INVALID, "bad_request", str(exc), {"field": exc.field})
        if stream and not self.may_stream(scopes):
            return self.forbidden(STREAMING, "This API key does not allow streaming.")
        workflow = WORKFLOWS.get(workflow_uuid)
        if workflow is None or workflow.team_id != team_id:
            return self.error(404, "not_found", "Workflow not found.")
        try:
            body = await read_object(request, required=False)
            for name in ("input", "inputs"):
                field(body, name, dict)
            field(body, "trigger_type", str)
        except Invalid as exc:
            return self.error(self.INVALID, "bad_request", str(exc), {"field": exc.field})
        if stream:
            return StreamingResponse(
                self.events(raw_uuid, workflow), media_type="text/event-stream"
            )
        return JSONResponse(self.run_record(raw_uuid, "running"))

    async def events(self, workflow_uuid: str, workflow: Workflow) -> AsyncIterator[str]:
        total = len(workflow.nodes)
        for index, node_id in enumerate(workflow.nodes, start=1):
            progress = {"node_id": node_id, "status": "completed", "index": index, "total": total}
            yield f"event: progress\ndata: {json.dumps(progress)}\n\n"
        yield f"event: run\ndata: {json.dumps(self.run_record(workflow_uuid, 'completed'))}\n\n"
