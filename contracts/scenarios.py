"""Scenarios: the data behind each documented case of an API.

A contract says *what* an API answers; its scenarios file says *which request* produces
each documented answer: fixture workflows and their states, credentials and their
scopes, which request example pairs with which response example, which fields a real
server fills in, and a list of concrete `cases` (request → expected response) that the
mock must answer and `contracts verify` replays against a real implementation.
The file format is the JSON Schema `SCENARIOS_SCHEMA` below (documented in docs/scenarios.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jsonschema import Draft202012Validator

from .errors import ScenariosError
from .yamlsource import Source, load_source

if TYPE_CHECKING:
    from .catalog import Contract

__all__ = [
    "SCENARIOS_SCHEMA",
    "Case",
    "CaseRequest",
    "Credential",
    "Expectation",
    "Fixture",
    "ResponseRef",
    "Scenarios",
    "ScopeRule",
    "Workflows",
    "check_scenarios",
    "load_scenarios",
]

_REF = {
    "type": "object",
    "required": ["status", "example"],
    "additionalProperties": False,
    "properties": {"status": {"type": "integer"}, "example": {"type": "string"}},
}
_MATCH = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "path": {"type": "object"},
        "query": {"type": "object"},
        "headers": {"type": "object"},
    },
}
SCENARIOS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["api"],
    "additionalProperties": False,
    "properties": {
        "api": {"type": "string"},
        "operation": {"type": "string", "description": "METHOD /path or operationId"},
        "credentials": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["scheme", "value"],
                "additionalProperties": False,
                "properties": {
                    "scheme": {"type": "string"},
                    "value": {"type": "string"},
                    "scopes": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "unknown_credentials": {"enum": ["accept", "reject"]},
        "behaviour": {
            "type": "string",
            "pattern": r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$",
            "description": "the Python module with the mock's rules for this API",
        },
        "scopes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["require", "respond"],
                "additionalProperties": False,
                "properties": {"require": {"type": "string"}, "when": _MATCH, "respond": _REF},
            },
        },
        "workflows": {
            "type": "object",
            "required": ["param"],
            "additionalProperties": False,
            "properties": {
                "param": {"type": "string"},
                "unknown": {"type": "string"},
                "pattern": {"type": "string", "format": "regex"},
                "fixtures": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["state"],
                        "properties": {"state": {"type": "string"}, "where": _MATCH},
                    },
                },
                "states": {"type": "object", "additionalProperties": _REF},
            },
        },
        "pairs": {"type": "object", "additionalProperties": {"type": "string"}},
        "render": {
            "type": "object",
            "additionalProperties": {"type": "object"},
        },
        "cases": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "request", "expect"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                    "summary": {"type": "string"},
                    "request": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "path": {"type": "object"},
                            "query": {"type": "object"},
                            "headers": {"type": "object"},
                            "credential": {"type": "string"},
                            "body": {
                                "type": "object",
                                "minProperties": 1,
                                "maxProperties": 1,
                                "properties": {"example": {"type": "string"}, "value": {}},
                                "additionalProperties": False,
                            },
                        },
                    },
                    "expect": {
                        "type": "object",
                        "required": ["status"],
                        "additionalProperties": False,
                        "properties": {
                            "status": {"type": "integer"},
                            "example": {"type": "string"},
                            "media_type": {"type": "string"},
                            "match": {"enum": ["exact", "schema"]},
                        },
                    },
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCENARIOS_SCHEMA)


@dataclass(frozen=True)
class ResponseRef:
    """A documented response: a status and the name of one of its examples."""

    status: int
    example: str


@dataclass(frozen=True)
class Credential:
    name: str
    scheme: str
    value: str
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopeRule:
    require: str
    respond: ResponseRef
    when: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Fixture:
    id: str
    state: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    where: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Workflows:
    param: str
    unknown: str = "active"
    pattern: str | None = None
    fixtures: Mapping[str, Fixture] = field(default_factory=dict)
    states: Mapping[str, ResponseRef] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseRequest:
    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    credential: str = "default"
    body_example: str | None = None
    body_value: Any = None
    has_body: bool = False


@dataclass(frozen=True)
class Expectation:
    status: int
    example: str | None = None
    media_type: str = "application/json"
    match: Literal["exact", "schema"] = "schema"


@dataclass(frozen=True)
class Case:
    name: str
    summary: str
    request: CaseRequest
    expect: Expectation
    index: int = 0


@dataclass(frozen=True)
class Scenarios:
    path: Path
    source: Source = field(repr=False)
    api: str
    operation: str | None = None
    credentials: Mapping[str, Credential] = field(default_factory=dict)
    unknown_credentials: Literal["accept", "reject"] = "accept"
    behaviour: str | None = None  # a dotted module name (mockserver.behave.Behaviour)
    scopes: tuple[ScopeRule, ...] = ()
    workflows: Workflows | None = None
    pairs: Mapping[str, str] = field(default_factory=dict)
    render: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cases: tuple[Case, ...] = ()

    def credential(self, name: str = "default") -> Credential | None:
        return self.credentials.get(name)


def _ref(raw: Mapping[str, Any]) -> ResponseRef:
    return ResponseRef(status=int(raw["status"]), example=str(raw["example"]))


def _case(index: int, raw: Mapping[str, Any]) -> Case:
    req = raw.get("request") or {}
    body = req.get("body")
    expect = raw["expect"]
    return Case(
        name=raw["name"],
        summary=raw.get("summary", raw["name"]),
        index=index,
        request=CaseRequest(
            path={k: v for k, v in (req.get("path") or {}).items()},
            query=dict(req.get("query") or {}),
            headers={str(k): str(v) for k, v in (req.get("headers") or {}).items()},
            credential=req.get("credential", "default"),
            body_example=body.get("example") if body else None,
            body_value=body.get("value") if body else None,
            has_body=body is not None,
        ),
        expect=Expectation(
            status=int(expect["status"]),
            example=expect.get("example"),
            media_type=expect.get("media_type", "application/json"),
            match=expect.get("match", "schema"),
        ),
    )


def load_scenarios(path: Path | str) -> Scenarios:
    """Parse and check the structure of a scenarios file (one-line errors with line)."""
    source = load_source(path, ScenariosError)
    data = source.data
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        where = tuple(err.absolute_path)
        line, col = source.locate(where) or (None, None)
        at = "/".join(str(p) for p in where) or "top level"
        raise ScenariosError(f"{at}: {err.message}", file=source.path, line=line, column=col)
    wf = data.get("workflows")
    workflows = None
    if wf:
        workflows = Workflows(
            param=wf["param"],
            unknown=wf.get("unknown", "active"),
            pattern=wf.get("pattern"),
            fixtures={
                str(key): Fixture(
                    id=str(key),
                    state=value["state"],
                    attributes={k: v for k, v in value.items() if k not in {"state", "where"}},
                    where=value.get("where") or {},
                )
                for key, value in (wf.get("fixtures") or {}).items()
            },
            states={k: _ref(v) for k, v in (wf.get("states") or {}).items()},
        )
    names = [c["name"] for c in data.get("cases") or []]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ScenariosError(f"duplicate case name {sorted(duplicates)[0]!r}", file=source.path)
    return Scenarios(
        path=source.path,
        source=source,
        api=data["api"],
        operation=data.get("operation"),
        credentials={
            name: Credential(
                name=name,
                scheme=c["scheme"],
                value=c["value"],
                scopes=tuple(c.get("scopes") or ()),
            )
            for name, c in (data.get("credentials") or {}).items()
        },
        unknown_credentials=data.get("unknown_credentials", "accept"),
        behaviour=data.get("behaviour"),
        scopes=tuple(
            ScopeRule(require=s["require"], respond=_ref(s["respond"]), when=s.get("when") or {})
            for s in data.get("scopes") or ()
        ),
        workflows=workflows,
        pairs=dict(data.get("pairs") or {}),
        render={str(k): dict(v) for k, v in (data.get("render") or {}).items()},
        cases=tuple(_case(i, c) for i, c in enumerate(data.get("cases") or ())),
    )


@dataclass(frozen=True)
class ScenarioProblem:
    """Something a scenarios file names that its spec does not have."""

    message: str
    line: int | None


def check_scenarios(contract: Contract) -> list[ScenarioProblem]:
    """Every status, example, credential scheme and parameter named must exist in the spec."""
    sc = contract.scenarios
    if sc is None:
        return []
    problems: list[ScenarioProblem] = []

    def at(*path: str | int) -> int | None:
        pos = sc.source.locate(tuple(path))
        return pos[0] if pos else None

    try:
        op = contract.operation(sc.operation)
    except Exception as exc:
        return [ScenarioProblem(str(exc), at("operation"))]

    def check_ref(ref: ResponseRef, *path: str | int) -> None:
        response = op.responses.get(str(ref.status))
        if response is None:
            problems.append(
                ScenarioProblem(f"{op.key} documents no {ref.status} response", at(*path))
            )
        elif not any(ex.name == ref.example for _, ex in response.examples):
            names = ", ".join(ex.name for _, ex in response.examples) or "none"
            problems.append(
                ScenarioProblem(
                    f"{op.key} {ref.status} has no example {ref.example!r} (has: {names})",
                    at(*path),
                )
            )

    if sc.api != contract.api_id:
        problems.append(ScenarioProblem(f"api {sc.api!r} is not {contract.api_id!r}", at("api")))
    schemes = contract.security_schemes
    for name, cred in sc.credentials.items():
        if cred.scheme not in schemes:
            problems.append(
                ScenarioProblem(
                    f"credential {name!r} uses unknown security scheme {cred.scheme!r}",
                    at("credentials", name),
                )
            )
    for i, rule in enumerate(sc.scopes):
        check_ref(rule.respond, "scopes", i)
    param_names = {p.get("name") for p in op.parameters}
    if sc.workflows:
        if sc.workflows.param not in param_names:
            problems.append(
                ScenarioProblem(
                    f"{op.key} has no parameter {sc.workflows.param!r}", at("workflows", "param")
                )
            )
        for state, ref in sc.workflows.states.items():
            check_ref(ref, "workflows", "states", state)
    request_examples = op.request_examples
    for req_name, resp_name in sc.pairs.items():
        if req_name not in request_examples:
            problems.append(
                ScenarioProblem(f"pairs: no request example {req_name!r}", at("pairs", req_name))
            )
        if op.response_example(resp_name) is None:
            problems.append(
                ScenarioProblem(f"pairs: no response example {resp_name!r}", at("pairs", req_name))
            )
    for name in sc.render:
        if op.response_example(name) is None:
            problems.append(
                ScenarioProblem(f"render: no response example {name!r}", at("render", name))
            )
    for case in sc.cases:
        where = ("cases", case.index)
        if case.expect.example:
            check_ref(ResponseRef(case.expect.status, case.expect.example), *where, "expect")
        elif str(case.expect.status) not in op.responses:
            problems.append(
                ScenarioProblem(
                    f"case {case.name}: {op.key} documents no {case.expect.status}", at(*where)
                )
            )
        if case.request.body_example and case.request.body_example not in request_examples:
            problems.append(
                ScenarioProblem(
                    f"case {case.name}: no request example {case.request.body_example!r}",
                    at(*where, "request"),
                )
            )
        cred_name = case.request.credential
        if cred_name != "none" and cred_name not in sc.credentials:
            problems.append(
                ScenarioProblem(
                    f"case {case.name}: no credential {cred_name!r}", at(*where, "request")
                )
            )
        for pname in case.request.path:
            if pname not in param_names:
                problems.append(
                    ScenarioProblem(
                        f"case {case.name}: {op.key} has no parameter {pname!r}",
                        at(*where, "request"),
                    )
                )
    return problems
