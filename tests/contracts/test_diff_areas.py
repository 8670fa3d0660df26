"""`contracts.diff` beyond OpenAPI 3.0 bodies: the oasdiff rules it used to miss, 3.1
schemas (type arrays, `const`, 2020-12 keywords), webhooks and callbacks (directions
reversed), `$ref`s inside extensions, and readOnly/writeOnly values that must not raise
a breaking change. Each case is a minimal old/new pair with the exact (level, rule) list
it must produce; a selection also goes through the real `contracts diff` command.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.diff import RULES, Change, diff_documents, diff_files
from tests.contracts.test_cli import run
from tests.contracts.test_diff import BASE, Case, body, ok, ok_schema, op, param, value

Doc = dict[str, Any]
B, W, I = "breaking", "warning", "info"  # noqa: E741

WEBHOOK_BASE: Doc = yaml.safe_load(
    """
openapi: 3.1.0
info: {title: hooks, version: '1'}
paths: {}
webhooks:
  runFinished:
    post:
      parameters:
        - {name: X-Signature, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [id]
              properties:
                id: {type: string}
                status: {type: string, enum: [ok, failed]}
      responses:
        '200':
          description: received
          content:
            application/json:
              schema:
                type: object
                properties: {accepted: {type: boolean}}
"""
)


def hook(doc: Doc) -> Doc:
    result: Doc = doc["webhooks"]["runFinished"]["post"]
    return result


def hook_body(doc: Doc) -> Doc:
    result: Doc = hook(doc)["requestBody"]["content"]["application/json"]["schema"]
    return result


def hook_answer(doc: Doc) -> Doc:
    result: Doc = hook(doc)["responses"]["200"]["content"]["application/json"]["schema"]
    return result


def callback(doc: Doc) -> Doc:
    result: Doc = op(doc)["callbacks"]["onDone"]["{$request.body#/url}"]["post"]
    return result


def _with_callback(doc: Doc) -> None:
    op(doc)["callbacks"] = {
        "onDone": {
            "{$request.body#/url}": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id"],
                                    "properties": {"id": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {"204": {"description": "received"}},
                }
            }
        }
    }


def on(base: Doc, case: Case) -> tuple[Doc, Doc]:
    old, new = copy.deepcopy(base), copy.deepcopy(base)
    if case.old:
        case.old(old)
        case.old(new)
    case.new(new)
    return old, new


def _set(where: Callable[[Doc], Doc], key: str, item: Any) -> Callable[[Doc], None]:
    return lambda d: where(d).__setitem__(key, copy.deepcopy(item))


def _pop(where: Callable[[Doc], Doc], key: str) -> Callable[[Doc], None]:
    return lambda d: where(d).pop(key)


def _media(doc: Doc) -> Doc:
    result: Doc = op(doc)["requestBody"]["content"]["application/json"]
    return result


def _ok_media(doc: Doc) -> Doc:
    result: Doc = ok(doc)["content"]["application/json"]
    return result


def _refined(base_name: Doc, refinement: Doc | None) -> Doc:
    parts: list[Doc] = [{"type": "object", "properties": {"name": base_name}}]
    if refinement:
        parts.append({"properties": {"name": refinement}})
    return {"allOf": parts}


def _body_schema(doc: Doc, schema: Doc) -> None:
    _media(doc)["schema"] = copy.deepcopy(schema)


def _ok_body_schema(doc: Doc, schema: Doc) -> None:
    _ok_media(doc)["schema"] = copy.deepcopy(schema)


_REFINEMENT = {"maxLength": 40, "pattern": "^[a-z]+$"}
_ARRAY = {"type": "array"}
_OBJECT = {"type": "object"}

# 3.0 cases over test_diff's BASE
CASES: list[Case] = [
    # the five oasdiff ERR rules the diff missed
    Case(
        "response-header-became-optional",
        lambda d: ok(d)["headers"]["X-Rate-Limit"].__setitem__("required", False),
        [(B, "response-header-became-optional")],
    ),
    Case(
        "response-header-became-required",
        lambda d: ok(d)["headers"]["X-Request-Id"].__setitem__("required", True),
        [(I, "response-header-became-required")],
    ),
    Case(
        "request-media-type-schema-added",
        lambda d: _body_schema(d, {"type": "object"}),
        [(B, "request-media-type-schema-added")],
        old=_pop(_media, "schema"),
    ),
    Case(
        "request-media-type-schema-removed",
        _pop(_media, "schema"),
        [(I, "request-media-type-schema-removed")],
    ),
    Case(
        "response-media-type-schema-removed",
        _pop(_ok_media, "schema"),
        [(B, "response-media-type-schema-removed")],
    ),
    Case(
        "response-media-type-schema-added",
        lambda d: _ok_body_schema(d, {"type": "object"}),
        [(I, "response-media-type-schema-added")],
        old=_pop(_ok_media, "schema"),
    ),
    value(
        "request",
        {"type": "string", "x-extensible-enum": ["a", "b"]},
        {"type": "string", "x-extensible-enum": ["a"]},
        [(B, "request-extensible-enum-value-removed")],
        "request-property-extensible-enum-value-removed",
    ),
    Case(
        "request-parameter-extensible-enum-value-removed",
        _set(
            lambda d: param(d, "X-Trace"), "schema", {"type": "string", "x-extensible-enum": ["a"]}
        ),
        [(B, "request-extensible-enum-value-removed")],
        old=_set(
            lambda d: param(d, "X-Trace"),
            "schema",
            {"type": "string", "x-extensible-enum": ["a", "b"]},
        ),
    ),
    value(
        "request",
        {"type": "string", "x-extensible-enum": ["a"]},
        {"type": "string", "x-extensible-enum": ["a", "b"]},
        [(I, "request-extensible-enum-value-added")],
        "request-extensible-enum-value-added",
    ),
    value(
        "response",
        {"type": "string", "x-extensible-enum": ["a"]},
        {"type": "string", "x-extensible-enum": ["a", "b"]},
        [(I, "response-extensible-enum-value-added")],
        "response-extensible-enum-value-added-is-expected",
    ),
    value(
        "response",
        {"type": "string", "x-extensible-enum": ["a", "b"]},
        {"type": "string", "x-extensible-enum": ["a"]},
        [(I, "response-extensible-enum-value-removed")],
        "response-extensible-enum-value-removed",
    ),
    Case(
        "all-of-refinement-of-a-declared-request-property",
        lambda d: _body_schema(d, _refined({"type": "string"}, _REFINEMENT)),
        [(B, "request-max-length-tightened"), (B, "request-pattern-added")],
        old=lambda d: _body_schema(d, _refined({"type": "string"}, None)),
    ),
    Case(
        "all-of-refinement-of-a-declared-response-property",
        lambda d: _ok_body_schema(d, _refined({"type": "string"}, _REFINEMENT)),
        [(I, "response-max-length-tightened"), (I, "response-pattern-added")],
        old=lambda d: _ok_body_schema(d, _refined({"type": "string"}, None)),
    ),
    Case(
        "all-of-bound-given-twice-keeps-the-stricter",
        lambda d: _body_schema(d, _refined({"type": "string", "maxLength": 50}, {"maxLength": 10})),
        [(B, "request-max-length-tightened")],
        old=lambda d: _body_schema(d, _refined({"type": "string", "maxLength": 50}, None)),
    ),
    # no false breaking change on values a side never sees
    value(
        "request",
        {"type": "string", "readOnly": True},
        {"type": "string", "readOnly": True, "maxLength": 5, "pattern": "^a"},
        [],
        "read-only-request-property-tightened-is-silent",
    ),
    value(
        "response",
        {"type": "string", "writeOnly": True, "enum": ["a"]},
        {"type": "string", "writeOnly": True, "enum": ["a", "b"]},
        [],
        "write-only-response-property-enum-added-is-silent",
    ),
    value(
        "request",
        {"type": "string"},
        {"type": "string", "maxLength": 5},
        [(B, "request-max-length-tightened")],
        "writable-request-property-tightened-still-breaks",
    ),
    # 3.1 schema features
    value(
        "response",
        {"type": ["string"]},
        {"type": ["string", "null"]},
        [(B, "response-nullable-added")],
        "response-type-array-gains-null",
    ),
    value(
        "request",
        {"type": ["string"]},
        {"type": ["string", "null"]},
        [(I, "request-type-widened")],
        "request-type-array-gains-null",
    ),
    value(
        "request",
        {"const": "a"},
        {"const": "b"},
        [(B, "request-enum-value-removed"), (I, "request-enum-value-added")],
        "request-const-changed",
    ),
    value(
        "response",
        {"type": "string", "examples": ["a"]},
        {"type": "string", "examples": ["b", 7]},
        [],
        "schema-examples-are-annotations",
    ),
    # JSON Schema 2020-12 keywords: one family each, both directions
    value(
        "request",
        _ARRAY,
        {**_ARRAY, "prefixItems": [{"type": "string"}]},
        [(B, "request-prefix-items-tightened")],
        "request-prefix-items-added",
    ),
    value(
        "request",
        {**_ARRAY, "prefixItems": [{"type": "string"}]},
        _ARRAY,
        [(I, "request-prefix-items-loosened")],
        "request-prefix-items-removed",
    ),
    value(
        "response",
        {**_ARRAY, "prefixItems": [{"type": "string"}]},
        _ARRAY,
        [(B, "response-prefix-items-loosened")],
        "response-prefix-items-removed",
    ),
    value(
        "response",
        _ARRAY,
        {**_ARRAY, "prefixItems": [{"type": "string"}]},
        [(I, "response-prefix-items-tightened")],
        "response-prefix-items-added",
    ),
    value(
        "request",
        {**_ARRAY, "prefixItems": [{"type": "string"}]},
        {**_ARRAY, "prefixItems": [{"type": "string", "maxLength": 3}]},
        [(B, "request-max-length-tightened")],
        "request-prefix-items-entry-compared-inside",
    ),
    value(
        "request",
        _OBJECT,
        {**_OBJECT, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        [(B, "request-if-then-else-tightened")],
        "request-then-added",
    ),
    value(
        "request",
        {**_OBJECT, "if": {"required": ["a"]}, "else": {"required": ["b"]}},
        _OBJECT,
        [(I, "request-if-then-else-loosened")],
        "request-else-removed",
    ),
    value(
        "response",
        {**_OBJECT, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        _OBJECT,
        [(B, "response-if-then-else-loosened")],
        "response-then-removed",
    ),
    value(
        "response",
        _OBJECT,
        {**_OBJECT, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        [(I, "response-if-then-else-tightened")],
        "response-then-added",
    ),
    value(
        "request",
        {**_OBJECT, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        {**_OBJECT, "if": {"required": ["c"]}, "then": {"required": ["b"]}},
        [(W, "request-if-then-else-changed")],
        "request-if-changed",
    ),
    value(
        "response",
        {**_OBJECT, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        {**_OBJECT, "if": {"required": ["c"]}, "then": {"required": ["b"]}},
        [(W, "response-if-then-else-changed")],
        "response-if-changed",
    ),
    value(
        "request",
        {**_ARRAY, "contains": {"type": "string"}},
        {**_ARRAY, "contains": {"type": "string"}, "minContains": 2},
        [(B, "request-contains-tightened")],
        "request-min-contains-raised",
    ),
    value(
        "request",
        {**_ARRAY, "contains": {"type": "string"}, "maxContains": 2},
        {**_ARRAY, "contains": {"type": "string"}},
        [(I, "request-contains-loosened")],
        "request-max-contains-removed",
    ),
    value(
        "response",
        {**_ARRAY, "contains": {"type": "string"}},
        _ARRAY,
        [(B, "response-contains-loosened")],
        "response-contains-removed",
    ),
    value(
        "response",
        _ARRAY,
        {**_ARRAY, "contains": {"type": "string"}},
        [(I, "response-contains-tightened")],
        "response-contains-added",
    ),
    value(
        "request",
        _OBJECT,
        {**_OBJECT, "dependentRequired": {"card": ["billing"]}},
        [(B, "request-dependent-required-tightened")],
        "request-dependent-required-added",
    ),
    value(
        "request",
        {**_OBJECT, "dependentRequired": {"card": ["billing"]}},
        _OBJECT,
        [(I, "request-dependent-required-loosened")],
        "request-dependent-required-removed",
    ),
    value(
        "response",
        {**_OBJECT, "dependentRequired": {"card": ["billing"]}},
        {**_OBJECT, "dependentRequired": {"card": []}},
        [(B, "response-dependent-required-loosened")],
        "response-dependent-required-emptied",
    ),
    value(
        "response",
        _OBJECT,
        {**_OBJECT, "dependentRequired": {"card": ["billing"]}},
        [(I, "response-dependent-required-tightened")],
        "response-dependent-required-added",
    ),
    value(
        "request",
        _OBJECT,
        {**_OBJECT, "dependentSchemas": {"card": {"required": ["billing"]}}},
        [(B, "request-dependent-schemas-tightened")],
        "request-dependent-schemas-added",
    ),
    value(
        "request",
        {**_OBJECT, "dependentSchemas": {"card": {"required": ["billing"]}}},
        _OBJECT,
        [(I, "request-dependent-schemas-loosened")],
        "request-dependent-schemas-removed",
    ),
    value(
        "response",
        {**_OBJECT, "dependentSchemas": {"card": {"required": ["billing"]}}},
        _OBJECT,
        [(B, "response-dependent-schemas-loosened")],
        "response-dependent-schemas-removed",
    ),
    value(
        "response",
        _OBJECT,
        {**_OBJECT, "dependentSchemas": {"card": {"required": ["billing"]}}},
        [(I, "response-dependent-schemas-tightened")],
        "response-dependent-schemas-added",
    ),
    value(
        "request",
        _OBJECT,
        {**_OBJECT, "patternProperties": {"^x-": {"type": "string"}}},
        [(B, "request-pattern-properties-tightened")],
        "request-pattern-properties-added",
    ),
    value(
        "request",
        {**_OBJECT, "patternProperties": {"^x-": {"type": "string"}}},
        _OBJECT,
        [(I, "request-pattern-properties-loosened")],
        "request-pattern-properties-removed",
    ),
    value(
        "response",
        {**_OBJECT, "patternProperties": {"^x-": {"type": "string"}}},
        _OBJECT,
        [(B, "response-pattern-properties-loosened")],
        "response-pattern-properties-removed",
    ),
    value(
        "response",
        _OBJECT,
        {**_OBJECT, "patternProperties": {"^x-": {"type": "string"}}},
        [(I, "response-pattern-properties-tightened")],
        "response-pattern-properties-added",
    ),
    value(
        "request",
        {**_OBJECT, "patternProperties": {"^x-": {"type": "string"}}},
        {**_OBJECT, "patternProperties": {"^x-": {"type": "string", "maxLength": 3}}},
        [(B, "request-max-length-tightened")],
        "request-pattern-property-compared-inside",
    ),
    value(
        "request",
        _OBJECT,
        {**_OBJECT, "propertyNames": {"pattern": "^[a-z]+$"}},
        [(B, "request-property-names-tightened")],
        "request-property-names-added",
    ),
    value(
        "request",
        {**_OBJECT, "propertyNames": {"pattern": "^[a-z]+$"}},
        _OBJECT,
        [(I, "request-property-names-loosened")],
        "request-property-names-removed",
    ),
    value(
        "response",
        {**_OBJECT, "propertyNames": {"pattern": "^[a-z]+$"}},
        _OBJECT,
        [(B, "response-property-names-loosened")],
        "response-property-names-removed",
    ),
    value(
        "response",
        _OBJECT,
        {**_OBJECT, "propertyNames": {"pattern": "^[a-z]+$"}},
        [(I, "response-property-names-tightened")],
        "response-property-names-added",
    ),
    value(
        "request",
        _OBJECT,
        {**_OBJECT, "unevaluatedProperties": False},
        [(B, "request-unevaluated-tightened")],
        "request-unevaluated-properties-closed",
    ),
    value(
        "request",
        {**_ARRAY, "unevaluatedItems": False},
        _ARRAY,
        [(I, "request-unevaluated-loosened")],
        "request-unevaluated-items-opened",
    ),
    value(
        "response",
        {**_OBJECT, "unevaluatedProperties": False},
        {**_OBJECT, "unevaluatedProperties": {"type": "string"}},
        [(B, "response-unevaluated-loosened")],
        "response-unevaluated-properties-opened",
    ),
    value(
        "response",
        _OBJECT,
        {**_OBJECT, "unevaluatedProperties": False},
        [(I, "response-unevaluated-tightened")],
        "response-unevaluated-properties-closed",
    ),
    value(
        "request",
        {"type": "string"},
        {"type": "string", "contentMediaType": "application/json"},
        [(B, "request-content-schema-tightened")],
        "request-content-media-type-added",
    ),
    value(
        "request",
        {"type": "string", "contentEncoding": "base64"},
        {"type": "string"},
        [(I, "request-content-schema-loosened")],
        "request-content-encoding-removed",
    ),
    value(
        "response",
        {"type": "string", "contentMediaType": "application/json", "contentSchema": _OBJECT},
        {"type": "string", "contentMediaType": "application/json"},
        [(B, "response-content-schema-loosened")],
        "response-content-schema-removed",
    ),
    value(
        "response",
        {"type": "string"},
        {"type": "string", "contentEncoding": "base64"},
        [(I, "response-content-schema-tightened")],
        "response-content-encoding-added",
    ),
    value(
        "request",
        {"type": "string", "contentEncoding": "base64"},
        {"type": "string", "contentEncoding": "base32"},
        [(B, "request-content-encoding-changed")],
        "request-content-encoding-changed",
    ),
    value(
        "response",
        {"type": "string", "contentMediaType": "image/png"},
        {"type": "string", "contentMediaType": "image/webp"},
        [(B, "response-content-encoding-changed")],
        "response-content-media-type-changed",
    ),
    # 3.0 callbacks: the API calls the client's server, so directions are reversed
    Case(
        "callback-body-required-property-removed",
        lambda d: callback(d)["requestBody"]["content"]["application/json"]["schema"].pop(
            "required"
        ),
        [(B, "response-property-became-optional")],
        old=_with_callback,
    ),
    Case(
        "callback-body-required-property-added",
        lambda d: callback(d)["requestBody"]["content"]["application/json"]["schema"].update(
            required=["id", "at"], properties={"id": {"type": "string"}, "at": {"type": "string"}}
        ),
        [(I, "response-property-added")],
        old=_with_callback,
    ),
    Case(
        "callback-removed",
        lambda d: op(d).pop("callbacks"),
        [(W, "webhook-removed")],
        old=_with_callback,
    ),
]


def _hook_param(doc: Doc) -> Doc:
    result: Doc = hook(doc)["parameters"][0]
    return result


def _hook_media(doc: Doc) -> Doc:
    result: Doc = hook(doc)["requestBody"]["content"]
    return result


# 3.1 cases over WEBHOOK_BASE
WEBHOOK_CASES: list[Case] = [
    Case(
        "webhook-body-required-property-added-is-fine",
        lambda d: hook_body(d).update(
            required=["id", "at"],
            properties={**hook_body(d)["properties"], "at": {"type": "string"}},
        ),
        [(I, "response-property-added")],
    ),
    Case(
        "webhook-body-required-property-removed",
        lambda d: hook_body(d).pop("required"),
        [(B, "response-property-became-optional")],
    ),
    Case(
        "webhook-body-enum-value-added",
        lambda d: hook_body(d)["properties"]["status"]["enum"].append("cancelled"),
        [(B, "response-enum-value-added")],
    ),
    Case(
        "webhook-body-enum-value-removed-is-fine",
        lambda d: hook_body(d)["properties"]["status"]["enum"].remove("failed"),
        [(I, "response-enum-value-removed")],
    ),
    Case(
        "webhook-answer-required-property-added",
        lambda d: hook_answer(d).__setitem__("required", ["accepted"]),
        [(B, "request-property-became-required")],
    ),
    Case(
        "webhook-answer-media-type-removed",
        lambda d: hook(d)["responses"]["200"]["content"].pop("application/json"),
        [(B, "request-media-type-removed")],
    ),
    Case(
        "webhook-success-status-removed",
        lambda d: hook(d)["responses"].__setitem__("204", hook(d)["responses"].pop("200")),
        [(B, "webhook-success-status-removed"), (I, "webhook-status-added")],
    ),
    Case("webhook-removed", lambda d: d.pop("webhooks"), [(W, "webhook-removed")]),
    Case(
        "webhook-added",
        lambda d: d["webhooks"].__setitem__(
            "runStarted", copy.deepcopy(d["webhooks"]["runFinished"])
        ),
        [(I, "webhook-added")],
    ),
    Case(
        "webhook-required-parameter-removed",
        lambda d: hook(d).pop("parameters"),
        [(B, "webhook-required-parameter-removed")],
    ),
    Case(
        "webhook-optional-parameter-removed",
        lambda d: hook(d).pop("parameters"),
        [(W, "webhook-optional-parameter-removed")],
        old=lambda d: _hook_param(d).__setitem__("required", False),
    ),
    Case(
        "webhook-parameter-became-optional",
        lambda d: _hook_param(d).__setitem__("required", False),
        [(B, "webhook-parameter-became-optional")],
    ),
    Case(
        "webhook-parameter-added",
        lambda d: hook(d)["parameters"].append(
            {"name": "X-Attempt", "in": "header", "schema": {"type": "integer"}}
        ),
        [(I, "webhook-parameter-added")],
    ),
    Case(
        "webhook-body-removed", lambda d: hook(d).pop("requestBody"), [(B, "webhook-body-removed")]
    ),
    Case(
        "webhook-body-became-optional",
        lambda d: hook(d)["requestBody"].__setitem__("required", False),
        [(B, "webhook-body-became-optional")],
    ),
    Case(
        "webhook-body-became-required",
        lambda d: hook(d)["requestBody"].__setitem__("required", True),
        [(I, "webhook-body-became-required")],
        old=lambda d: hook(d)["requestBody"].__setitem__("required", False),
    ),
    Case(
        "webhook-body-added",
        lambda d: hook(d).__setitem__("requestBody", {"content": {"text/plain": {}}}),
        [(I, "webhook-body-added")],
        old=lambda d: hook(d).pop("requestBody"),
    ),
    Case(
        "webhook-media-type-added",
        lambda d: _hook_media(d).__setitem__("application/xml", {}),
        [(B, "webhook-media-type-added")],
    ),
    Case(
        "webhook-media-type-removed",
        lambda d: _hook_media(d).pop("application/xml"),
        [(I, "webhook-media-type-removed")],
        old=lambda d: _hook_media(d).__setitem__("application/xml", {}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_openapi_30_case(case: Case) -> None:
    found = sorted((c.level, c.rule) for c in diff_documents(*on(BASE, case)))
    assert found == sorted(case.expected)


@pytest.mark.parametrize("case", WEBHOOK_CASES, ids=[c.id for c in WEBHOOK_CASES])
def test_webhook_case(case: Case) -> None:
    found = sorted((c.level, c.rule) for c in diff_documents(*on(WEBHOOK_BASE, case)))
    assert found == sorted(case.expected)


def test_levels_come_from_the_registry() -> None:
    for case in [*CASES, *WEBHOOK_CASES]:
        for level, rule in case.expected:
            assert RULES[rule].level == level, rule


def test_callback_change_location() -> None:
    case = next(c for c in CASES if c.id == "callback-body-required-property-removed")
    (change,) = diff_documents(*on(BASE, case))
    assert change.location == (
        "paths./items/{itemId}.post.callbacks.onDone.{$request.body#/url}.post.requestBody"
        ".content.application/json.schema.properties.id"
    )


def test_refining_all_of_part_location() -> None:
    case = next(c for c in CASES if c.id == "all-of-refinement-of-a-declared-request-property")
    changes: list[Change] = diff_documents(*on(BASE, case))
    assert {c.location.rsplit(".", 2)[-2] for c in changes} == {"name"}


# -- through the real command line, one case (at least) per area ---------------------------

CLI_CASES = {
    "operations": (BASE, Case("path", lambda d: d["paths"].pop("/health"), [])),
    "parameters": (BASE, next(c for c in CASES if c.id.startswith("request-parameter-ext"))),
    "bodies": (BASE, next(c for c in CASES if c.id == "request-media-type-schema-added")),
    "responses": (BASE, next(c for c in CASES if c.id == "response-header-became-optional")),
    "schemas": (
        BASE,
        next(c for c in CASES if c.id.startswith("all-of-refinement-of-a-declared-r")),
    ),
    "applicators": (BASE, next(c for c in CASES if c.id == "request-dependent-required-added")),
    "read-only": (BASE, next(c for c in CASES if c.id.startswith("read-only"))),
    "callbacks": (BASE, next(c for c in CASES if c.id == "callback-body-required-property-added")),
    "webhooks-breaking": (WEBHOOK_BASE, WEBHOOK_CASES[1]),
    "webhooks-fine": (WEBHOOK_BASE, WEBHOOK_CASES[0]),
}


@pytest.mark.parametrize("area", sorted(CLI_CASES))
def test_cli_exit_code_and_rules(area: str, tmp_path: Path) -> None:
    base, case = CLI_CASES[area]
    old, new = on(base, case)
    expected = sorted(diff_documents(old, new), key=lambda c: (c.rule, c.location))
    old_file, new_file = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_file.write_text(yaml.safe_dump(old, sort_keys=False))
    new_file.write_text(yaml.safe_dump(new, sort_keys=False))
    done = run("diff", str(old_file), str(new_file), "--format", "json")
    assert "Traceback" not in done.stderr
    reported = json.loads(done.stdout)["changes"]
    assert sorted((c["rule"], c["location"]) for c in reported) == [
        (c.rule, c.location) for c in expected
    ]
    assert done.returncode == (1 if any(c.level == "breaking" for c in expected) else 0)
    assert done.returncode == (0 if area in _SAFE_FOR_OLD_CLIENTS else 1)


_SAFE_FOR_OLD_CLIENTS = {"read-only", "callbacks", "webhooks-fine"}


# -- $refs inside extensions -----------------------------------------------------------------


def test_ref_to_markdown_inside_an_extension_is_not_resolved(tmp_path: Path) -> None:
    (tmp_path / "intro.md").write_text("# Runs\n\nHow runs work.\n")
    doc = copy.deepcopy(BASE)
    doc["info"]["x-doc"] = {"$ref": "./intro.md"}
    op(doc)["x-doc"] = {"$ref": "./intro.md"}
    body(doc)["x-notes"] = [{"$ref": "#/info"}]
    changed = copy.deepcopy(doc)
    ok_schema(changed)["required"].remove("status")
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(doc, sort_keys=False))
    new.write_text(yaml.safe_dump(changed, sort_keys=False))

    assert [c.rule for c in diff_files(old, new)] == ["response-property-became-optional"]
    same = run("diff", str(old), str(old))
    assert (same.returncode, same.stderr) == (0, "")
    found = run("diff", str(old), str(new))
    assert found.returncode == 1, found.stderr
    assert "breaking response-property-became-optional" in found.stdout


def test_extensible_enum_survives_the_extension_filter(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "request-property-extensible-enum-value-removed")
    old, new = on(BASE, case)
    files = []
    for name, doc in (("old", old), ("new", new)):
        doc["info"]["x-doc"] = {"$ref": "./missing.md"}  # would fail if it were resolved
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump(doc, sort_keys=False))
    assert [c.rule for c in diff_files(*files)] == ["request-extensible-enum-value-removed"]


def test_a_schema_kept_in_an_extension_and_referred_to_is_still_compared(tmp_path: Path) -> None:
    files = []
    for name, note_type in (("old", "string"), ("new", "integer")):
        doc = copy.deepcopy(BASE)
        doc["x-shared"] = {"Note": {"type": note_type}, "about": {"$ref": "./nowhere.md"}}
        ok_schema(doc)["properties"]["note"] = {"$ref": "#/x-shared/Note"}
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump(doc, sort_keys=False))
    changes = diff_files(*files)
    assert [(c.rule, c.location.rsplit(".", 2)[-2]) for c in changes] == [
        ("response-type-changed", "note")
    ]


def test_malformed_2020_12_keywords_do_not_crash_the_diff() -> None:
    # diff does not validate (lint does): a malformed keyword is skipped, never a traceback
    odd = {
        "dependentRequired": {"a": "b", "c": [{"x": 1}]},
        "maxContains": "3",
        "contains": True,
        "prefixItems": "first",
        "patternProperties": ["^x"],
        "dependentSchemas": {"a": 3},
        "propertyNames": 7,
        "unevaluatedProperties": "no",
    }
    case = value("request", {"type": "object"}, odd, [], "odd")
    changes = diff_documents(*on(BASE, case))
    assert all(c.rule in RULES for c in changes)
    reverse = value("response", odd, {**odd, "maxContains": 2, "dependentRequired": {}}, [], "o")
    assert all(c.rule in RULES for c in diff_documents(*on(BASE, reverse)))
