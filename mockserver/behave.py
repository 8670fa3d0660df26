"""Behave: the API's documented rules, over the fixture state, decide which documented
response applies. Rules name documented examples; they never invent bodies.

Most rules are data in the scenarios file and are applied here for every API:
  * scopes: a credential lacking a required scope gets the documented 403;
  * workflows: the fixture a request names (or the default for unknown ids) has a
    state, and a state may map to a documented response (archived → 400 ArchivedFlow).
What data cannot say lives in a small module per API (`mockserver.behaviours.<id>`),
which may define three hooks:
  * `refuse(request)`: request-level rules checked before the workflow is looked up;
  * `run(request, fixture)`: rules of a runnable workflow (quiva's debounceOn);
  * `default_example(request)`: the success example when no request example matches;
  * `stream(request, fixture, body)`: the `text/event-stream` answer, around the
    operation's success body (pharen's progress events).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from contracts.catalog import Operation
from contracts.errors import UsageError
from contracts.requests import apply_credential
from contracts.scenarios import Credential, Fixture, ResponseRef, Scenarios

from .negotiate import Choice
from .state import State

__all__ = ["Behaviour", "MockRequest", "load_behaviour", "presented_credentials"]


@dataclass(frozen=True)
class MockRequest:
    """What the stages need of an HTTP request, parsed once."""

    api: str
    operation: Operation
    method: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: Any
    raw_query: str = ""
    template_context: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def query_flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in {"true", "1"}


def _matches(expected: Mapping[str, Mapping[str, Any]], request: MockRequest) -> bool:
    sources: dict[str, Mapping[str, Any]] = {
        "path": request.path_params,
        "query": request.query,
        "headers": request.headers,
    }
    for where, fields in expected.items():
        actual = sources.get(where, {})
        for name, value in fields.items():
            key = name.lower() if where == "headers" else name
            got = actual.get(key)
            if got is None or str(got).lower() != str(value).lower():
                return False
    return True


def presented_credentials(
    scenarios: Scenarios, schemes: Mapping[str, Any]
) -> list[tuple[str, str, Credential]]:
    """Each scenarios credential as the request header (lower-case name, value) that
    presents it, in the scenarios' order."""
    out = []
    for cred in scenarios.credentials.values():
        try:
            applied = apply_credential(schemes, cred.scheme, cred.value)
        except UsageError:  # a scheme no request header carries
            continue
        if applied.location == "header":
            out.append((applied.name.lower(), applied.value, cred))
    return out


def _choice(ref: ResponseRef, operation: Operation, rule: str) -> Choice:
    found = operation.response_example(ref.example)
    media_type = found[1] if found else "application/json"
    return Choice(status=ref.status, media_type=media_type, example=ref.example, rule=rule)


def load_behaviour(api: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"mockserver.behaviours.{api}")
    except ModuleNotFoundError:
        return None


class Behaviour:
    """One API's rules: the scenarios' data plus the API's module, if it has one."""

    def __init__(self, api: str, scenarios: Scenarios | None, schemes: Mapping[str, Any]):
        self.api = api
        self.scenarios = scenarios
        self.schemes = schemes
        module = load_behaviour(api)
        self._refuse: Callable[..., Choice | None] | None = getattr(module, "refuse", None)
        self._run: Callable[..., Choice | None] | None = getattr(module, "run", None)
        self._default: Callable[..., str | None] | None = getattr(module, "default_example", None)
        self._stream: Callable[..., bytes] | None = getattr(module, "stream", None)
        self.presented = presented_credentials(scenarios, schemes) if scenarios else []
        self.all_scopes = frozenset(
            s for c in (scenarios.credentials.values() if scenarios else ()) for s in c.scopes
        )

    def scopes_of(self, request: MockRequest) -> frozenset[str]:
        """Scopes of the presented credential; an unlisted (accepted) one has them all."""
        if self.scenarios is None:
            return self.all_scopes
        headers = request.headers
        for header, value, cred in self.presented:  # the scenarios credential presented
            if headers.get(header) == value:
                return frozenset(cred.scopes)
        return self.all_scopes

    def fixture_state(self, request: MockRequest, state: State) -> tuple[str, Fixture | None]:
        wf = self.scenarios.workflows if self.scenarios else None
        if wf is None:
            return "active", None
        workflow_id = str(request.path_params.get(wf.param, ""))
        fixture = state.fixture(self.api, workflow_id)
        if fixture is not None:
            if fixture.where and not _matches(fixture.where, request):
                return "missing", None
            return fixture.state, fixture
        if wf.pattern and not re.search(wf.pattern, workflow_id):
            return "missing", None
        return wf.unknown, None

    def decide(self, request: MockRequest, state: State) -> Choice | None:
        """The documented response the API's rules give this request, if any."""
        op = request.operation
        if self.scenarios is None:
            return None
        scopes = self.scopes_of(request)
        for rule in self.scenarios.scopes:
            if rule.require not in scopes and _matches(rule.when, request):
                return _choice(rule.respond, op, f"behaviour: credential lacks {rule.require}")
        if self._refuse and (refused := self._refuse(request)):
            return refused
        state_name, fixture = self.fixture_state(request, state)
        wf = self.scenarios.workflows
        if wf and state_name in wf.states:
            workflow_id = request.path_params.get(wf.param)
            return _choice(
                wf.states[state_name], op, f"behaviour: workflow {workflow_id} is {state_name}"
            )
        if self._run:
            return self._run(request, fixture)
        return None

    def default_example(self, request: MockRequest) -> str | None:
        return self._default(request) if self._default else None

    def stream(self, request: MockRequest, state: State, body: Any) -> bytes | None:
        """The event stream answering `request` (the module's `stream` hook, over the
        request's fixture), or None when the API's module has none."""
        if self._stream is None:
            return None
        _, fixture = self.fixture_state(request, state)
        return self._stream(request, fixture, body)
