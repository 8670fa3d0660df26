"""pharen: "Setze `true`, um eine Streaming-Antwort anzufordern" — `stream=true` answers
with server-sent events: one `progress` event per workflow node, then a `run` event
carrying the WorkflowRun. (Keys without the streaming scope were refused before, by the
scenarios' scope rules.)
"""

from __future__ import annotations

from contracts.scenarios import Fixture

from ..behave import MockRequest
from ..negotiate import Choice


def run(request: MockRequest, fixture: Fixture | None) -> Choice | None:
    if request.query_flag("stream"):
        return Choice(200, "text/event-stream", "streamed", "behaviour: stream=true")
    return None
