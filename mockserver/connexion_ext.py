"""Connexion, through its extension points: routing without operationIds, security
handlers that consult the scenarios, request validation with clear messages.

Connexion does route → guard → validate; everything after that is ours. Nothing here
forks Connexion: a Resolver subclass, `security_map` handler classes and a
`validator_map` body validator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem, OAuthResponseProblem
from connexion.resolver import Resolution, Resolver
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP
from connexion.validators.json import JSONRequestBodyValidator
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from jsonschema.exceptions import best_match

from contracts.scenarios import Scenarios

__all__ = ["PathResolver", "operation_key", "security_map_for", "validator_map"]


def operation_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


async def _unused_handler() -> None:  # pragma: no cover - routing only, never called
    raise RuntimeError("flowcontract answers in its own ASGI app, not through handlers")


class PathResolver(Resolver):  # type: ignore[misc]
    """Names every operation `METHOD /path`: routing never depends on an operationId
    (altostrat's vendor document has none)."""

    def resolve(self, operation: Any) -> Resolution:
        return Resolution(_unused_handler, operation_key(operation.method, operation.path))


TokenCheck = Callable[[str], dict[str, Any] | None]


def _accept_for(scenarios: Scenarios | None) -> TokenCheck:
    known = {c.value: c for c in (scenarios.credentials.values() if scenarios else ())}
    reject_unknown = scenarios is not None and scenarios.unknown_credentials == "reject"

    def check(token: str) -> dict[str, Any] | None:
        if not token.strip():
            return None
        cred = known.get(token)
        if cred is None:
            return None if reject_unknown else {"sub": "anonymous", "scopes": []}
        return {"sub": cred.name, "scopes": list(cred.scopes)}

    return check


def security_map_for(scenarios: Scenarios | None) -> dict[str, type]:
    """Security handler classes for one API: well-formed credentials are checked against
    the scenarios (unknown ones accepted unless `unknown_credentials: reject`)."""
    check = _accept_for(scenarios)

    def direct(_self: Any, func: TokenCheck, message: str) -> Callable[..., Any]:
        # Connexion's own _generic_check inspects the function's signature per request.
        async def wrapper(request: Any, *args: Any, required_scopes: Any = None) -> Any:
            info = func(*args)
            if info is None:
                raise OAuthResponseProblem(detail=message)
            return info

        return wrapper

    def resolve(_self: Any, _scheme: Mapping[str, Any]) -> TokenCheck:
        return check

    body = {"_resolve_func": resolve, "_generic_check": direct}
    return {
        "bearer": type("MockBearer", (BearerSecurityHandler,), body),
        "apiKey": type("MockApiKey", (ApiKeySecurityHandler,), body),
    }


def _field(error: ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path)


def describe(error: ValidationError) -> str:
    """A validation error as a person reads it: the field first, then what is wrong."""
    if error.context:
        error = best_match(error.context) or error
    if error.validator == "not" and isinstance(error.validator_value, Mapping):
        message = str(error.validator_value.get("description") or "forbidden combination")
    elif error.validator == "required":
        return f"{error.message}" if not _field(error) else f"{_field(error)}: {error.message}"
    else:
        message = error.message
    where = _field(error)
    return f"{where}: {message}" if where else message


class MockJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Connexion's JSON body validator with three changes: one compiled validator per
    schema (Connexion builds one per request), a refusal for bodies that are not UTF-8 or
    nest too deeply (Connexion lets those escape as 500s), and messages naming the field."""

    _compiled: dict[int, tuple[Any, Draft4Validator]] = {}  # noqa: RUF012 - process-wide cache

    @property
    def _validator(self) -> Draft4Validator:
        key = id(self._schema)
        hit = self._compiled.get(key)
        if hit is None or hit[0] is not self._schema:
            from connexion.json_schema import Draft4RequestValidator

            validator = Draft4RequestValidator(
                self._schema, format_checker=Draft4Validator.FORMAT_CHECKER
            )
            hit = (self._schema, validator)
            self._compiled[key] = hit
        return hit[1]

    async def _parse(self, stream: Any, scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise BadRequestProblem(detail=f"the body is not valid {self._encoding} text") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequestProblem(detail=f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise BadRequestProblem(detail="the body's JSON nests too deeply") from None

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            # An absent body is fine when the requestBody is optional; Connexion refuses it.
            if self._required and not self._nullable:
                raise BadRequestProblem(detail="the request body must not be empty")
            return None
        try:
            self._validator.validate(body)
        except ValidationError as exc:
            raise BadRequestProblem(detail=describe(exc)) from None
        except RecursionError:
            raise BadRequestProblem(detail="the body's JSON nests too deeply") from None
        return None


_PARAMETER_FORMATS = FormatChecker()  # Draft 4's checker lacks `uuid`, which OpenAPI uses


class MockParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator, compiling one validator per parameter instead of a
    deep copy and a new validator per parameter per request, checking every format
    jsonschema knows (Draft 4's checker has no `uuid`), and naming the parameter."""

    _compiled: dict[int, tuple[Any, Draft4Validator]] = {}  # noqa: RUF012 - process-wide cache

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: Mapping[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        name = param_name or param.get("name", "?")
        if value is None:
            if param.get("required"):
                return f"missing {parameter_type} parameter '{name}'"
            return None
        hit = MockParameterValidator._compiled.get(id(param))
        if hit is None or hit[0] is not param:
            schema = param.get("schema", param)
            hit = (param, Draft4Validator(schema, format_checker=_PARAMETER_FORMATS))
            MockParameterValidator._compiled[id(param)] = hit
        error = best_match(hit[1].iter_errors(value))
        if error is None:
            return None
        return f"{name} ({parameter_type} parameter): {error.message}"


def validator_map() -> dict[str, Any]:
    # Keep Connexion's MediaTypeDict: its keys are ranges (`*/*json`), and a plain dict
    # would make Connexion skip body validation silently.
    body = MediaTypeDict(
        {
            media_type: MockJSONBodyValidator if "json" in media_type else validator
            for media_type, validator in VALIDATOR_MAP["body"].items()
        }
    )
    return {"body": body, "parameter": MockParameterValidator}
