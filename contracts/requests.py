"""Requests built from what a contract documents and its scenarios name.

One builder for everything that sends a scenarios case: `contracts verify` (as
Schemathesis cases), the mock's tests (as httpx arguments) and the curl listing of every case
(`docs/cases.py`, which writes docs/cases.md). Path and query values default to the parameters' documented
examples; where a parameter documents none, the scenarios' fixtures supply a workflow
that runs. Credentials are placed where their security scheme says.
"""

from __future__ import annotations

import base64
import functools
import re
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
    "body_media_type",
    "case_request",
    "default_parameters",
    "documented_values",
    "path_segment",
    "required_headers",
    "scenario_credentials",
    "scenarios_operation",
    "schema_value",
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
    if kind in ("oauth2", "openIdConnect"):
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


def path_segment(value: Any) -> str:
    """A path parameter's value as it fills its segment: every reserved character
    percent-encoded (`heads/main` is `heads%2Fmain`), as RFC 6570's simple expansion does."""
    return quote(str(wire(value)), safe="")


@dataclass(frozen=True)
class Request:
    """One request built from documented data; its credential is named, not yet applied."""

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    credential: str = "default"
    media_type: str = "application/json"  # how the body is sent: the documented media type

    def target(self, operation: Operation) -> str:
        """The operation's path with this request's values filled in, and its query string."""
        path = operation.path
        for name, value in self.path.items():
            path = path.replace("{" + name + "}", path_segment(value))
        query = urlencode({k: wire(v) for k, v in self.query.items()}, doseq=True)
        return f"{path}?{query}" if query else path

    def all_headers(self, contract: Contract) -> dict[str, str]:
        """The credential's headers, then the request's own (which win)."""
        applied = scenario_credentials(contract).get(self.credential, ())
        return {
            **{c.name: c.value for c in applied if c.location == "header"},
            **self.headers,
        }


def _is_json(media_type: str) -> bool:
    essence = media_type.split(";")[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def body_media_type(operation: Operation) -> str | None:
    """The media type a body made of values (not of a documented example) is sent as: JSON
    where the operation accepts it, else the first it documents (a form, for Twilio's
    creates); None without a request body."""
    content = (operation.request_body or {}).get("content") or {}
    return next((mt for mt in content if _is_json(mt)), next(iter(content), None))


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
    if "const" in schema:  # OpenAPI 3.1: the only valid value
        return True, schema["const"]
    for key in ("example", "default"):
        if key in schema:
            return True, schema[key]
    for key in ("enum", "examples"):  # `examples`: a 3.1 schema's list of values
        if isinstance(schema.get(key), list) and schema[key]:
            return True, schema[key][0]
    return False, None


# Values of string formats a server may parse; each is valid for its format.
_FORMAT_VALUES = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "AA==",
}


def _number(schema: Mapping[str, Any], integer: bool) -> int | float:
    """The smallest valid number at or above 1 (an id is rarely 0), within the bounds."""
    low = schema.get("minimum")
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(
        schema.get("exclusiveMinimum"), bool
    ):
        low = schema["exclusiveMinimum"] + (1 if integer else 1e-9)  # 3.1: a number
    elif schema.get("exclusiveMinimum") is True and low is not None:
        low = low + (1 if integer else 1e-9)  # 3.0: a flag on `minimum`
    high = schema.get("maximum")
    value: float = 1 if low is None or low <= 1 else low
    if high is not None and value > high:
        value = high if low is None else low
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        value = -(-value // step) * step
    if integer:
        return int(-(-value // 1))
    return float(value)


@functools.lru_cache(maxsize=1024)
def _matching(pattern: str, shortest: int, longest: int | None) -> str | None:
    """The simplest string `pattern` matches in full (deterministic: Hypothesis's shrinking),
    of a length allowed; None for a pattern Python cannot read or one too narrow. Cached: a
    document repeats its patterns (Twilio's `AccountSid` on every one of 197 operations).
    Without Hypothesis's `explain` phase, which only annotates a failing test's report and
    took 0.7 s of the 0.75 s each search cost."""
    import hypothesis
    from hypothesis import Phase, strategies

    def fits(text: str) -> bool:
        return len(text) >= shortest and (longest is None or len(text) <= longest)

    try:
        return str(
            hypothesis.find(
                strategies.from_regex(pattern, fullmatch=True).filter(fits),
                lambda _text: True,
                settings=hypothesis.settings(
                    database=None, max_examples=200, phases=(Phase.generate, Phase.shrink)
                ),
            )
        )
    except (hypothesis.errors.NoSuchExample, hypothesis.errors.Unsatisfiable, re.error):
        return None


def _string(schema: Mapping[str, Any]) -> str:
    shortest = int(schema.get("minLength") or 0)
    longest = schema.get("maxLength")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        found = _matching(pattern, shortest, longest if isinstance(longest, int) else None)
        if found is not None:
            return found
    text = _FORMAT_VALUES.get(str(schema.get("format")), "example")
    if len(text) < shortest:
        text = text + "x" * (shortest - len(text))
    if longest is not None and len(text) > longest:
        text = text[: max(int(longest), shortest)]
    return text


def schema_value(schema: Mapping[str, Any]) -> Any:
    """A simple value valid against `schema` (examples, then the type, format, enum,
    pattern and bounds): an integer id is an integer, never the string `example`."""
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for combinator in ("allOf", "oneOf", "anyOf"):
        parts = schema.get(combinator)
        if isinstance(parts, list) and parts and isinstance(parts[0], Mapping):
            if combinator == "allOf":
                merged: dict[str, Any] = {}
                for part in parts:
                    if isinstance(part, Mapping):
                        value = schema_value(part)
                        if not isinstance(value, dict):
                            return value
                        merged.update(value)
                return merged
            return schema_value(parts[0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "integer":
        return _number(schema, integer=True)
    if kind == "number":
        return _number(schema, integer=False)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        items = schema.get("items")
        item = schema_value(items) if isinstance(items, Mapping) else "example"
        return [item] * max(int(schema.get("minItems") or 0), 1 if items else 0)
    if kind == "object":
        props = schema.get("properties") or {}
        return {
            name: schema_value(props.get(name) or {})
            for name in schema.get("required") or []
            if isinstance(props.get(name, {}), Mapping)
        }
    return _string(schema)


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
    """Path and query values for a request that should run: documented examples first,
    then the scenarios' fixtures, then a value the parameter's schema allows."""
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
        if not found:  # a required value the docs do not show: one the schema allows
            found, value = True, schema_value(param.get("schema") or {})
        if found:
            (path if where == "path" else query)[name] = value
    return path, query


# Header parameters OpenAPI says are ignored: the request's media types and credentials.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def required_headers(operation: Operation) -> tuple[dict[str, str], bool]:
    """A value for each required header parameter (its example, else one its schema
    allows, as sent on the wire), and whether every value is documented."""
    headers: dict[str, str] = {}
    documented = True
    for param in operation.parameters:
        name = str(param.get("name"))
        if param.get("in") != "header" or not param.get("required"):
            continue
        if name.lower() in _IGNORED_HEADERS:
            continue
        found, value = _parameter_example(param)
        if not found:
            documented, value = False, schema_value(param.get("schema") or {})
        headers[name] = wire(value) if not isinstance(value, list) else ",".join(wire(value))
    return headers, documented


def documented_values(contract: Contract, operation: Operation) -> bool:
    """Whether every value `default_parameters` fills in is
    documented (an example or a scenarios fixture) rather than made up from a schema."""
    return all(
        _parameter_example(param)[0] or _running_fixture(contract, str(param.get("name")))
        for param in operation.parameters
        if param.get("in") == "path" or (param.get("in") == "query" and param.get("required"))
    )


def case_request(contract: Contract, operation: Operation, case: Case) -> Request:
    """The request a scenarios case describes; path values it omits take documented
    defaults, and it sends exactly the query parameters it names."""
    path, _ = default_parameters(contract, operation)
    path.update(case.request.path)
    body: Any = None
    media_type = body_media_type(operation) or Request.media_type
    if case.request.body_example is not None:
        example = operation.request_examples[case.request.body_example]
        body, media_type = example.value, example.media_type
    elif case.request.has_body:
        body = case.request.body_value
    return Request(
        path=path,
        query=dict(case.request.query),
        headers=dict(case.request.headers),
        body=body,
        has_body=case.request.has_body,
        credential=case.request.credential,
        media_type=media_type,
    )
