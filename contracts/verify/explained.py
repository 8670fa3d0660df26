"""Failures Schemathesis reports that the contract or the scenarios explain.

Registered as a schema-level `filter_failure` hook, Schemathesis's own extension point
for failures that are not the API's fault, on every schema verify builds:

- `positive_data_acceptance`: a schema-valid request answered with a documented 4xx whose
  body *is* a documented example the scenarios name as a business rule's answer (quiva's
  `{"error": "no trigger specified"}` for a body without `trigger`), fields the scenarios
  render as server-filled excepted; or a 400 or 422 for a path parameter holding a control
  character (`%00`-`%1F`, `%7F`), which a `type: string` schema allows but HTTP servers
  (the mock among them, with the status the operation documents for bad input) refuse. Any other rejection of valid input stays a finding.
- `status_code_conformance`, `positive_data_acceptance`, `negative_data_rejection`: a 413
  refusing a request body over 1 MiB, the smallest limit servers commonly ship with (nginx's,
  the mock's): OpenAPI has no keyword for a size limit, and Schemathesis's boundary cases of
  GitHub's `maxItems: 5000` are 1.4 MB and more. A 413 for a smaller body stays a finding.
- `status_code_conformance` for an operation that documents no response (OpenAPI 3.1 makes
  `responses` optional): no status can be a documented one, so none is a finding.
- `status_code_conformance`: a request Schemathesis generated to break the schema
  (negative mode), or whose form, XML or JSON body breaks it as sent (below; a documented
  JSON request example its own schema refuses among them), refused with an
  undocumented 4xx that `negative_data_rejection` counts as a refusal (400, 422, ...): a
  correct server must refuse it, and a contract that documents no such status leaves it no
  documented way to. An undocumented status for a schema-valid request, or a 2xx/5xx for
  an invalid one, stays a finding.
- `status_code_conformance`: an undocumented 401 or 403 for an operation verify sends without
  the credentials it requires (no flag supplies them): the run warns once, naming the flag,
  instead of a finding per request.
- `negative_data_rejection` / `positive_data_acceptance` on a form, XML or JSON body:
  judged by the body as sent (`contracts.verify.sent`): a generated "invalid" body that the wire
  makes valid (a one-item array sent as one field, a form of no fields that is no body,
  `<tags></tags>`) may be accepted, a generated "valid" one that the wire makes invalid
  (a required array left empty, so not sent) may be refused.
- `response_schema_conformance` in an OpenAPI 3.1 document: a response body valid against
  its schema as written, where the schema requires a `writeOnly` property. Schemathesis
  applies OpenAPI 3.0's rule (a writeOnly property never in a response, its `required` for
  requests only); JSON Schema 2020-12 keeps `required`, as the mock and openapi-core read
  it, so a server that sends the property conforms (Train Travel's card `cvc`).
- `ignored_auth`: with `unknown_credentials: accept` (the default: the contracts accept any
  well-formed credential), a *made-up* credential being accepted is documented behaviour; a request
  with *no* credential being accepted is still a finding.

Server-sent events need no excuse: a contract's `text/event-stream` schema describes one
event (`{event, data, id, retry}`), as Schemathesis reads it, so every event it reports
against that schema is the API's fault.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import (
    AuthScenario,
    IgnoredAuth,
    JsonSchemaError,
    RejectedPositiveData,
    UndefinedStatusCode,
)

from ..catalog import Contract
from ..examples import schema_validator
from .phases.errors import without_rendered
from .sent import body_valid_as_sent, operation_of

__all__ = ["documented_outcomes", "failure_filter"]

_CONTROL = re.compile("[\x00-\x1f\x7f]")
# The smallest limit on a request body servers commonly ship with (nginx's
# `client_max_body_size`, the mock's `--max-body-size`); OpenAPI has no keyword to state one.
_COMMON_BODY_LIMIT = 1_048_576
# The statuses of bad input: a server's refusal of a request it cannot take (the mock
# answers with the one the operation documents, 400 else 422).
_BAD_INPUT = frozenset({400, 422})
# The 4xx of Schemathesis's `negative_data_rejection` default: the ways to refuse bad input.
_REFUSALS = frozenset({400, 401, 403, 404, 405, 406, 409, 415, 422, 428, 429})


def documented_outcomes(contract: Contract) -> list[tuple[int, Any, Mapping[str, Any]]]:
    """(status, body, render) of every answer the scenarios attribute to a business rule."""
    sc = contract.scenarios
    if sc is None:
        return []
    op = contract.operation(sc.operation)
    refs: list[tuple[int, str]] = [
        (c.expect.status, c.expect.example) for c in sc.cases if c.expect.example
    ]
    if sc.workflows is not None:
        refs += [(r.status, r.example) for r in sc.workflows.states.values()]
    refs += [(rule.respond.status, rule.respond.example) for rule in sc.scopes]
    out: list[tuple[int, Any, Mapping[str, Any]]] = []
    for status, name in refs:
        found = op.response_example(name)
        if found is not None and 400 <= status < 500:
            out.append((status, found[2].value, sc.render.get(name, {})))
    return out


def _control_in_path(case: Any, response: schemathesis.Response) -> bool:
    """Whether the request's path (as sent, then decoded) holds a control character."""
    values = list((getattr(case, "path_parameters", None) or {}).values())
    url = getattr(getattr(response, "request", None), "url", None)
    if isinstance(url, str):
        values.append(unquote(urlsplit(url).path))
    return any(isinstance(v, str) and _CONTROL.search(v) for v in values)


def _refused_invalid_input(contract: Contract, case: Any, response: schemathesis.Response) -> bool:
    """Whether a request generated to break the schema, or whose body broke it once sent,
    got one of the refusals."""
    if response.status_code not in _REFUSALS:
        return False
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if getattr(mode, "is_negative", False):
        return True
    request = getattr(response, "request", None)
    return body_valid_as_sent(contract, case, getattr(request, "body", None)) is False


def _over_the_common_body_limit(response: schemathesis.Response) -> bool:
    """Whether a 413 refuses a request body larger than servers commonly take."""
    body = getattr(getattr(response, "request", None), "body", None)
    size = len(body.encode() if isinstance(body, str) else body) if body else 0
    return response.status_code == 413 and size > _COMMON_BODY_LIMIT


def _only_the_body_negative(case: Any) -> bool:
    meta = case.meta
    return meta is not None and not any(
        meta.is_negative_at(location)
        for location in ParameterLocation
        if location != ParameterLocation.BODY
    )


def _judged_by_the_body_sent(
    contract: Contract, failure: Any, case: Any, response: schemathesis.Response
) -> bool:
    """Whether the form or XML body actually sent contradicts the failure: an accepted "invalid"
    body that is valid as sent, or a refused "valid" one that is invalid as sent."""
    request = getattr(response, "request", None)
    valid = body_valid_as_sent(contract, case, getattr(request, "body", None))
    if isinstance(failure, AcceptedNegativeData):
        return valid is True and _only_the_body_negative(case)
    return valid is False


def _required_write_only(schema: Any) -> set[str]:
    """The names of the `writeOnly` properties that `schema`, or a schema inside it, requires."""
    names: set[str] = set()
    pending, seen = [schema], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Mapping):
            props = node.get("properties")
            if isinstance(props, Mapping):
                names.update(
                    name
                    for name in node.get("required") or ()
                    if isinstance(props.get(name), Mapping) and props[name].get("writeOnly")
                )
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return names


def _write_only_kept_31(
    contract: Contract, failure: Any, case: Any, response: schemathesis.Response
) -> bool:
    """Whether a 3.1 response body Schemathesis refuses only for carrying a `writeOnly`
    property its schema requires: the error is that property's, or the body is valid
    against its schema as written (JSON Schema 2020-12, no direction rules)."""
    if not contract.openapi_version.startswith("3.1"):
        return False
    operation = operation_of(contract, case)
    status = str(response.status_code)
    responses = operation.responses if operation is not None else {}
    documented = next(
        (responses[k] for k in (status, f"{status[0]}XX", "default") if k in responses), None
    )
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    media = documented.content.get(media_type) if documented is not None else None
    schema = media.schema if media is not None else None
    kept = _required_write_only(schema) if schema else set()
    if not schema or not kept:
        return False
    where = [str(part) for part in getattr(failure, "schema_path", None) or ()]
    if where[-3:-1] == ["properties", where[-2]] and where[-1] == "not" and where[-2] in kept:
        return True  # Schemathesis's rewrite of the property to `not: {}`
    try:
        body = response.json()
    except ValueError:
        return False
    return bool(schema_validator(schema, contract.openapi_version).is_valid(body))


def failure_filter(contract: Contract, *, uncredentialed: Collection[tuple[str, str]] = ()) -> Any:
    """A Schemathesis `filter_failure` hook dropping what the contract or scenarios explain.

    `uncredentialed`: (METHOD, path) of each secured operation verify has no credentials for.
    """
    outcomes = documented_outcomes(contract)
    unauthorized = frozenset(uncredentialed)
    accept_unknown = (
        contract.scenarios is None or contract.scenarios.unknown_credentials == "accept"
    )

    def filter_failure(
        context: Any, failure: Any, case: Any, response: schemathesis.Response
    ) -> bool:
        if isinstance(failure, IgnoredAuth):
            return not (accept_unknown and failure.scenario != AuthScenario.NO_AUTH)
        if isinstance(failure, UndefinedStatusCode) and not failure.defined_status_codes:
            return False  # the operation documents no response: nothing to conform to
        if response.status_code in _BAD_INPUT and _control_in_path(case, response):
            # a control character in a URL path is refused before any contract applies
            # (rejected with the status for bad input, documented or not): not a finding
            return False
        if isinstance(
            failure, (UndefinedStatusCode, RejectedPositiveData, AcceptedNegativeData)
        ) and _over_the_common_body_limit(response):
            # no contract can say a server must take a body whatever its size (5,000 items
            # are valid, 5,001 are not): refused as too large, like a request over a rate limit
            return False
        if isinstance(failure, UndefinedStatusCode) and (
            _refused_invalid_input(contract, case, response)
            or (
                response.status_code in (401, 403)
                and (case.operation.method.upper(), case.operation.path) in unauthorized
            )
        ):
            return False
        if isinstance(
            failure, (AcceptedNegativeData, RejectedPositiveData)
        ) and _judged_by_the_body_sent(contract, failure, case, response):
            return False
        if (
            isinstance(failure, JsonSchemaError)
            and not str(failure.title).startswith("Response header")  # a body's, not a header's
            and _write_only_kept_31(contract, failure, case, response)
        ):
            return False
        if isinstance(failure, RejectedPositiveData):
            try:
                body = response.json()
            except Exception:
                return True
            return not any(
                response.status_code == status
                and without_rendered(body, render) == without_rendered(value, render)
                for status, value, render in outcomes
            )
        return True

    return filter_failure
