"""Behave: the API's documented rules, over the fixture state, decide which documented
response applies. Rules name documented examples; they never invent bodies.

Most rules are data in the scenarios file and are applied here for every API:
  * scopes: a credential lacking a required scope gets the documented 403;
  * workflows: the fixture a request names (or the default for unknown ids) has a
    state, and a state may map to a documented response (archived → 400 ArchivedFlow).
What data cannot say lives in a Python module per API, the `Behaviour` protocol below.
The scenarios file names it (`behaviour: mypkg.myapi`, importable from the environment the
mock runs in); by default it is `mockserver.behaviours.<id>` when that module exists. A
module that cannot be imported (a typo inside it, a name that does not exist) is a
`BehaviourError`: one line, never ignored.
"""

from __future__ import annotations

import importlib
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from contracts.catalog import Operation
from contracts.errors import FlowcontractError, UsageError
from contracts.requests import apply_credential
from contracts.scenarios import Credential, Fixture, ResponseRef, Scenarios

from .negotiate import Choice
from .sessions import DEFAULT_SESSION
from .state import State

__all__ = [
    "HOOKS",
    "ApiBehaviour",
    "Behaviour",
    "BehaviourError",
    "MockRequest",
    "load_behaviour",
    "presented_credentials",
]


@dataclass(frozen=True)
class MockRequest:
    """What the stages need of an HTTP request, parsed once."""

    api: str
    operation: Operation
    method: str
    path: str
    path_params: Mapping[str, Any]  # typed by their schemas
    query: Mapping[str, Any]  # documented parameters typed, others as sent
    headers: Mapping[str, str]  # lower-case names
    body: Any
    raw_query: str = ""
    session: str = DEFAULT_SESSION
    template_context: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def query_flag(self, name: str) -> bool:
        return str(self.query.get(name, "")).lower() in {"true", "1"}


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


class Behaviour(Protocol):
    """What an API's behaviour module may define, beyond the scenarios' data. Every hook
    is optional: a module defines the ones its API needs (at least one). A hook answers
    with a `Choice` naming a documented response example, or None to let the next rule
    decide.

    Order for a validated request: `Prefer` → the scenarios' scope rules → `refuse` →
    the workflow state's documented response → `run` → a request/response example pair
    → `default_example`. A choice of `text/event-stream` is answered by `stream`.
    """

    def refuse(self, request: MockRequest) -> Choice | None:
        """A request-level rule, checked before the workflow is looked up."""

    def run(self, request: MockRequest, fixture: Fixture | None) -> Choice | None:
        """A rule of a runnable workflow, over the fixture the request names (if any)."""

    def default_example(self, request: MockRequest) -> str | None:
        """The success example's name when no request example pairs with the body."""

    def stream(self, request: MockRequest, fixture: Fixture | None, body: Any) -> bytes:
        """The `text/event-stream` body, around the operation's success body."""


HOOKS = ("refuse", "run", "default_example", "stream")


class BehaviourError(FlowcontractError):
    """A behaviour module that cannot be used: not importable, or not a `Behaviour`."""

    code = "behaviour-invalid"


def _failed_import(name: str, origin: str, exc: BaseException) -> BehaviourError:
    cause = " ".join(f"{type(exc).__name__}: {exc}".split())
    where: dict[str, Any] = {}
    if isinstance(exc, SyntaxError) and exc.filename:
        where = {"file": exc.filename, "line": exc.lineno, "column": exc.offset}
    elif exc.__traceback__ is not None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = {"file": frame.filename, "line": frame.lineno}
    return BehaviourError(
        f"behaviour module {name!r} ({origin}) cannot be imported: {cause}", **where
    )


def load_behaviour(api: str, named: str | None = None, origin: str = "") -> ModuleType | None:
    """The API's behaviour module: `named` (by the scenarios file), else
    `mockserver.behaviours.<api>` if it exists, else None."""
    name = named or f"mockserver.behaviours.{api}"
    origin = origin or ("the default for this API" if named is None else "named by the scenarios")
    if named is None and not api.isidentifier():
        return None
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name and named is None:
            return None  # the API has no module of its own
        if (
            exc.name is not None
            and name.startswith(exc.name)
            and name[len(exc.name) :][:1] in ("", ".")
        ):
            raise BehaviourError(
                f"behaviour module {name!r} ({origin}) is not importable from this Python "
                f"environment: no module named {exc.name!r}"
            ) from None
        raise _failed_import(name, origin, exc) from None
    except Exception as exc:  # any failure while the module runs is the module's bug
        raise _failed_import(name, origin, exc) from None
    hooks = {hook: getattr(module, hook) for hook in HOOKS if hasattr(module, hook)}
    if not hooks:
        raise BehaviourError(
            f"behaviour module {name!r} ({origin}) defines none of {', '.join(HOOKS)}"
        )
    for hook, value in hooks.items():
        if not callable(value):
            raise BehaviourError(f"behaviour module {name!r} ({origin}): {hook} is not callable")
    return module


class ApiBehaviour:
    """One API's rules: the scenarios' data plus the API's `Behaviour` module, if any."""

    def __init__(self, api: str, scenarios: Scenarios | None, schemes: Mapping[str, Any]):
        self.api = api
        self.scenarios = scenarios
        self.schemes = schemes
        named = scenarios.behaviour if scenarios else None
        origin = f"named by {scenarios.path}" if scenarios and named else ""
        module = load_behaviour(api, named, origin)
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
        fixture = state.fixture(self.api, workflow_id, request.session)
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
