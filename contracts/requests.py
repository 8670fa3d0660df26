"""Requests built from what a contract documents and its scenarios name.

One builder for everything that sends a scenarios case: `contracts verify` (as
Schemathesis cases), the mock's tests (as httpx arguments) and the README's curl listing
(`docs/cases.py`). Path and query values default to the parameters' documented
examples; where a parameter documents none, the scenarios' fixtures supply a workflow
that runs. Credentials are placed where their security scheme says.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from .catalog import Contract, Operation
from .errors import UsageError
from .scenarios import Case

__all__ = [
    "AppliedCredential",
    "Request",
    "apply_credential",
    "case_request",
    "default_parameters",
    "scenario_credentials",
    "scenarios_operation",
    "wire",
]


@dataclass(frozen=True)
class AppliedCredential:
    """A credential placed where its security scheme says: a header, query parameter or cookie."""

    location: str  # header | query | cookie
    name: str
    value: str


def apply_credential(schemes: Mapping[str, Any], scheme_name: str, value: str) -> AppliedCredential:
    """`value` presented the way the security scheme `scheme_name` reads it."""
    scheme = schemes.get(scheme_name) or {}
    kind = scheme.get("type")
    if kind == "http":
        word = str(scheme.get("scheme", "bearer"))
        if word.lower() == "basic":  # the value is `user:password`
            encoded = base64.b64encode(value.encode()).decode()
            return AppliedCredential("header", "Authorization", f"Basic {encoded}")
        if word.lower() != "bearer":
            return AppliedCredential("header", "Authorization", f"{word} {value}")
        return AppliedCredential("header", "Authorization", f"Bearer {value}")
    if kind in ("oauth2", "openIdConnect"):  # an access or ID token, as a bearer token
        return AppliedCredential("header", "Authorization", f"Bearer {value}")
    if kind == "apiKey":
        return AppliedCredential(str(scheme.get("in", "header")), str(scheme["name"]), value)
    raise UsageError(
        f"security scheme {scheme_name!r} of type {kind!r} is not supported by verify: "
        "pass the credential with -H"
    )


def scenario_credentials(contract: Contract) -> dict[str, tuple[AppliedCredential, ...]]:
    """Each scenarios credential by name, applied; `none` sends none."""
    out: dict[str, tuple[AppliedCredential, ...]] = {
        name: (apply_credential(contract.security_schemes, cred.scheme, cred.value),)
        for name, cred in (contract.scenarios.credentials.items() if contract.scenarios else ())
    }
    out["none"] = ()
    return out


def wire(value: Any) -> Any:
    """A parameter value as OpenAPI's default style puts it on the wire (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Request:
    """One request built from documented data; its credential is named, not yet applied."""

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    credential: str = "default"

    def target(self, operation: Operation) -> str:
        """The operation's path with this request's values filled in, and its query string."""
        path = operation.path
        for name, value in self.path.items():
            path = path.replace("{" + name + "}", quote(str(wire(value)), safe=""))
        query = urlencode({k: wire(v) for k, v in self.query.items()}, doseq=True)
        return f"{path}?{query}" if query else path

    def all_headers(self, contract: Contract) -> dict[str, str]:
        """The credential's headers, then the request's own (which win)."""
        applied = scenario_credentials(contract).get(self.credential, ())
        return {
            **{c.name: c.value for c in applied if c.location == "header"},
            **self.headers,
        }


def scenarios_operation(contract: Contract) -> Operation | None:
    """The operation the scenarios file describes (None without scenarios)."""
    if contract.scenarios is None:
        return None
    return contract.operation(contract.scenarios.operation)


def _parameter_example(param: Mapping[str, Any]) -> tuple[bool, Any]:
    if "example" in param:
        return True, param["example"]
    for example in (param.get("examples") or {}).values():
        if isinstance(example, Mapping) and "value" in example:
            return True, example["value"]
    schema = param.get("schema") or {}
    for key in ("example", "default"):
        if key in schema:
            return True, schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return True, schema["enum"][0]
    return False, None


def _running_fixture(contract: Contract, name: str) -> str | None:
    """A fixture id the scenarios say runs (its state names no documented error)."""
    sc = contract.scenarios
    if sc is None or sc.workflows is None or sc.workflows.param != name:
        return None
    for fixture in sc.workflows.fixtures.values():
        if fixture.state not in sc.workflows.states and not fixture.where:
            return fixture.id
    return None


def default_parameters(
    contract: Contract, operation: Operation, *, optional_query: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Path and query values for a request that should run: documented examples first."""
    path: dict[str, Any] = {}
    query: dict[str, Any] = {}
    for param in operation.parameters:
        where, name = param.get("in"), str(param.get("name"))
        if where not in ("path", "query"):
            continue
        if where == "query" and not param.get("required") and not optional_query:
            continue
        found, value = _parameter_example(param)
        if not found:
            fixture = _running_fixture(contract, name)
            found, value = fixture is not None, fixture
        if not found and where == "path":
            found, value = True, "example"
        if found:
            (path if where == "path" else query)[name] = value
    return path, query


def case_request(contract: Contract, operation: Operation, case: Case) -> Request:
    """The request a scenarios case describes; path values it omits take documented
    defaults, and it sends exactly the query parameters it names."""
    path, _ = default_parameters(contract, operation)
    path.update(case.request.path)
    body: Any = None
    if case.request.body_example is not None:
        body = operation.request_examples[case.request.body_example].value
    elif case.request.has_body:
        body = case.request.body_value
    return Request(
        path=path,
        query=dict(case.request.query),
        headers=dict(case.request.headers),
        body=body,
        has_body=case.request.has_body,
        credential=case.request.credential,
    )
