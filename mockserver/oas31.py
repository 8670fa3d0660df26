"""The bridge that lets Connexion 3.3, which reads only OpenAPI 3.0, serve 3.1 documents.

Connexion gets a *3.0 view* of the resolved document: enough for what it does with it
(routing, security, parameter parsing and coercion, media-type checks). Every place where
it would validate a value against a schema, the view carries the ORIGINAL 3.1 schema
beside the converted one (`ORIGINAL_SCHEMA`, on each parameter and on each request body
schema), and the validators of `connexion_ext` validate against that one with JSON Schema
2020-12. Responses never use the view: the mock generates and selects them from the
contract itself (the original document).

What the view loses (nothing here decides a refusal or an answer):

- a type array with several non-null types has no 3.0 spelling: the view has no `type`
  (`string` for a parameter or form field), so Connexion leaves such a value as sent;
- 2020-12 keywords without a 3.0 counterpart (`prefixItems`, `unevaluatedProperties`,
  `if`/`then`/`else`, `dependentSchemas`, `$defs`, ...) are dropped, `contentMediaType`
  becomes `format: binary` (a file, to Connexion's form parser);
- `webhooks`, `callbacks`, `jsonSchemaDialect`, `info.summary`, `license.identifier`,
  `mutualTLS` schemes (and requirements naming them) and `components` other than
  `securitySchemes` are not in the view, so Swagger UI shows the view, not the 3.1 document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from jsonschema import ValidationError

from contracts.catalog import HTTP_METHODS, Contract
from contracts.errors import SpecError

__all__ = ["ORIGINAL_SCHEMA", "connexion_document", "schema_30", "spec_errors", "view_30"]

ORIGINAL_SCHEMA = "x-flowcontract-oas31-schema"
"""The key under which the view keeps a parameter's or a request body's 3.1 schema."""

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")

# The keywords a 3.0 Schema Object allows, kept as they are.
_KEPT = frozenset(
    {
        "title",
        "multipleOf",
        "maximum",
        "minimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "format",
        "default",
        "description",
        "discriminator",
        "readOnly",
        "writeOnly",
        "example",
        "externalDocs",
        "deprecated",
        "xml",
    }
)
_SUBSCHEMA_LISTS = ("allOf", "oneOf", "anyOf")


def connexion_document(contract: Contract) -> dict[str, Any]:
    """The resolved document as Connexion should serve it: no server base paths (the mock
    mounts each API itself), and for OpenAPI 3.1 its 3.0 view.

    Raises:
        SpecError: for a version the mock cannot serve (3.2 and later, Swagger 2.0).
    """
    version = contract.openapi_version
    match = _VERSION.match(version)
    major_minor = (int(match[1]), int(match[2])) if match else None
    if major_minor == (3, 0):
        spec = dict(contract.resolved)
    elif major_minor == (3, 1):
        spec = view_30(contract.resolved)
    else:
        line, column = contract.locate(("openapi",)) or (1, 1)
        shown = f"{match[1]}.{match[2]}" if match else repr(version)
        raise SpecError(
            f"OpenAPI {shown} is not supported yet (the mock serves 3.0.x and 3.1.x)",
            file=contract.path,
            line=line,
            column=column,
        )
    spec["servers"] = [{"url": "/"}]
    components = spec.get("components") or {}
    if any(
        _http_scheme_to_lower(s) is not s for s in components.get("securitySchemes", {}).values()
    ):
        schemes = {k: _http_scheme_to_lower(v) for k, v in components["securitySchemes"].items()}
        spec["components"] = {**components, "securitySchemes": schemes}
    return spec


def _http_scheme_to_lower(scheme: Any) -> Any:
    """An `http` scheme's name in lower case: HTTP auth schemes are case-insensitive (RFC
    9110), and Connexion's 3.0 schema accepts `bearerFormat` only beside `bearer`."""
    if isinstance(scheme, Mapping) and scheme.get("type") == "http":
        name = scheme.get("scheme")
        if isinstance(name, str) and name != name.lower():
            return {**scheme, "scheme": name.lower()}
    return scheme


@contextmanager
def spec_errors(contract: Contract) -> Iterator[None]:
    """Connexion's refusal of a document (a jsonschema `ValidationError` subclass, whose
    text is a dump of the schema) as one line naming the node: `file:line:col: cause`."""
    try:
        yield
    except ValidationError as exc:
        while exc.context:  # `oneOf` Reference or X: the deepest complaint about X is the cause
            exc = max(exc.context, key=_relevance)
        path = tuple(exc.absolute_path)
        line, column = contract.locate(path) or (1, 1)
        where = "/".join(str(p) for p in path)
        raise SpecError(
            f"Connexion cannot serve this document{' at ' + where if where else ''}: "
            f"{str(exc.message).splitlines()[0][:200]}",
            file=contract.path,
            line=line,
            column=column,
        ) from None


def _relevance(error: ValidationError) -> tuple[int, bool]:
    not_a_reference = not (error.validator == "required" and "$ref" in error.validator_value)
    return len(error.path), not_a_reference


def view_30(document: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved OpenAPI 3.1 document as the 3.0.3 document Connexion can load."""
    components = document.get("components") or {}
    schemes = {
        name: scheme
        for name, scheme in (components.get("securitySchemes") or {}).items()
        if isinstance(scheme, Mapping) and scheme.get("type") != "mutualTLS"
    }
    view: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": _info(document.get("info") or {}),
        "paths": {
            path: _path_item(item, schemes)
            for path, item in (document.get("paths") or {}).items()
            if isinstance(item, Mapping)
        },
    }
    if schemes:
        view["components"] = {"securitySchemes": schemes}
    if "security" in document:
        view["security"] = _security(document["security"], schemes)
    for key in ("tags", "externalDocs"):
        if key in document:
            view[key] = document[key]
    return view


def _info(info: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in info.items() if k != "summary"}
    license_ = info.get("license")
    if isinstance(license_, Mapping):
        out["license"] = {k: v for k, v in license_.items() if k != "identifier"}
    out.setdefault("title", "")
    out.setdefault("version", "")
    return out


def _security(requirements: Any, schemes: Mapping[str, Any]) -> list[Any]:
    """Requirements naming only schemes the view has (a `mutualTLS` one is not in it)."""
    return [r for r in requirements or [] if isinstance(r, Mapping) and set(r) <= set(schemes)]


def _path_item(item: Mapping[str, Any], schemes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key in HTTP_METHODS and isinstance(value, Mapping):
            out[key] = _operation(value, schemes)
        elif key == "parameters":
            out[key] = [_parameter(p) for p in value or []]
        elif key in ("summary", "description", "servers") or key.startswith("x-"):
            out[key] = value
    return out


def _operation(op: Mapping[str, Any], schemes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        key: value
        for key, value in op.items()
        if key not in ("callbacks", "parameters", "requestBody", "responses", "security")
    }
    if "parameters" in op:
        out["parameters"] = [_parameter(p) for p in op["parameters"] or []]
    body = op.get("requestBody")
    if isinstance(body, Mapping):
        out["requestBody"] = {
            **body,
            "content": _content(body.get("content") or {}, keep_original=True),
        }
    # 3.1 lets an operation document no response; 3.0 wants at least one.
    responses = op.get("responses") or {"default": {"description": "undocumented"}}
    out["responses"] = {
        str(status): _response(response)
        for status, response in responses.items()
        if isinstance(response, Mapping)
    }
    if "security" in op:
        out["security"] = _security(op["security"], schemes)
    return out


def _parameter(param: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(param)
    if isinstance(param.get("schema"), Mapping | bool):
        out["schema"] = _typed(schema_30(param["schema"]))
        out[ORIGINAL_SCHEMA] = param["schema"]
    if "content" in param:
        out["content"] = _content(param["content"] or {}, keep_original=False)
    return out


def _content(content: Mapping[str, Any], *, keep_original: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for media_type, media in content.items():
        if not isinstance(media, Mapping):
            continue
        converted = dict(media)
        if "schema" in media:
            schema = schema_30(media["schema"])
            if media_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
                # a form's fields are parsed like parameters, by the same URI parser
                for name, field in (schema.get("properties") or {}).items():
                    schema["properties"][name] = _typed(field)
            if keep_original:
                schema[ORIGINAL_SCHEMA] = media["schema"]
            converted["schema"] = schema
        if isinstance(media.get("encoding"), Mapping):
            converted["encoding"] = {
                name: {**enc, "headers": _headers(enc.get("headers") or {})}
                if isinstance(enc, Mapping) and "headers" in enc
                else enc
                for name, enc in media["encoding"].items()
            }
        out[media_type] = converted
    return out


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _typed(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's view schema with the `type` Connexion's URI parser needs (it reads
    `schema["type"]`, and `items["type"]` of an array, unguarded): the type of its enum
    values or default when they agree, else `string`, which leaves the value as sent
    for the original schema to judge."""
    if schema and "type" not in schema:
        values = [v for v in schema.get("enum", []) if v is not None]
        if "default" in schema:
            values.append(schema["default"])
        kinds = {
            next((name for cls, name in _JSON_TYPES if isinstance(v, cls)), "") for v in values
        }
        schema["type"] = kinds.pop() if len(kinds) == 1 and "" not in kinds else "string"
    if schema.get("type") == "array":
        schema["items"] = _typed(schema.get("items") or {}) or {"type": "string"}
    return schema


def _headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: {**header, "schema": schema_30(header["schema"])}
        if isinstance(header, Mapping) and "schema" in header
        else header
        for name, header in headers.items()
    }


def _response(response: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(response)
    out.setdefault("description", "")
    if "content" in response:
        out["content"] = _content(response["content"] or {}, keep_original=False)
    if "headers" in response:
        out["headers"] = _headers(response["headers"] or {})
    return out


def schema_30(schema: Any) -> dict[str, Any]:
    """One JSON Schema 2020-12 schema (OpenAPI 3.1) as the nearest OpenAPI 3.0 schema.

    What 3.0 can say is converted (type arrays with `null` → `nullable`, `const` → a
    one-value `enum`, numeric `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum`
    with the 3.0 booleans, `examples` → `example`, boolean schemas); what it cannot is
    dropped, so the result accepts at least what the original accepts for every keyword
    Connexion uses to parse a value.
    """
    if schema is False:  # nothing is valid
        return {"not": {}}
    if not isinstance(schema, Mapping):  # `true`: anything is valid
        return {}
    out: dict[str, Any] = {
        key: value for key, value in schema.items() if key in _KEPT or key.startswith("x-")
    }
    out.pop(ORIGINAL_SCHEMA, None)
    _type(schema, out)
    _bounds(schema, out)
    if out.get("type") == "string" and "format" not in out:
        # 3.1 says "a file" with contentMediaType/contentEncoding, 3.0 (and Connexion's
        # form parser) with format: binary/base64
        if schema.get("contentEncoding") == "base64":
            out["format"] = "base64"
        elif "contentMediaType" in schema:
            out["format"] = "binary"
    if "const" in schema:
        out["enum"] = [schema["const"]]
    elif isinstance(schema.get("enum"), list) and schema["enum"]:
        out["enum"] = list(schema["enum"])
    if "example" not in out and isinstance(schema.get("examples"), list) and schema["examples"]:
        out["example"] = schema["examples"][0]
    required = schema.get("required")
    if isinstance(required, list) and required:
        out["required"] = list(dict.fromkeys(required))
    if isinstance(schema.get("properties"), Mapping):
        out["properties"] = {name: schema_30(sub) for name, sub in schema["properties"].items()}
    additional = schema.get("additionalProperties")
    if isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif isinstance(additional, Mapping):
        out["additionalProperties"] = schema_30(additional)
    if "items" in schema and schema["items"] is not False:
        out["items"] = schema_30(schema["items"])
    elif out.get("type") == "array":
        out["items"] = {}
    if "not" in schema:
        out["not"] = schema_30(schema["not"])
    for key in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list) and schema[key]:
            out[key] = [schema_30(sub) for sub in schema[key]]
    return out


def _type(schema: Mapping[str, Any], out: dict[str, Any]) -> None:
    kind = schema.get("type")
    if kind is None:
        return
    kinds = [kind] if isinstance(kind, str) else [k for k in kind if isinstance(k, str)]
    concrete = [k for k in kinds if k != "null"]
    if "null" in kinds:
        out["nullable"] = True
        if not concrete:  # `type: "null"`: only null
            out["enum"] = [None]
    if len(concrete) == 1:
        out["type"] = concrete[0]


def _bounds(schema: Mapping[str, Any], out: dict[str, Any]) -> None:
    for exclusive, inclusive, stricter in (
        ("exclusiveMinimum", "minimum", max),
        ("exclusiveMaximum", "maximum", min),
    ):
        bound = schema.get(exclusive)
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            continue
        other = schema.get(inclusive)
        if isinstance(other, int | float) and stricter(other, bound) != bound:
            continue  # the inclusive bound is the stricter one: 3.0 keeps it alone
        out[inclusive] = bound
        out[exclusive] = True
