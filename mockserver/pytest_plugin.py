"""The pytest plugin (entry point `pytest11: flowcontract`): a real mock for a test suite.

One mock server per test session (per pytest-xdist worker: each worker is its own session)
runs in a background thread on a free loopback port. Each test sees it through the
function-scoped fixture `flowcontract_mock`, which resets the mock when the test starts (its
fixtures, debounce windows and journal), remembers the journal's last `seq` and reads only
what came after it, so no test sees another's requests.

Strict by default: a request the test sent that the contract refuses (the journal's rule is
`validate: ...`, `guard: ...` or `unrouted`) fails the test with the mock's reason, checked
after the test body (the test FAILS) and again at teardown for what fixtures sent while
tearing down (an ERROR). A documented business error (an archived flow) is not a violation.
`@pytest.mark.flowcontract(strict=False)` or `--flowcontract-no-strict` turns it off;
`@pytest.mark.flowcontract(prefer=...)` sets a default `Prefer` for the test's requests
(`PUT /__mock/prefer`), cleared at teardown. docs/pytest-plugin.md is the user's guide.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .config import MockConfig

__all__ = ["FlowcontractMock", "SessionMock"]

# A journal entry's rule with one of these prefixes: the request broke the contract.
VIOLATION_RULES = ("validate:", "guard:", "unrouted")
MARKER = "flowcontract"
MARKER_ARGUMENTS = frozenset({"strict", "prefer"})
NO_STRICT_OPTION = "--flowcontract-no-strict"
_VIEW = pytest.StashKey["FlowcontractMock"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "flowcontract_apis",
        type="args",
        default=[],
        help="flowcontract: the APIs the mock serves, ids or spec paths (default: all five)",
    )
    parser.addini(
        "flowcontract_scenarios",
        type="args",
        default=[],
        help="flowcontract: scenarios files (each one's `api:` names the API it replaces)",
    )
    group = parser.getgroup("flowcontract")
    group.addoption(
        NO_STRICT_OPTION,
        action="store_true",
        dest="flowcontract_no_strict",
        help="do not fail a test whose requests the mock refused as breaking the contract",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(strict=True, prefer=None): the flowcontract mock for this test: strict=False "
        "lets requests that break the contract pass; prefer='code=400, example=X' (every API) "
        "or {api: 'code=...'} is the default Prefer of the test's requests",
    )


@dataclass(frozen=True)
class Operation:
    api: str
    key: str  # "POST /hub/workflows/{collection_topic}/{flow_topic}/run"
    operation_id: str | None


class SessionMock:
    """The session's mock server: its base URL, the operations it serves, its admin API."""

    def __init__(self, base_url: str, operations: Sequence[Operation]):
        self.base_url = base_url
        self.operations = tuple(operations)
        self.apis = tuple(dict.fromkeys(op.api for op in operations))
        import httpx  # here, not at import: the plugin is loaded by every pytest run

        # X-Mock-Admin: the admin API refuses state changes a cross-site page could send
        self.client = httpx.Client(
            base_url=base_url, timeout=30, trust_env=False, headers={"X-Mock-Admin": "1"}
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call `/__mock/<path>`; anything but a 200 fails the test with the mock's error."""
        response = self.client.request(method, f"/__mock/{path}", **kwargs)
        if response.status_code != 200:
            pytest.fail(
                f"flowcontract: {method} /__mock/{path} answered {response.status_code}: "
                f"{response.text}",
                pytrace=False,
            )
        return response.json()

    def last_seq(self) -> int:
        newest = self.admin("GET", "requests", params={"limit": 1})["requests"]
        return int(newest[-1]["seq"]) if newest else 0

    def journal(self, since: int) -> list[dict[str, Any]]:
        """The entries recorded after `since`, oldest first."""
        entries: list[dict[str, Any]] = self.admin("GET", "requests", params={"since": since})[
            "requests"
        ]
        return entries


class FlowcontractMock:
    """What one test sees of the session's mock (the `flowcontract_mock` fixture)."""

    def __init__(self, session: SessionMock, *, prefer: Mapping[str, str], strict: bool):
        self._session = session
        self._prefer = dict(prefer)
        self.strict = strict
        self._since = 0  # the journal's last seq before this test
        self._checked = 0  # the last seq looked at for contract violations
        self._violations: list[dict[str, Any]] = []

    @property
    def apis(self) -> tuple[str, ...]:
        """The ids of the APIs the mock serves."""
        return self._session.apis

    def url(self, api: str) -> str:
        """The API's base URL, e.g. `http://127.0.0.1:PORT/quiva`."""
        self._known(api)
        return f"{self._session.base_url}/{api}"

    def requests(
        self, api: str | None = None, operation: str | None = None
    ) -> list[dict[str, Any]]:
        """The journal entries of this test's requests, oldest first (as `GET
        /__mock/requests` shows them), of `api` and `operation` ("METHOD /path", templated
        as the spec writes it or as sent, or the operationId) when given."""
        if api is not None:
            self._known(api)
        matches = self._matcher(api, operation)
        entries = self._session.journal(self._since)
        self._note_violations(entries)
        return [e for e in entries if (api is None or e["api"] == api) and matches(e)]

    def assert_called(
        self,
        api: str,
        operation: str,
        times: int | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Fail unless this test called `operation` of `api` (`times` times exactly, else at
        least once) with a body that contains `body` (a subset: the keys given, recursively);
        the failure lists what was called instead, with each body's differences. Returns the
        matching entries."""
        __tracebackhide__ = True
        calls = self.requests(api, operation)
        matching = [e for e in calls if body is None or not body_differences(body, e["body"])]
        if (len(matching) == times) if times is not None else bool(matching):
            return matching
        raise AssertionError(
            self._called_instead(api, operation, times, body, calls, len(matching))
        )

    def reset(self) -> None:
        """Back to the scenarios' initial state (fixtures, debounce windows, journal); the
        test's `prefer` stays. Violations sent before the reset still fail a strict test."""
        self._note_violations(self._session.journal(self._checked))
        self._session.admin("POST", "reset")
        self._apply_prefer()

    def start(self) -> None:
        self._session.admin("POST", "reset")
        self._apply_prefer()
        self._since = self._checked = self._session.last_seq()

    def finish(self) -> None:
        if self._prefer:
            self._session.admin("DELETE", "prefer")

    def take_violations(self) -> list[dict[str, Any]]:
        """The requests that broke the contract since the last call (read from the journal)."""
        self._note_violations(self._session.journal(self._checked))
        found, self._violations = self._violations, []
        return found

    def _apply_prefer(self) -> None:
        if self._prefer:
            self._session.admin("PUT", "prefer", json=self._prefer)

    def _note_violations(self, entries: Sequence[dict[str, Any]]) -> None:
        for entry in entries:
            if entry["seq"] > self._checked:
                self._checked = entry["seq"]
                if str(entry["rule"]).startswith(VIOLATION_RULES):
                    self._violations.append(entry)

    def _known(self, api: str) -> None:
        if api not in self._session.apis:
            raise ValueError(
                f"flowcontract: the mock serves no API {api!r} "
                f"(it serves {', '.join(self._session.apis)}; see the ini option flowcontract_apis)"
            )

    def _matcher(self, api: str | None, operation: str | None) -> Any:
        if operation is None:
            return lambda entry: True
        wanted = _normalized(operation)
        ops = [op for op in self._session.operations if api is None or op.api == api]
        named = {(op.api, op.key) for op in ops if wanted in (op.key, op.operation_id)}
        method, _, path = wanted.partition(" ")
        if not named and not (method.isalpha() and path.startswith("/")):
            known = "; ".join(
                f"{op.key} ({op.operation_id})" if op.operation_id else op.key for op in ops
            )
            raise ValueError(
                f"flowcontract: {operation!r} is no operation of {api or 'the served APIs'}: "
                f'give "METHOD /path" or an operationId; known: {known}'
            )

        def matches(entry: dict[str, Any]) -> bool:
            if (entry["api"], entry["operation"]) in named:
                return True
            sent = str(entry["path"])
            under_api = sent.removeprefix(f"/{entry['api']}") if entry["api"] else sent
            return entry["method"] == method and path in (sent, under_api)

        return matches

    def _called_instead(
        self,
        api: str,
        operation: str,
        times: int | None,
        body: Mapping[str, Any] | None,
        calls: Sequence[dict[str, Any]],
        matching: int,
    ) -> str:
        wanted = "at least once" if times is None else f"{times} time{'s' if times != 1 else ''}"
        with_body = f" with a body containing {_json(body)}" if body is not None else ""
        lines = [
            f"flowcontract: expected {api} {operation} to be called {wanted}{with_body}; "
            + (
                f"it was called {len(calls)} time{'s' if len(calls) != 1 else ''}"
                + (f", {matching} with that body" if body is not None else "")
            )
        ]
        if calls:
            lines.append(f"calls of {operation} in this test:")
            for entry in calls:
                lines.append("  " + _summary(entry))
                if body is not None:
                    lines += [f"      {d}" for d in body_differences(body, entry["body"])]
        seqs = {entry["seq"] for entry in calls}
        others = [e for e in self._session.journal(self._since) if e["seq"] not in seqs]
        if others:
            lines.append("other requests this test sent:")
            lines += ["  " + _summary(entry) for entry in others]
        elif not calls:
            lines.append("this test sent no request to the mock")
        return "\n".join(lines)


def body_differences(expected: Any, actual: Any, path: str = "body") -> list[str]:
    """How `actual` fails to contain `expected`: objects by the keys `expected` names (more
    keys in `actual` are fine), arrays item by item, anything else by equality."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: expected an object, got {_json(actual)}"]
        differences = []
        for key, value in expected.items():
            if key not in actual:
                differences.append(f"{path}.{key}: missing (expected {_json(value)})")
            else:
                differences += body_differences(value, actual[key], f"{path}.{key}")
        return differences
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {_json(expected)}, got {_json(actual)}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in body_differences(e, a, f"{path}[{i}]")
        ]
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: expected {_json(expected)}, got {_json(actual)}"]
    return []


def _normalized(operation: str) -> str:
    method, space, path = operation.strip().partition(" ")
    return (
        f"{method.upper()} {path.strip()}" if space and path.strip().startswith("/") else operation
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _summary(entry: Mapping[str, Any]) -> str:
    query = f"?{entry['query']}" if entry.get("query") else ""
    return (
        f"#{entry['seq']} {entry['method']} {entry['path']}{query} -> {entry['status']} "
        f"({entry['rule']})"
    )


def _violations_message(violations: Sequence[Mapping[str, Any]]) -> str:
    count = len(violations)
    lines = [
        f"flowcontract: {count} request{'s' if count != 1 else ''} of this test broke the "
        "contract (refused by the mock):"
    ]
    lines += [f"  {_summary(entry)}" for entry in violations]
    lines.append(
        f"(strict mode: @pytest.mark.{MARKER}(strict=False) or {NO_STRICT_OPTION} lets them pass)"
    )
    return "\n".join(lines)


def _mock_config(config: pytest.Config) -> MockConfig:
    """The ini options as the mock's configuration (paths relative to the ini file)."""
    from contracts.scenarios import load_scenarios

    from .config import MockConfig

    base = config.inipath.parent if config.inipath else config.rootpath

    def located(entry: str) -> str:
        looks_like_path = "/" in entry or Path(entry).suffix in {".yaml", ".yml", ".json"}
        return str(base / entry) if looks_like_path else entry

    scenarios = {
        load_scenarios(base / file).api: base / file
        for file in config.getini("flowcontract_scenarios")
    }
    apis = tuple(located(entry) for entry in config.getini("flowcontract_apis"))
    return MockConfig(apis=apis, scenarios=scenarios, port=0)


@pytest.fixture(scope="session")
def flowcontract_server(pytestconfig: pytest.Config) -> Iterator[SessionMock]:
    """The session's mock server (one per pytest-xdist worker)."""
    from contracts.errors import FlowcontractError

    from .build import build_app
    from .serving import serve

    refused = ""
    # Connexion, prance and Starlette warn about their own dependencies while loading (the
    # filters mockserver/__init__ sets are pytest's to replace); a suite that turns warnings
    # into errors must still get its mock.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")
        try:
            app = build_app(_mock_config(pytestconfig))
        except FlowcontractError as exc:
            refused = str(exc)  # failed below, outside this block: one line, no chained trace
    if refused:
        pytest.fail(f"flowcontract: the mock cannot start: {refused}", pytrace=False)
    operations = [
        Operation(api=c.api_id, key=op.key, operation_id=op.operation_id)
        for c in app.contracts
        for op in c.operations
    ]
    with serve(app, lifespan="on", http="auto", loop="auto") as base_url:
        session = SessionMock(base_url, operations)
        try:
            yield session
        finally:
            session.client.close()


@pytest.fixture()
def flowcontract_mock(
    request: pytest.FixtureRequest, flowcontract_server: SessionMock
) -> Iterator[FlowcontractMock]:
    """The session's mock as this test sees it: `url(api)`, `requests()`, `assert_called()`,
    `reset()`; the mock is reset when the test starts."""
    options = _marker_options(request.node)
    prefer = options.get("prefer")
    view = FlowcontractMock(
        flowcontract_server,
        prefer={"*": prefer} if isinstance(prefer, str) else dict(prefer or {}),
        strict=bool(options.get("strict", True))
        and not request.config.getoption("flowcontract_no_strict"),
    )
    view.start()
    request.node.stash[_VIEW] = view
    yield view
    violations = view.take_violations()
    view.finish()
    if view.strict and violations:
        pytest.fail(_violations_message(violations), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After the test body: a strict test whose requests broke the contract fails."""
    try:
        outcome = yield
    except BaseException:
        view = item.stash.get(_VIEW, None)
        if view is not None and view.strict:
            violations = view.take_violations()
            if violations:  # the likely cause of the failure: shown beside it
                item.add_report_section("call", "flowcontract", _violations_message(violations))
        raise
    view = item.stash.get(_VIEW, None)
    if view is not None and view.strict:
        violations = view.take_violations()
        if violations:
            pytest.fail(_violations_message(violations), pytrace=False)
    return outcome


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    """The flowcontract markers' arguments, the closest (the test's own) winning."""
    options: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        unknown = sorted(set(marker.kwargs) - MARKER_ARGUMENTS)
        if marker.args or unknown:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes only the keyword arguments "
                f"{', '.join(sorted(MARKER_ARGUMENTS))}; got "
                + ", ".join([repr(a) for a in marker.args] + [f"{k}=" for k in unknown]),
                pytrace=False,
            )
        options.update(marker.kwargs)
    prefer = options.get("prefer")
    if prefer is not None and not (
        isinstance(prefer, str)
        or (isinstance(prefer, Mapping) and all(isinstance(v, str) for v in prefer.values()))
    ):
        pytest.fail(
            f"@pytest.mark.{MARKER}(prefer=...) takes a Prefer value such as "
            f"'code=400, example=ArchivedFlow' or {{api id: value}}; got {prefer!r}",
            pytrace=False,
        )
    return options
