"""quiva.ai Hub: `POST /hub/workflows/{collection_topic}/{flow_topic}/run`, written from its docs.

Flows are looked up by topic; an archived, unconfigured or empty flow refuses to run; a flow with
a `debounceOn` or `orderOn` template answers with the resolved key instead of a tracking id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._common import Invalid, bearer_token, field, query_bool, read_object

PATH = "/hub/workflows/{collection_topic}/{flow_topic}/run"


@dataclass(frozen=True)
class Flow:
    state: str = "active"
    debounce_on: str | None = None
    order_on: str | None = None


FLOWS = {  # by flow_topic, in any collection; any other topic is an active flow
    "21312322": Flow(),
    "archived": Flow(state="archived"),
    "no-config": Flow(state="unconfigured"),
    "no-nodes": Flow(state="empty"),
    "debounced": Flow(debounce_on="{{user_id}}-notifications"),
    "ordered": Flow(order_on="order_queue-{{data.order_id}}"),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")


def resolve(template: str, trigger: dict[str, Any]) -> str | None:
    """Fill `{{dotted.path}}` placeholders from the trigger; None if one has no scalar value."""

    def lookup(match: re.Match[str]) -> str:
        node: Any = trigger
        for part in match.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                raise LookupError(match.group(1))
            node = node[part]
        if node is None or isinstance(node, dict | list):
            raise LookupError(match.group(1))
        return str(node)

    try:
        return _PLACEHOLDER.sub(lookup, template)
    except LookupError:
        return None


def _one_line(topic: str) -> str:
    """The topic with control characters percent-escaped, so that a tracking id is one line."""
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", topic)


class Quiva:
    API = "quiva"
    BEARER_TOKENS = frozenset({"qv_test_token"})
    API_KEYS = frozenset({"qv_test_api_key"})
    REFUSALS: ClassVar[Mapping[str, str]] = {
        "archived": "cannot run an archived flow",
        "unconfigured": "missing configuration",
        "empty": "nodes are required",
    }

    @classmethod
    def build(cls) -> Starlette:
        return Starlette(routes=[Route(PATH, cls().run, methods=["POST"])])

    def error(self, status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def authenticated(self, request: Request) -> bool:
        """At least one credential, and every credential presented valid."""
        authorization = request.headers.get("authorization")
        api_key = request.headers.get("x-api-key")
        if authorization is None and api_key is None:
            return False
        return (authorization is None or bearer_token(request) in self.BEARER_TOKENS) and (
            api_key is None or api_key in self.API_KEYS
        )

    def no_trigger(self, body: dict[str, Any], triggers: list[dict[str, Any]]) -> bool:
        return not triggers

    def tracking_id(self, collection: str, flow: str) -> str:
        collection, flow = _one_line(collection), _one_line(flow)
        return f"ms.hub.run.{uuid.uuid4()}.ms.hub.config.workflow.{collection}.{flow}"

    async def run(self, request: Request) -> Response:
        if not self.authenticated(request):
            return self.error(401, "unauthorized")
        try:
            body = await read_object(request, required=True)
            query_bool(request, "draft")  # a draft run behaves the same here
            field(body, "enable_log", bool)
            awaited = field(body, "await", bool)
            trigger = field(body, "trigger", dict)
            triggers = field(body, "triggers", list) or []
            if not all(isinstance(t, dict) for t in triggers):
                raise Invalid("'triggers' must be an array of objects")
        except Invalid as exc:
            return self.error(400, str(exc))
        triggers = [trigger, *triggers] if trigger is not None else triggers

        collection = request.path_params["collection_topic"]
        topic = request.path_params["flow_topic"]
        flow = FLOWS.get(topic, Flow())
        if flow.state != "active":
            return self.error(400, self.REFUSALS[flow.state])
        if self.no_trigger(body, triggers):
            return self.error(400, "no trigger specified")
        first = triggers[0]  # debounceOn and orderOn resolve against the first trigger
        if flow.debounce_on:
            key = resolve(flow.debounce_on, first)
            if key is None:
                return self.error(400, "failed to resolve debounceOn")
            return JSONResponse({"body": f"debounced run: {key}"})
        if flow.order_on:
            key = resolve(flow.order_on, first)
            if key is None:
                return self.error(400, "failed to resolve orderOn")
            return JSONResponse(f"ordered run: {key}")

        run: dict[str, Any] = {"trackingId": self.tracking_id(collection, topic)}
        if awaited:
            run["result"] = {"status": "completed", "triggers_processed": len(triggers)}
        return JSONResponse(run)
