"""Connexion, through its extension points: routing without operationIds, security
handlers that consult the scenarios, request validation with clear messages.

This module is the adapter: it is the only one that touches Connexion's private API
(`ConnexionMiddleware._build_middleware_stack`, each middleware's `apis[base]` and their
`operations`, `SecurityOperation.security`/`security_schemes`,
`RequestValidationOperation._operation`/`_validator_map`, the URI parser's
`_body_schema`/`_body_encoding`, the `connexion_routing` scope extension). Each such read
goes through `_internal`, which raises `ConnexionInternalsChanged` naming the attribute
when a Connexion release renames it;
`tests/mockserver/test_connexion_adapter.py` exercises every one of them.

Connexion does route → guard → validate; everything after that is ours. Nothing here
forks Connexion: a Resolver subclass, `security_map` handler classes, `validator_map`
validators, and a request-validation middleware subclass whose per-operation objects can
also validate a body already read whole (`check`, the express lane's entry), beside the
credentials that pass the guard for sure (`accepted_credentials`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any
from urllib.parse import unquote

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import (
    BadRequestProblem,
    OAuthProblem,
    OAuthResponseProblem,
    ProblemException,
)
from connexion.lifecycle import ConnexionRequest
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.main import API
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.middleware.security import SecurityMiddleware
from connexion.resolver import Resolution, Resolver
from connexion.security import (
    NO_VALUE,
    AbstractSecurityHandler,
    ApiKeySecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    OAuthSecurityHandler,
)
from connexion.spec import OpenAPISpecification
from connexion.uri_parsing import OpenAPIURIParser
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP
from connexion.validators.abstract import AbstractRequestBodyValidator
from connexion.validators.form_data import FormDataValidator, MultiPartFormDataValidator
from connexion.validators.json import JSONRequestBodyValidator
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from jsonschema_rs import Draft4Validator as Draft4Fast
from jsonschema_rs import Draft202012Validator as Draft202012Fast
from starlette.datastructures import FormData, QueryParams
from starlette.formparsers import MultiPartException, MultiPartParser

from contracts.errors import UsageError
from contracts.requests import apply_credential
from contracts.scenarios import Scenarios
from contracts.xmlbody import NotXml, xml_value

from .asgi import RequestNote, read_body, replay
from .credentials import Keyring, Malformed, presented, scoped
from .directions import RequestSchemaValidator, RequestSchemaValidator202012
from .formats import REQUEST_FORMATS
from .jsonbody import NotStrictJSON
from .jsonbody import loads as strict_json
from .oas31 import ORIGINAL_SCHEMA
from .styles import StyleMismatch, exploded_object, path_value, query_value, typed

__all__ = [
    "STREAMED",
    "CachedRequestValidationMiddleware",
    "CachedRequestValidationOperation",
    "ConnexionInternalsChanged",
    "Credentials",
    "OperationObjects",
    "PathResolver",
    "PendingForm",
    "PreparedConnexion",
    "PreparedSpecification",
    "StyledURIParser",
    "accepted_credentials",
    "build_stack",
    "check_internals",
    "mark_routed",
    "operation_key",
    "operation_objects",
    "routed",
    "security_map_for",
    "validator_map",
]


connexion_version = version("connexion")
STREAMED = object()  # CachedRequestValidationOperation.check: validate through `receive`


class ConnexionInternalsChanged(RuntimeError):
    """A private attribute of Connexion that the adapter relies on is gone."""


def _internal(owner: Any, name: str) -> Any:
    try:
        return getattr(owner, name)
    except AttributeError:
        kind = owner if isinstance(owner, type) else type(owner)
        raise ConnexionInternalsChanged(
            f"connexion {connexion_version}: {kind.__module__}.{kind.__qualname__} has no "
            f"attribute {name!r}, which mockserver.connexion_ext relies on"
        ) from None


# Connexion methods our subclasses override or call, by the class that defines them.
_OVERRIDDEN: tuple[tuple[type, str], ...] = (
    (AbstractSecurityHandler, "get_fn"),
    (AbstractRequestBodyValidator, "_parse"),
    (AbstractRequestBodyValidator, "_validate"),
    (FormDataValidator, "_form_parser_cls"),
    (FormDataValidator, "_validate_params_strictly"),
    (OpenAPIURIParser, "_preprocess_deep_objects"),
    (ParameterValidator, "validate_request"),
    (RequestValidationOperation, "extract_content_type"),
    (RequestValidationOperation, "validate_mime_type"),
    (ConnexionMiddleware, "_build_middleware_stack"),
)


def check_internals() -> None:
    """Raise `ConnexionInternalsChanged` if a Connexion method the adapter overrides or
    calls is gone (instance attributes are checked as they are read, by `_internal`)."""
    for owner, name in _OVERRIDDEN:
        _internal(owner, name)


def build_stack(connexion: ConnexionMiddleware) -> list[Any]:
    """Build Connexion's middleware stack now (it is otherwise built on the first
    request, after `add_api`): the middleware instances, outermost first."""
    connexion.app, connexion.middleware_stack = _internal(connexion, "_build_middleware_stack")()
    return list(connexion.middleware_stack)


@dataclass(frozen=True)
class OperationObjects:
    """Connexion's per-operation objects for one operation under one mount."""

    guard: Any  # SecurityOperation: guard → request validation → the mock's handler
    validation: CachedRequestValidationOperation
    security: list[Mapping[str, Any]] | None  # the operation's security requirements
    schemes: Mapping[str, Mapping[str, Any]]  # the document's security schemes


def _operations(middleware: Any, base: str) -> dict[str, Any]:
    apis = _internal(middleware, "apis")
    if base not in apis:
        raise ConnexionInternalsChanged(
            f"connexion {connexion_version}: {type(middleware).__qualname__}.apis has no "
            f"entry for the mount {base!r}"
        )
    return {k: v for api in apis[base] for k, v in _internal(api, "operations").items()}


def operation_objects(stack: list[Any], base: str) -> dict[str, OperationObjects]:
    """By operation key, the guard and validation objects Connexion built for the API
    mounted at `base`, from the stack `build_stack` returned."""
    security = next(m for m in stack if isinstance(m, SecurityMiddleware))
    validation = next(m for m in stack if isinstance(m, CachedRequestValidationMiddleware))
    guards = _operations(security, base)
    checks = _operations(validation, base)
    return {
        key: OperationObjects(
            guard=guard,
            validation=checks[key],
            security=_internal(guard, "security"),
            schemes=_internal(guard, "security_schemes"),
        )
        for key, guard in guards.items()
    }


def mark_routed(scope: Any, base: str, operation_id: str, app: Any) -> None:
    """Annotate a request routed by the mock as Connexion's RoutingMiddleware does, for
    its security and validation operations and its error handlers downstream."""
    scope["root_path"] = base
    scope.setdefault("extensions", {})["connexion_routing"] = {
        "api_base_path": base,
        "operation_id": operation_id,
    }
    scope["app"] = app


def routed(scope: Any) -> tuple[str | None, str | None]:
    """The mount (base path) and operation key routing gave a request, if any."""
    routing = (scope.get("extensions") or {}).get("connexion_routing") or {}
    return routing.get("api_base_path"), routing.get("operation_id")


def operation_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


async def _unused_handler() -> None:  # pragma: no cover - routing only, never called
    raise RuntimeError("flowcontract answers in its own ASGI app, not through handlers")


class PathResolver(Resolver):  # type: ignore[misc]
    """Names every operation `METHOD /path`: routing never depends on an operationId
    (altostrat's vendor document has none)."""

    def resolve(self, operation: Any) -> Resolution:
        return Resolution(_unused_handler, operation_key(operation.method, operation.path))


class PreparedSpecification(OpenAPISpecification):  # type: ignore[misc]
    """Connexion's view of a document the catalog has already validated (openapi-spec-
    validator, the same verdict as `contracts lint`) and resolved (no `$ref` left).

    Connexion's own `Specification` deep-copies the document, validates it again with a
    pure-Python jsonschema pass that also checks every `default` (minutes on GitHub's
    1,200-operation description, and a second verdict that may differ from lint's), then
    deep-copies it again to resolve `$ref`s. This one keeps the resolved document as it
    is, shared, read-only: each copy (one per mount, one per `with_base_path`) is a new
    top-level mapping over the same nodes, so that setting its `servers` changes no other.
    """

    def __init__(self, raw_spec: Mapping[str, Any], *, base_uri: str = "") -> None:
        self._adopt(dict(_string_keys(raw_spec, {})), base_uri)

    def _adopt(self, document: dict[str, Any], base_uri: str) -> None:
        document.setdefault("components", {})
        self._raw_spec = document
        self._spec = document
        self._base_uri = base_uri

    @property
    def components(self) -> dict[str, Any]:
        """None for the operations: the document is resolved (no `$ref` left to look up),
        and Connexion's `OpenAPIOperation.with_definitions` writes `components` *into*
        each schema it reads, which in a document whose nodes are shared makes a schema
        contain itself. (Security schemes are read through `security_schemes`.)"""
        return {}

    def clone(self) -> PreparedSpecification:
        copy = object.__new__(type(self))
        copy._adopt(dict(self._raw_spec), self._base_uri)
        return copy


def _string_keys(node: Any, done: dict[int, Any]) -> Any:
    """`node` with integer mapping keys (YAML `200:`) as strings, as Connexion's
    `Specification.from_dict` makes them; the same object where there are none. Each
    shared node is converted once (`done`, by identity)."""
    if not isinstance(node, Mapping):
        return node
    if id(node) in done:
        return done[id(node)]
    items = [(key, _string_keys(value, done)) for key, value in node.items()]
    same = all(isinstance(k, str) and v is node[k] for k, v in items)
    out = node if same else {str(key): value for key, value in items}
    done[id(node)] = out
    return out


class PreparedConnexion(ConnexionMiddleware):  # type: ignore[misc]
    """`ConnexionMiddleware` taking a `PreparedSpecification` (`add_api` only takes a file,
    a URL or a dict, which it would validate and copy again)."""

    def add_prepared_api(self, specification: PreparedSpecification, **options: Any) -> None:
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add an API after the application has started")
        base_path = options.pop("base_path", None)
        replaced = self.options.replace(**options)
        self.apis.append(API(specification, base_path=base_path, **replaced.__dict__))


def _same_scheme(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a == b:
        return True
    if a.get("type") != "http" or b.get("type") != "http":
        return False
    return {**a, "scheme": str(a.get("scheme", "")).lower()} == {
        **b,
        "scheme": str(b.get("scheme", "")).lower(),
    }


def _guard_class(base: type, keyring: Keyring, schemes: Mapping[str, Any]) -> type:
    """A subclass of Connexion's handler `base` whose `get_fn` (the method Connexion's
    `SecurityHandlerFactory.parse_security_scheme` calls) reads credentials as
    `mockserver.credentials` does and checks them against the scenarios' keyring.

    Connexion's own handlers need an `x-basicInfoFunc`/`x-tokenInfoFunc`/... per scheme
    (without one the requirement is dropped, so every request got 401), read Basic with
    lenient base64, and crash on a query apiKey in the middleware (`ConnexionRequest`
    has no URI parser there); this one is the whole check."""

    def get_fn(_self: Any, security_scheme: Mapping[str, Any], required_scopes: Any) -> Any:
        # Connexion hands the scheme's definition, not its name: every name defining
        # exactly this scheme may pin credentials for it.
        # (compared with `http` scheme words in any case: the 3.1 view lower-cases them)
        names = [name for name, scheme in schemes.items() if _same_scheme(scheme, security_scheme)]
        required = list(required_scopes or ())
        check_scopes = scoped(security_scheme) and bool(required)

        def verify(request: Any) -> Any:
            scope = request.scope
            try:
                value = presented(
                    security_scheme,
                    request.headers,
                    QueryParams(scope.get("query_string", b"")),
                    request.cookies,
                )
            except Malformed as exc:
                raise OAuthProblem(detail=str(exc)) from None
            if value is None:
                return NO_VALUE  # absent: another alternative may be present
            credential = keyring.find(names, value)
            if credential is None:
                if keyring.reject_unknown:
                    raise OAuthResponseProblem(
                        detail=f"the {' or '.join(names)} credential is not one the scenarios list"
                    )
                return {"sub": "anonymous", "scopes": required}  # Prism's rule: accepted
            if check_scopes and not set(required) <= set(credential.scopes):
                # not Connexion's OAuthScopeProblem: a Starlette HTTPException, not a
                # ProblemException, so its error handlers would not see it as a problem
                raise ProblemException(
                    status=403,
                    title="Forbidden",
                    detail=f"the token's scopes {sorted(credential.scopes)} lack "
                    f"{sorted(set(required) - set(credential.scopes))}",
                )
            return {"sub": credential.name, "scopes": list(credential.scopes)}

        return verify

    return type(f"Mock{base.__name__}", (base,), {"get_fn": get_fn})


def security_map_for(
    scenarios: Scenarios | None, schemes: Mapping[str, Mapping[str, Any]]
) -> dict[str, type]:
    """Security handler classes for one API, for every scheme type its document uses:
    well-formed credentials are checked against the scenarios (unknown ones accepted
    unless `unknown_credentials: reject`).

    Keys are what Connexion's factory looks up: the type for `apiKey`, `oauth2` and
    `openIdConnect` (Connexion ships no handler for the last: it logs "No default
    implementation" and drops the requirement), the lower-case `scheme` for `http`
    (Connexion knows `basic` and `bearer`; any other, `digest` say, is ours). Not
    reachable here: an apiKey with Connexion's `x-authentication-scheme: bearer`, which
    its factory hands to its own BearerSecurityHandler, and two oauth2 schemes required
    together, which it drops with a warning."""
    keyring = Keyring.of(scenarios)
    http_schemes = {
        str(s.get("scheme", "")).lower() for s in schemes.values() if s.get("type") == "http"
    }
    by_key: dict[str, type] = {
        "basic": BasicSecurityHandler,
        "bearer": BearerSecurityHandler,
        "apiKey": ApiKeySecurityHandler,
        "oauth2": OAuthSecurityHandler,
        "openIdConnect": AbstractSecurityHandler,
    }
    by_key.update({key: AbstractSecurityHandler for key in http_schemes - set(by_key) if key})
    return {key: _guard_class(base, keyring, schemes) for key, base in by_key.items()}


Credentials = frozenset[tuple[bytes, bytes]]


def accepted_credentials(
    security: list[Mapping[str, Any]] | None,
    schemes: Mapping[str, Mapping[str, Any]],
    scenarios: Scenarios | None,
) -> Credentials | None:
    """The exact `(header, value)` pairs with which a request passes Connexion's guard for
    an operation, as `security_map_for`'s handlers decide it: the scenarios' credentials
    of a scheme one alternative requirement names alone (with every scope it requires),
    presented in a header the way that scheme reads it, and read back by
    `credentials.presented` as themselves. None when the operation needs no credential.
    Any other request (a query or cookie key, a combination of schemes, an unknown or
    malformed credential) still goes through Connexion's guard, which then decides."""
    if not security or any(not requirement for requirement in security):
        return None
    keyring = Keyring.of(scenarios)
    accepted: set[tuple[bytes, bytes]] = set()
    for requirement in security:
        if len(requirement) != 1:  # several schemes at once: Connexion's guard decides
            continue
        name, required = next(iter(requirement.items()))
        scheme = schemes.get(name, {})
        names = {other for other, definition in schemes.items() if _same_scheme(definition, scheme)}
        for credential in keyring.pinned.values():
            if credential.scheme not in names:
                continue
            if scoped(scheme) and not set(required or ()) <= set(credential.scopes):
                continue
            try:
                applied = apply_credential(schemes, name, credential.value)
            except UsageError:
                continue
            header = applied.name.lower()
            if applied.location != "header":
                continue  # Lane.trusted reads headers only
            try:
                if presented(scheme, {header: applied.value}, {}, {}) != credential.value:
                    continue
            except Malformed:
                continue
            with contextlib.suppress(UnicodeEncodeError):
                accepted.add((header.encode("latin-1"), applied.value.encode("latin-1")))
    return frozenset(accepted)


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


def _request_validator(schema: Mapping[str, Any]) -> Any:
    """A request body's validator, `readOnly` honoured: the 3.0 schema with Connexion's
    `nullable`, or an OpenAPI 3.1 body's original schema with JSON Schema 2020-12 (the
    3.0 view's types still drive the parsing)."""
    original = schema.get(ORIGINAL_SCHEMA)
    if original is None:
        return RequestSchemaValidator(schema, format_checker=REQUEST_FORMATS)
    return RequestSchemaValidator202012(original, format_checker=REQUEST_FORMATS)


class MockJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Connexion's JSON body validator with four changes: one compiled validator per
    schema (Connexion builds one per request), a refusal for bodies that are not UTF-8 or
    nest too deeply (Connexion lets those escape as 500s), messages naming the field, and
    an OpenAPI 3.1 body validated against its original schema with JSON Schema 2020-12
    (the schema Connexion holds is the 3.0 view of `oas31`, which carries it)."""

    _compiled: dict[int, tuple[Any, Draft4Validator | Draft202012Validator]] = {}  # noqa: RUF012 - process-wide cache
    _fast: dict[int, tuple[Any, Any]] = {}  # noqa: RUF012 - process-wide cache

    @property
    def _fast_check(self) -> Any:
        """A Rust validator that can only *accept* quickly: it is used when it knows every
        keyword the schema relies on (Connexion's request validator adds `nullable` and
        `readOnly`/`writeOnly` semantics, which it does not), else None."""
        key = id(self._schema)
        hit = self._fast.get(key)
        if hit is None or hit[0] is not self._schema:
            original = self._schema.get(ORIGINAL_SCHEMA)
            text = json.dumps(self._schema if original is None else original)
            usable = not any(
                k in text
                for k in ('"nullable"', '"readOnly"', '"writeOnly"', '"x-', '"int32"', '"int64"')
            )
            check: Draft4Fast | Draft202012Fast | None = None
            if usable and original is None:
                check = Draft4Fast(self._schema, validate_formats=True)
            elif usable:
                check = Draft202012Fast(original, validate_formats=True)
            hit = (self._schema, check)
            self._fast[key] = hit
        return hit[1]

    @property
    def _validator(self) -> Draft4Validator | Draft202012Validator:
        key = id(self._schema)
        hit = self._compiled.get(key)
        if hit is None or hit[0] is not self._schema:
            validator = _request_validator(self._schema)
            hit = (self._schema, validator)
            self._compiled[key] = hit
        return hit[1]

    async def _parse(self, stream: Any, scope: Any) -> Any:
        parsed = self.parse_bytes(b"".join([chunk async for chunk in stream]))
        note = scope.get("flowcontract")
        if isinstance(note, RequestNote):
            note.body = parsed  # parsed once: the mock's handler reuses it
        return parsed

    def parse_bytes(self, raw: bytes) -> Any:
        """The body as Connexion's JSON validator reads it, with our refusals."""
        if not raw:
            return None
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise BadRequestProblem(detail=f"the body is not valid {self._encoding} text") from None
        try:
            parsed = strict_json(text)
        except NotStrictJSON as exc:
            raise BadRequestProblem(detail=f"the body is not valid JSON: {exc}") from None
        except json.JSONDecodeError as exc:
            raise BadRequestProblem(detail=f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise BadRequestProblem(detail="the body's JSON nests too deeply") from None
        if parsed is None and not self._accepts_null:
            # A literal `null` is a body, and not an object: only an empty body is absent.
            raise BadRequestProblem(detail="the body is null; send an object or no body")
        return parsed

    @property
    def _accepts_null(self) -> bool:
        """Whether a literal `null` body is valid: Connexion's `nullable` (3.0), or a schema
        `null` is an instance of (one without `type`, whose `properties` and `required`
        constrain objects only, in 3.0 as in 3.1: openapi-core and Schemathesis agree)."""
        return self._nullable or bool(self._validator.is_valid(None))

    def check(self, raw: bytes) -> Any:
        """Parse and validate a body already read whole: what `wrap_receive` does, without
        re-streaming it through a new `receive` channel."""
        body = self.parse_bytes(raw)
        if body is None:
            if not raw and self._required and not self._nullable:
                raise BadRequestProblem(detail="the request body must not be empty")
            return None  # left out where optional, or a literal null `parse_bytes` accepted
        self._validate(body)
        return body

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            # Connexion refuses a required body left out before it parses (`check` does in
            # the express lane): this is an optional one left out, or an accepted null.
            return None
        fast = self._fast_check
        if fast is not None and fast.is_valid(body):
            return None
        try:  # the authority: Connexion's own request validator (2020-12 for OpenAPI 3.1)
            error = _cause(self._validator.iter_errors(body))
        except RecursionError:
            raise BadRequestProblem(detail="the body's JSON nests too deeply") from None
        if error is not None:
            raise BadRequestProblem(detail=describe(error))
        return None


class _CompiledValidator:
    """One compiled request validator per schema, `readOnly` and OpenAPI's formats honoured."""

    _compiled: dict[int, tuple[Any, Any]] = {}  # noqa: RUF012 - process-wide cache
    _schema: Any

    @property
    def _validator(self) -> Any:
        key = id(self._schema)
        hit = self._compiled.get(key)
        if hit is None or hit[0] is not self._schema:
            hit = (self._schema, _request_validator(self._schema))
            self._compiled[key] = hit
        return hit[1]


class MockXMLBodyValidator(_CompiledValidator, AbstractRequestBodyValidator):  # type: ignore[misc]
    """XML bodies (Connexion validates none): read as the data their schema describes
    (`contracts.xmlbody`, by the schema's `xml` hints), then validated as a JSON body is;
    the parsed value kept for the mock's handler."""

    async def _parse(self, stream: Any, scope: Any) -> Any:
        parsed = self.parse_bytes(b"".join([chunk async for chunk in stream]))
        note = scope.get("flowcontract")
        if isinstance(note, RequestNote):
            note.body = parsed
        return parsed

    def parse_bytes(self, raw: bytes) -> Any:
        """The body read by its schema; None when there is none."""
        if not raw:
            return None
        try:
            return xml_value(raw, self._schema)
        except NotXml as exc:
            raise BadRequestProblem(detail=str(exc)) from None

    def check(self, raw: bytes) -> Any:
        """Parse and validate a body already read whole (the express lane's way)."""
        body = self.parse_bytes(raw)
        self._validate(body)
        return body

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            if self._required:
                raise BadRequestProblem(detail="the request body must not be empty")
            return None
        error = _cause(self._validator.iter_errors(body))
        if error is not None:
            raise BadRequestProblem(detail=describe(error))
        return None


class MockOpaqueBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    """Any media type no other validator reads (an image, a PDF, a vendor type): Connexion
    registers none, so it would not even see a required body missing. Its content is not
    read. A body is absent when the request has neither bytes nor a `Content-Type`: an
    empty one with its media type named is there (the empty string a `type: string`
    schema allows)."""

    async def wrap_receive(self, receive: Any, *, scope: Any) -> tuple[Any, Any]:
        headers = {k: v for k, v in scope["headers"]}
        sized = headers.get(b"content-length", b"0") not in (b"", b"0")
        present = sized or b"transfer-encoding" in headers or b"content-type" in headers
        if self._required and not present:
            raise BadRequestProblem(detail="RequestBody is required")
        return receive, scope


class _FormBody(_CompiledValidator):
    """What our form validators add to Connexion's: one compiled validator per schema
    with `readOnly` and OpenAPI's formats honoured, messages naming the field, the parsed
    body kept for the mock's handler, and `parse_bytes` for a body already read whole."""

    _strict_validation: bool
    _required: bool

    async def wrap_receive(self, receive: Any, *, scope: Any) -> tuple[Any, Any]:
        """Connexion's, except that an absent body of an optional requestBody is not
        validated: Connexion parses it as an empty form, which a schema with `required`
        fields refuses (as JSON bodies, where Connexion lets `None` through)."""
        if self._required:
            return await super().wrap_receive(receive, scope=scope)  # type: ignore[misc,no-any-return]
        raw = await read_body(receive)
        if not raw:
            return replay(raw, receive), scope
        return await super().wrap_receive(replay(raw, receive), scope=scope)  # type: ignore[misc,no-any-return]

    async def _parse(self, stream: Any, scope: Any) -> Any:
        parsed = await super()._parse(stream, scope)  # type: ignore[misc]
        note = scope.get("flowcontract")
        if isinstance(note, RequestNote):
            note.body = parsed
        return parsed

    async def parse_bytes(self, raw: bytes, scope: Any) -> Any:
        async def stream() -> Any:
            yield raw
            yield b""

        return await self._parse(stream(), scope)

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not isinstance(body, dict):
            raise BadRequestProblem(detail="the form body must be a set of fields")
        if self._strict_validation:
            self._validate_params_strictly(body)  # type: ignore[attr-defined]
        error = _cause(self._validator.iter_errors(body))
        if error is not None:
            raise BadRequestProblem(detail=describe(error))
        return None


@dataclass(frozen=True)
class PendingForm:
    """`CachedRequestValidationOperation.check`'s answer for a form or multipart body,
    which Starlette's parsers read asynchronously: await it for the fields, typed by the
    schema and validated."""

    validator: _FormBody

    async def __call__(self, scope: Any, raw: bytes) -> Any:
        body = await self.validator.parse_bytes(raw, scope)
        self.validator._validate(body)
        return body


class MockFormValidator(_FormBody, FormDataValidator):  # type: ignore[misc]
    """`application/x-www-form-urlencoded` bodies: fields typed by the schema."""


class _ClosingMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, its file parts closed once parsed (Connexion only
    looks at which parts are files, and never closes their temporary files), a malformed
    body a 400 (a body without a `Content-Type`, which Connexion hands to the operation's
    only media type's parser, too: Starlette's raises a KeyError there)."""

    async def parse(self) -> FormData:
        if "content-type" not in self.headers:
            raise BadRequestProblem(
                detail="the multipart body has no Content-Type: "
                "send multipart/form-data; boundary=..."
            )
        try:
            form = await super().parse()
        except MultiPartException as exc:  # Connexion lets it escape as a 500
            raise BadRequestProblem(
                detail=f"the multipart body is malformed: {exc.message}"
            ) from None
        await form.close()
        return form


class MockMultiPartValidator(_FormBody, MultiPartFormDataValidator):  # type: ignore[misc]
    """`multipart/form-data` bodies: fields typed by the schema, file parts as ``""``."""

    @property
    def _form_parser_cls(self) -> type[MultiPartParser]:
        return _ClosingMultiPartParser


# When a property fails its schema, 2020-12 also counts it as unevaluated: that second
# error is a consequence, and naming it would hide the field that is wrong.
_CONSEQUENCES = frozenset({"unevaluatedProperties", "unevaluatedItems"})


def _cause(errors: Iterator[ValidationError]) -> ValidationError | None:
    """The error to report: the first one (what Connexion's `validate` raises), unless it
    is an `unevaluated*` consequence of another."""
    first = next(errors, None)
    if first is None or first.validator not in _CONSEQUENCES:
        return first
    return next((e for e in errors if e.validator not in _CONSEQUENCES), first)


_PARAMETER_FORMATS = REQUEST_FORMATS
_ANNOTATIONS = frozenset({"description", "example", "examples", "title", "deprecated"})


def _parameter_schema(param: Mapping[str, Any]) -> Any:
    """The schema a parameter's value is validated against: an OpenAPI 3.1 parameter's
    original schema (`oas31` keeps it beside the 3.0 view), else the parameter's."""
    return param.get(ORIGINAL_SCHEMA, param.get("schema", param))


# What `pathparams.refused_path_parameter` already refuses in every path parameter before
# validation: a pattern saying only this holds for any value that reaches the validators.
NO_CONTROL_CHARACTER = "^[^\\x00-\\x1F]+$"


def _is_bare_string(param: Mapping[str, Any]) -> bool:
    """A parameter whose schema is only `type: string` (in a path, with at most the
    no-control-character pattern): any value a URL carries is valid."""
    schema = _parameter_schema(param)
    if not isinstance(schema, Mapping):
        return False
    pattern = schema.get("pattern")
    if pattern is not None and not (param.get("in") == "path" and pattern == NO_CONTROL_CHARACTER):
        return False
    keys = set(schema) - {"pattern"}
    return keys <= _ANNOTATIONS | {"type"} and schema.get("type") == "string"


class StyledURIParser(OpenAPIURIParser):  # type: ignore[misc]
    """Connexion's OpenAPI URI parser, with every path style (`simple`, `label`,
    `matrix`, arrays and objects, exploded or not), exploded `form` objects in the query,
    and values typed through `items`/`properties` (`mockserver.styles`). Connexion's own
    handles `simple` path arrays only and fails on a schema without `type`."""

    def resolve_query(self, query_data: dict[str, list[Any]]) -> dict[str, Any]:
        query_data = self._preprocess_deep_objects(query_data)
        taken = set(self.param_defns)
        for name, param in self.param_defns.items():
            schema = param.get("schema") or {}
            if (
                name not in query_data
                and param.get("in") == "query"
                and param.get("style", "form") == "form"
                and param.get("explode", True)
                and (schema.get("type") == "object" or "properties" in schema)
            ):
                gathered = exploded_object(query_data, param, taken)
                if gathered is not None:
                    query_data[name] = [gathered]
        return self.resolve_params(query_data, "query")

    def resolve_form(self, form_data: dict[str, list[Any]]) -> dict[str, Any]:
        """Form fields typed by the body's schema; a part whose `encoding` is JSON, or an
        object without an `encoding` (OpenAPI's default for objects), is parsed as JSON."""
        schema = self._form_schema or {}
        if not isinstance(schema, Mapping) or not (
            schema.get("type") == "object" or "properties" in schema
        ):
            return form_data
        declared = schema.get("properties") or {}
        resolved: dict[str, Any] = {}
        for name, values in form_data.items():
            field = declared.get(name) or {}
            encoding = self._form_encoding.get(name) or {}
            content_type = str(encoding.get("contentType") or "")
            if "json" in content_type or (not content_type and field.get("type") == "object"):
                try:
                    resolved[name] = strict_json(values[-1])
                except (ValueError, RecursionError):
                    resolved[name] = values[-1]  # validation refuses it, naming the field
                continue
            if name not in declared and len(values) > 1:
                resolved[name] = list(values)  # an undeclared field repeated: a list
                continue
            style = {"style": encoding.get("style", "form"), "schema": field}
            if "explode" in encoding:
                style["explode"] = encoding["explode"]
            try:
                resolved[name] = typed(query_value(values, style), field)
            except StyleMismatch as exc:
                raise BadRequestProblem(detail=f"{name}: {exc}") from None
        return resolved

    def __init__(self, param_defns: Any, body_defn: Any) -> None:
        super().__init__(param_defns, body_defn)
        self._form_schema = _internal(self, "_body_schema")
        self._form_encoding = _internal(self, "_body_encoding")
        # Path parameters a segment fills whole (`simple`, one value): decoded, then typed.
        self._plain_path = {
            name: param.get("schema") or {}
            for name, param in self.param_defns.items()
            if param.get("in") == "path"
            and param.get("style", "simple") == "simple"
            and (param.get("schema") or {}).get("type") not in ("array", "object")
            and "properties" not in (param.get("schema") or {})
        }

    def resolve_params(self, params: Mapping[str, Any], _in: str) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        plain = self._plain_path if _in == "path" else {}
        for name, values in params.items():
            schema = plain.get(name)
            if schema is not None:
                resolved[name] = typed(unquote(values) if "%" in values else values, schema)
                continue
            param = self.param_defns.get(name)
            if param is None:  # undocumented: left to validation, a path value decoded
                resolved[name] = unquote(values) if _in == "path" else values
                continue
            try:
                value = path_value(values, param) if _in == "path" else query_value(values, param)
            except StyleMismatch as exc:
                raise BadRequestProblem(detail=f"{name} ({_in} parameter): {exc}") from None
            resolved[name] = typed(value, param.get("schema") or {})
        return resolved


class MockParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator, compiling one validator per parameter instead of a
    deep copy and a new validator per parameter per request, checking every format
    jsonschema knows (Draft 4's checker has no `uuid`), naming the parameter, and checking
    an OpenAPI 3.1 parameter against its original schema with JSON Schema 2020-12."""

    _compiled: dict[int, tuple[Any, Draft4Validator | Draft202012Validator | None]] = {}  # noqa: RUF012 - process-wide

    def validate(self, scope: Any) -> None:
        """Connexion's parameter validation, on the path parameters as sent (their style
        decides where to split before decoding); the typed values noted for the handler."""
        note = scope.get("flowcontract")
        if isinstance(note, RequestNote) and note.raw_path_params is not None:
            scope = {**scope, "path_params": note.raw_path_params}
        request = ConnexionRequest(scope, uri_parser=self.uri_parser)
        self.validate_request(request)
        if isinstance(note, RequestNote):
            note.path_params = request.path_params
            documented = self.parameters.get("query", ())
            if documented and scope.get("query_string"):
                query = request.query_params
                note.query = {p["name"]: query[p["name"]] for p in documented if p["name"] in query}

    def validate_path_parameter(self, param: Mapping[str, Any], request: Any) -> str | None:
        """The path value under the parameter's own name, as our router keys it (Connexion
        looks up only `team_slug` for `team-slug`, the name its own router makes)."""
        values, name = request.path_params, param["name"]
        value = values.get(name, values.get(name.replace("-", "_")))
        return self.validate_parameter("path", value, param)

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: Mapping[str, Any], param_name: str | None = None
    ) -> str | None:
        enum = (param.get("schema") or {}).get("enum", [None])
        if is_nullable(param) and is_null(value) and None in enum:
            return None  # OpenAPI 3.0.3: `nullable` does not add null to an `enum`
        name = param_name or param.get("name", "?")
        if value is None:
            if param.get("required"):
                return f"missing {parameter_type} parameter '{name}'"
            return None
        hit = MockParameterValidator._compiled.get(id(param))
        if hit is None or hit[0] is not param:
            # A bare `type: string` accepts every value a URL can carry: nothing to check.
            trivial = isinstance(value, str) and _is_bare_string(param)
            dialect = Draft202012Validator if ORIGINAL_SCHEMA in param else Draft4Validator
            validator = (
                None
                if trivial
                else dialect(_parameter_schema(param), format_checker=_PARAMETER_FORMATS)
            )
            hit = (param, validator)
            MockParameterValidator._compiled[id(param)] = hit
        if hit[1] is None:
            return None
        error = best_match(hit[1].iter_errors(value))
        if error is None:
            return None
        return f"{name} ({parameter_type} parameter): {error.message}"


class CachedRequestValidationOperation(RequestValidationOperation):  # type: ignore[misc]
    """Connexion's request validation for one operation, with what it rebuilds on every
    request (URI parser, parameter validator, media-type check, body validator) built once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._op = op = _internal(self, "_operation")
        self._validators = _internal(self, "_validator_map")
        uri_parser = _internal(op, "_uri_parser_class")(op.parameters, {})  # parameters only
        self._parameters = self._validators["parameter"](
            op.parameters,
            uri_parser=uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        self._media_checked: set[str] = set()
        self._bodies: dict[tuple[str, str], Any] = {}
        self._content_types: dict[bytes | None, tuple[str, str]] = {}
        # Without a query string there is nothing for the parameter pass to check when every
        # path parameter is a bare string and no query or header parameter is required.
        self._nothing_to_check_without_query = all(
            (p["in"] == "path" and _is_bare_string(p) and p.get("style", "simple") == "simple")
            or (p["in"] == "query" and not p.get("required"))
            for p in op.parameters
        )

    def _body_validator(self, mime_type: str, encoding: str) -> Any:
        key = (mime_type, encoding)
        if key not in self._bodies:
            op = self._op
            schema = op.body_schema(mime_type)
            try:  # MediaTypeDict matches ranges (`*/*json`) in [] only, not in .get()
                validator_cls = self._validators["body"][mime_type] if schema else None
            except KeyError:
                validator_cls = None
            self._bodies[key] = (
                validator_cls(
                    schema=schema,
                    required=op.request_body.get("required", False),
                    nullable=is_nullable(op.body_definition(mime_type)),
                    encoding=encoding,
                    strict_validation=self.strict_validation,
                    uri_parser=op.uri_parser_class(op.parameters, op.body_definition(mime_type)),
                )
                if validator_cls
                else None
            )
        return self._bodies[key]

    def _checked_body_validator(self, scope: Any) -> Any:
        """Parameters and media type checked (raising Connexion's problems); the body's
        validator, or None when the operation takes no body of this media type."""
        self.check_parameters(scope)
        return self.body_validator(scope)

    def check_parameters(self, scope: Any) -> None:
        """The path, query, header and cookie parameters; raises Connexion's problem."""
        if scope.get("query_string") or not self._nothing_to_check_without_query:
            self._parameters.validate(scope)

    def body_validator(self, scope: Any) -> Any:
        """The request's media type checked (raises Connexion's 415 problem); the body's
        validator, or None when the operation takes no body of this media type."""
        raw = next((v for k, v in scope["headers"] if k == b"content-type"), None)
        parsed = self._content_types.get(raw)
        if parsed is None:  # Connexion's own parsing, once per distinct header value
            parsed = self._content_types[raw] = self.extract_content_type(scope["headers"])
            if len(self._content_types) > 256:  # a client inventing values: stay bounded
                self._content_types.clear()
        mime_type, encoding = parsed
        if mime_type not in self._media_checked:
            self.validate_mime_type(mime_type)  # raises for an undocumented media type
            self._media_checked.add(mime_type)
        return self._body_validator(mime_type, encoding)

    def check(self, scope: Any, raw: bytes) -> Any:
        """This operation's request validation, for a request whose body is already read
        whole: parameters, media type, then the JSON body, parsed once and returned; a
        `PendingForm` to await for a form or multipart body.
        `STREAMED` when only Connexion's `receive`-channel path can validate the body (not
        JSON or XML, or empty, where Connexion streams in the schema's default)."""
        validator = self._checked_body_validator(scope)
        if validator is None:
            return None
        if raw and isinstance(validator, _FormBody):
            return PendingForm(validator)
        if raw and isinstance(validator, MockXMLBodyValidator):
            return validator.check(raw)
        if raw and isinstance(validator, MockOpaqueBodyValidator):
            return None  # there, and its content is not read
        if not raw or not isinstance(validator, MockJSONBodyValidator):
            return STREAMED
        return validator.check(raw)

    async def check_whole_body(self, scope: Any, raw: bytes, validator: Any) -> None:
        """Validate a body already read whole with `validator` (from `body_validator`),
        on the path Connexion takes for it (`check`'s, else the `receive` channel's);
        raises Connexion's problem. The validation proxy's body check."""
        if raw and isinstance(validator, _FormBody):
            await PendingForm(validator)(scope, raw)
        elif raw and isinstance(validator, MockJSONBodyValidator):
            validator.check(raw)
        else:
            sent = [{"type": "http.request", "body": raw, "more_body": False}]

            async def receive() -> Any:
                return sent.pop() if sent else {"type": "http.disconnect"}

            await validator.wrap_receive(receive, scope=dict(scope))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        validator = self._checked_body_validator(scope)
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class CachedRequestValidationAPI(RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> CachedRequestValidationOperation:
        return CachedRequestValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class CachedRequestValidationMiddleware(RequestValidationMiddleware):  # type: ignore[misc]
    api_cls = CachedRequestValidationAPI


_OURS: dict[type, type] = {
    JSONRequestBodyValidator: MockJSONBodyValidator,
    FormDataValidator: MockFormValidator,
    MultiPartFormDataValidator: MockMultiPartValidator,
}


def validator_map() -> dict[str, Any]:
    # Keep Connexion's MediaTypeDict: its keys are ranges (`*/*json`), and a plain dict
    # would make Connexion skip body validation silently.
    body = MediaTypeDict(
        {
            media_type: _OURS.get(validator, validator)
            for media_type, validator in VALIDATOR_MAP["body"].items()
        }
    )
    body["*/*xml"] = MockXMLBodyValidator  # application/xml, text/xml, *+xml
    body["*/*"] = MockOpaqueBodyValidator  # the rest: a required body must be there
    return {"body": body, "parameter": MockParameterValidator}
