"""pharen: "Setze `true`, um eine Streaming-Antwort anzufordern" — `stream=true` answers
with server-sent events: one `progress` event per workflow node (the fixture's `nodes`,
else trigger and output), then a `run` event carrying the WorkflowRun, completed. (Keys
without the streaming scope were refused before, by the scenarios' scope rules.) A client
whose `Accept` leaves out `text/event-stream` gets the documented JSON body instead, the
200 `application/json` WorkflowRun (the vendor documents no 406).
"""

from __future__ import annotations

from typing import Any

from contracts.scenarios import Fixture

from ..behave import MockRequest
from ..negotiate import Choice, accepts
from ..render import event_stream


def run(request: MockRequest, fixture: Fixture | None) -> Choice | None:
    if request.query_flag("stream") and accepts(request.headers.get("accept"), "text/event-stream"):
        return Choice(200, "text/event-stream", "streamed", "behaviour: stream=true")
    return None


def _nodes(fixture: Fixture | None) -> list[str]:
    nodes = fixture.attributes.get("nodes") if fixture else None
    return [str(n) for n in nodes] if isinstance(nodes, list) and nodes else ["trigger", "output"]


def stream(request: MockRequest, fixture: Fixture | None, body: Any) -> bytes:
    """Progress per workflow node, then the run: what pharen streams with `stream=true`."""
    if isinstance(body, dict) and "status" in body:
        body["status"] = "completed"
    nodes = _nodes(fixture)
    events: list[tuple[str | None, Any]] = [
        ("progress", {"node_id": node, "status": "completed", "index": i, "total": len(nodes)})
        for i, node in enumerate(nodes, start=1)
    ]
    events.append(("run", body))
    return event_stream(events)
