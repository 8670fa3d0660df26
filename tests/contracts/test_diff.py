"""`contracts.diff`: every rule, each with a breaking case and a look-alike safe case.

A case is a base spec and a mutation of it (sometimes of both sides); each asserts the
exact list of (level, rule) the diff reports, so a change that is misclassified, missed or
reported twice fails.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import load_contract
from contracts.diff import RULES, Change, diff_documents, diff_files, normalise_path
from tests.conftest import SPECS

BASE = yaml.safe_load(
    """
openapi: 3.0.3
info: {title: base, version: '1'}
security:
  - bearer: []
  - oauth: [runs:write]
paths:
  /items/{itemId}:
    parameters:
      - {name: itemId, in: path, required: true, schema: {type: string}}
    post:
      operationId: runItem
      parameters:
        - {name: verbose, in: query, schema: {type: boolean}}
        - {name: X-Trace, in: header, schema: {type: string}}
        - {name: mode, in: query, required: true, schema: {type: string, enum: [fast, slow]}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, maxLength: 50}
                note: {type: string}
                retries: {type: integer, minimum: 0, maximum: 5, default: 1}
      responses:
        '200':
          description: ok
          headers:
            X-Rate-Limit: {required: true, schema: {type: integer}}
            X-Request-Id: {schema: {type: string}}
          content:
            application/json:
              schema:
                type: object
                required: [id, status]
                properties:
                  id: {type: string, format: uuid}
                  status: {type: string, enum: [queued, done]}
                  note: {type: string}
                  steps:
                    type: array
                    items:
                      type: object
                      required: [name]
                      properties:
                        name: {type: string}
        '404':
          description: missing
          content:
            application/json:
              schema:
                type: object
                properties: {error: {type: string}}
  /health:
    get:
      security: []
      responses:
        '200': {description: ok}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.example.com/token
          scopes: {runs:write: run, runs:admin: admin}
"""
)

Doc = dict[str, Any]
Mutation = Callable[[Doc], None]


def op(doc: Doc) -> Doc:
    result: Doc = doc["paths"]["/items/{itemId}"]["post"]
    return result


def params(doc: Doc) -> list[Doc]:
    result: list[Doc] = op(doc)["parameters"]
    return result


def param(doc: Doc, name: str) -> Doc:
    return next(p for p in params(doc) if p["name"] == name)


def body(doc: Doc) -> Doc:
    result: Doc = op(doc)["requestBody"]["content"]["application/json"]["schema"]
    return result


def ok(doc: Doc) -> Doc:
    result: Doc = op(doc)["responses"]["200"]
    return result


def ok_schema(doc: Doc) -> Doc:
    result: Doc = ok(doc)["content"]["application/json"]["schema"]
    return result


@dataclass(frozen=True)
class Case:
    id: str
    new: Mutation
    expected: list[tuple[str, str]]
    old: Mutation | None = None


def run_case(case: Case) -> list[Change]:
    old, new = copy.deepcopy(BASE), copy.deepcopy(BASE)
    if case.old:
        case.old(old)
        case.old(new)  # `old` sets the scene on both sides; `new` is the change under test
    case.new(new)
    return diff_documents(old, new)


def value(direction: str, old: Doc, new: Doc, expected: list[tuple[str, str]], id: str) -> Case:
    """A case about one value `v` of the request body or of the 200 response body."""
    where = body if direction == "request" else ok_schema

    def setup(doc: Doc) -> None:
        where(doc)["properties"]["v"] = copy.deepcopy(old)

    def change(doc: Doc) -> None:
        where(doc)["properties"]["v"] = copy.deepcopy(new)

    return Case(id, change, expected, old=setup)


B, W, I = "breaking", "warning", "info"  # noqa: E741

CASES: list[Case] = [
    # paths and operations
    Case("path-removed", lambda d: d["paths"].pop("/health"), [(B, "path-removed")]),
    Case(
        "path-added",
        lambda d: d["paths"].__setitem__(
            "/v2", {"get": {"responses": {"200": {"description": "x"}}}}
        ),
        [(I, "path-added")],
    ),
    Case(
        "operation-removed",
        lambda d: d["paths"]["/health"].pop("head"),
        [(B, "operation-removed")],
        old=lambda d: d["paths"]["/health"].__setitem__(
            "head", {"responses": {"200": {"description": "x"}}}
        ),
    ),
    Case(
        "operation-added",
        lambda d: d["paths"]["/health"].__setitem__(
            "head", {"responses": {"200": {"description": "x"}}}
        ),
        [(I, "operation-added")],
    ),
    Case(
        "path-parameter-renamed-still-matches",
        lambda d: _rename_path_param(d, "item_id"),
        [(I, "path-parameter-renamed")],
    ),
    Case(
        "operation-deprecated",
        lambda d: op(d).__setitem__("deprecated", True),
        [(I, "operation-deprecated")],
    ),
    Case(
        "operation-undeprecated",
        lambda d: op(d).pop("deprecated"),
        [(I, "operation-undeprecated")],
        old=lambda d: op(d).__setitem__("deprecated", True),
    ),
    Case(
        "operation-id-changed",
        lambda d: op(d).__setitem__("operationId", "startItem"),
        [(W, "operation-id-changed")],
    ),
    Case(
        "summary-only-change-is-silent",
        lambda d: op(d).__setitem__("summary", "Runs an item, now documented"),
        [],
    ),
    # parameters
    Case(
        "required-query-parameter-added",
        lambda d: params(d).append(
            {"name": "team", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        [(B, "request-parameter-added-required")],
    ),
    Case(
        "optional-query-parameter-added",
        lambda d: params(d).append({"name": "team", "in": "query", "schema": {"type": "string"}}),
        [(I, "request-parameter-added")],
    ),
    Case(
        "required-header-added",
        lambda d: params(d).append(
            {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}}
        ),
        [(B, "request-parameter-added-required")],
    ),
    Case(
        "optional-header-added",
        lambda d: params(d).append(
            {"name": "X-Tenant", "in": "header", "schema": {"type": "string"}}
        ),
        [(I, "request-parameter-added")],
    ),
    Case(
        "header-name-case-is-not-a-change",
        lambda d: param(d, "X-Trace").__setitem__("name", "x-trace"),
        [],
    ),
    Case(
        "parameter-became-required",
        lambda d: param(d, "verbose").__setitem__("required", True),
        [(B, "request-parameter-became-required")],
    ),
    Case(
        "parameter-became-optional",
        lambda d: param(d, "mode").__setitem__("required", False),
        [(I, "request-parameter-became-optional")],
    ),
    Case(
        "parameter-removed",
        lambda d: params(d).remove(param(d, "verbose")),
        [(W, "request-parameter-removed")],
    ),
    Case(
        "parameter-deprecated",
        lambda d: param(d, "verbose").__setitem__("deprecated", True),
        [(I, "request-parameter-deprecated")],
    ),
    Case(
        "parameter-style-changed",
        lambda d: param(d, "verbose").__setitem__("style", "deepObject"),
        [(B, "request-parameter-serialization-changed")],
    ),
    Case(
        "parameter-default-style-spelled-out",
        lambda d: param(d, "verbose").update(style="form", explode=True),
        [],
    ),
    Case(
        "parameter-enum-value-removed",
        lambda d: param(d, "mode")["schema"]["enum"].remove("slow"),
        [(B, "request-enum-value-removed")],
    ),
    Case(
        "parameter-enum-value-added",
        lambda d: param(d, "mode")["schema"]["enum"].append("eco"),
        [(I, "request-enum-value-added")],
    ),
    Case(
        "path-level-parameter-moved-to-operation",
        lambda d: _move_path_params(d),
        [],
    ),
    # request body
    Case(
        "request-body-became-optional",
        lambda d: op(d)["requestBody"].__setitem__("required", False),
        [(I, "request-body-became-optional")],
    ),
    Case(
        "request-body-became-required",
        lambda d: op(d)["requestBody"].__setitem__("required", True),
        [(B, "request-body-became-required")],
        old=lambda d: op(d)["requestBody"].__setitem__("required", False),
    ),
    Case(
        "request-body-added-required",
        lambda d: d["paths"]["/health"]["get"].__setitem__(
            "requestBody", {"required": True, "content": {"application/json": {"schema": {}}}}
        ),
        [(B, "request-body-added-required")],
    ),
    Case(
        "request-body-added-optional",
        lambda d: d["paths"]["/health"]["get"].__setitem__(
            "requestBody", {"content": {"application/json": {"schema": {}}}}
        ),
        [(I, "request-body-added")],
    ),
    Case("request-body-removed", lambda d: op(d).pop("requestBody"), [(W, "request-body-removed")]),
    Case(
        "request-media-type-removed",
        lambda d: op(d)["requestBody"]["content"].pop("application/x-www-form-urlencoded"),
        [(B, "request-media-type-removed")],
        old=lambda d: op(d)["requestBody"]["content"].__setitem__(
            "application/x-www-form-urlencoded", {"schema": {"type": "object"}}
        ),
    ),
    Case(
        "request-media-type-added",
        lambda d: op(d)["requestBody"]["content"].__setitem__(
            "application/x-www-form-urlencoded", {"schema": {"type": "object"}}
        ),
        [(I, "request-media-type-added")],
    ),
    Case(
        "required-body-property-added",
        lambda d: (
            body(d)["properties"].__setitem__("team", {"type": "string"}),
            body(d)["required"].append("team"),
        ),
        [(B, "request-required-property-added")],
    ),
    Case(
        "optional-body-property-added",
        lambda d: body(d)["properties"].__setitem__("team", {"type": "string"}),
        [(I, "request-property-added")],
    ),
    Case(
        "required-read-only-property-added-is-response-only",
        lambda d: (
            body(d)["properties"].__setitem__("id", {"type": "string", "readOnly": True}),
            body(d)["required"].append("id"),
        ),
        [],
    ),
    Case(
        "body-property-became-required",
        lambda d: body(d)["required"].append("note"),
        [(B, "request-property-became-required")],
    ),
    Case(
        "body-property-became-optional",
        lambda d: body(d).__setitem__("required", []),
        [(I, "request-property-became-optional")],
    ),
    Case(
        "body-property-removed-open-object",
        lambda d: body(d)["properties"].pop("note"),
        [(W, "request-property-removed")],
    ),
    Case(
        "body-property-removed-closed-object",
        lambda d: body(d)["properties"].pop("note"),
        [(B, "request-closed-property-removed")],
        old=lambda d: body(d).__setitem__("additionalProperties", False),
    ),
    Case(
        "body-closed",
        lambda d: body(d).__setitem__("additionalProperties", False),
        [(B, "request-additional-properties-closed")],
    ),
    Case(
        "body-opened",
        lambda d: body(d).pop("additionalProperties"),
        [(I, "request-additional-properties-opened")],
        old=lambda d: body(d).__setitem__("additionalProperties", False),
    ),
    Case(
        "request-default-changed",
        lambda d: body(d)["properties"]["retries"].__setitem__("default", 3),
        [(W, "request-default-changed")],
    ),
    Case(
        "request-default-removed",
        lambda d: body(d)["properties"]["retries"].pop("default"),
        [(W, "request-default-changed")],
    ),
    Case(
        "request-default-added",
        lambda d: body(d)["properties"]["note"].__setitem__("default", ""),
        [(I, "request-default-added")],
    ),
    Case(
        "request-property-deprecated",
        lambda d: body(d)["properties"]["note"].__setitem__("deprecated", True),
        [(I, "request-property-deprecated")],
    ),
    Case(
        "request-schema-split-into-all-of",
        lambda d: op(d)["requestBody"]["content"]["application/json"].__setitem__(
            "schema",
            {
                "allOf": [
                    {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": body(d)["properties"]["name"]},
                    },
                    {"properties": {k: v for k, v in body(d)["properties"].items() if k != "name"}},
                ]
            },
        ),
        [],
    ),
    # responses
    Case(
        "success-status-removed",
        lambda d: op(d)["responses"].pop("200"),
        [(B, "response-success-status-removed")],
    ),
    Case(
        "error-status-removed",
        lambda d: op(d)["responses"].pop("404"),
        [(W, "response-status-removed")],
    ),
    Case(
        "success-status-changed",
        lambda d: op(d)["responses"].__setitem__("201", op(d)["responses"].pop("200")),
        [(B, "response-success-status-removed"), (W, "response-success-status-added")],
    ),
    Case(
        "error-status-added",
        lambda d: op(d)["responses"].__setitem__("409", {"description": "conflict"}),
        [(I, "response-status-added")],
    ),
    Case(
        "response-media-type-removed",
        lambda d: ok(d)["content"].pop("application/xml"),
        [(B, "response-media-type-removed")],
        old=lambda d: ok(d)["content"].__setitem__(
            "application/xml", {"schema": {"type": "object"}}
        ),
    ),
    Case(
        "response-media-type-added",
        lambda d: ok(d)["content"].__setitem__("application/xml", {"schema": {"type": "object"}}),
        [(I, "response-media-type-added")],
    ),
    Case(
        "media-type-parameters-ignored",
        lambda d: ok(d)["content"].__setitem__(
            "application/json; charset=utf-8", ok(d)["content"].pop("application/json")
        ),
        [],
    ),
    Case(
        "required-response-header-removed",
        lambda d: ok(d)["headers"].pop("X-Rate-Limit"),
        [(B, "response-required-header-removed")],
    ),
    Case(
        "optional-response-header-removed",
        lambda d: ok(d)["headers"].pop("X-Request-Id"),
        [(W, "response-optional-header-removed")],
    ),
    Case(
        "response-header-added",
        lambda d: ok(d)["headers"].__setitem__("X-Cost", {"schema": {"type": "integer"}}),
        [(I, "response-header-added")],
    ),
    Case(
        "response-header-type-changed",
        lambda d: ok(d)["headers"]["X-Rate-Limit"].__setitem__("schema", {"type": "string"}),
        [(B, "response-type-changed")],
    ),
    Case(
        "required-response-property-removed",
        lambda d: (
            ok_schema(d)["properties"].pop("status"),
            ok_schema(d)["required"].remove("status"),
        ),
        [(B, "response-required-property-removed")],
    ),
    Case(
        "optional-response-property-removed",
        lambda d: ok_schema(d)["properties"].pop("note"),
        [(W, "response-optional-property-removed")],
    ),
    Case(
        "response-property-became-optional",
        lambda d: ok_schema(d)["required"].remove("status"),
        [(B, "response-property-became-optional")],
    ),
    Case(
        "response-property-became-required",
        lambda d: ok_schema(d)["required"].append("note"),
        [(I, "response-property-became-required")],
    ),
    Case(
        "response-property-added",
        lambda d: ok_schema(d)["properties"].__setitem__("cost", {"type": "number"}),
        [(I, "response-property-added")],
    ),
    Case(
        "nested-item-property-became-optional",
        lambda d: ok_schema(d)["properties"]["steps"]["items"].__setitem__("required", []),
        [(B, "response-property-became-optional")],
    ),
    Case(
        "response-property-deprecated",
        lambda d: ok_schema(d)["properties"]["note"].__setitem__("deprecated", True),
        [(I, "response-property-deprecated")],
    ),
    Case(
        "response-opened",
        lambda d: ok_schema(d).pop("additionalProperties"),
        [(W, "response-additional-properties-opened")],
        old=lambda d: ok_schema(d).__setitem__("additionalProperties", False),
    ),
    Case(
        "response-closed",
        lambda d: ok_schema(d).__setitem__("additionalProperties", False),
        [(I, "response-additional-properties-closed")],
    ),
    Case(
        "response-default-changed",
        lambda d: ok_schema(d)["properties"]["note"].__setitem__("default", "b"),
        [(W, "response-default-changed")],
        old=lambda d: ok_schema(d)["properties"]["note"].__setitem__("default", "a"),
    ),
    # security
    Case(
        "security-added-to-open-operation",
        lambda d: d["paths"]["/health"]["get"].__setitem__("security", [{"bearer": []}]),
        [(B, "security-added")],
    ),
    Case(
        "security-removed",
        lambda d: op(d).__setitem__("security", []),
        [(I, "security-removed")],
    ),
    Case(
        "security-scope-added",
        lambda d: d["security"][1]["oauth"].append("runs:admin"),
        [(B, "security-scope-added")],
    ),
    Case(
        "security-scope-removed",
        lambda d: d["security"][1]["oauth"].clear(),
        [(I, "security-scope-removed")],
    ),
    Case(
        "security-requirement-added",
        lambda d: d.__setitem__("security", [{"bearer": [], "oauth": ["runs:write"]}]),
        [(B, "security-requirement-added"), (B, "security-requirement-added")],
    ),
    Case(
        "security-alternative-added",
        lambda d: d["security"].append({"apiKey": []}),
        [(I, "security-alternative-added")],
    ),
    Case(
        "security-alternative-removed",
        lambda d: d["security"].pop(1),
        [(B, "security-requirement-added")],
    ),
    Case(
        "security-scheme-moved",
        lambda d: d["components"]["securitySchemes"].__setitem__(
            "bearer", {"type": "apiKey", "in": "header", "name": "X-Key"}
        ),
        [
            (B, "security-scheme-changed"),
            (B, "security-scheme-changed"),
            (B, "security-scheme-changed"),
            (B, "security-scheme-changed"),
        ],
    ),
    Case(
        "security-scheme-case-is-not-a-change",
        lambda d: d["components"]["securitySchemes"]["bearer"].__setitem__("scheme", "Bearer"),
        [],
    ),
    # values: type, format, enum, constraints, composition
    value(
        "request",
        {"type": "string"},
        {"type": "integer"},
        [(B, "request-type-changed")],
        "request-type-changed",
    ),
    value(
        "request",
        {"type": "integer"},
        {"type": "number"},
        [(I, "request-type-widened")],
        "request-type-widened",
    ),
    value(
        "response",
        {"type": "integer"},
        {"type": "number"},
        [(B, "response-type-changed")],
        "response-type-widened",
    ),
    value(
        "response",
        {"type": "number"},
        {"type": "integer"},
        [(I, "response-type-narrowed")],
        "response-type-narrowed",
    ),
    value(
        "request",
        {"type": "string", "nullable": True},
        {"type": "string"},
        [(B, "request-nullable-removed")],
        "request-nullable-removed",
    ),
    value(
        "request",
        {"type": "string"},
        {"type": "string", "nullable": True},
        [(I, "request-type-widened")],
        "request-nullable-added",
    ),
    value(
        "response",
        {"type": "string"},
        {"type": "string", "nullable": True},
        [(B, "response-nullable-added")],
        "response-nullable-added",
    ),
    value(
        "response",
        {"type": "string"},
        {"type": ["string", "null"]},
        [(B, "response-nullable-added")],
        "response-nullable-added-3.1",
    ),
    value(
        "response",
        {"type": "string", "nullable": True},
        {"type": "string"},
        [(I, "response-type-narrowed")],
        "response-nullable-removed",
    ),
    value(
        "request",
        {"type": "string"},
        {"type": "string", "format": "uuid"},
        [(B, "request-format-changed")],
        "request-format-added",
    ),
    value(
        "request",
        {"type": "string", "format": "uuid"},
        {"type": "string"},
        [(I, "request-format-removed")],
        "request-format-removed",
    ),
    value(
        "response",
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
        [(B, "response-format-changed")],
        "response-format-changed",
    ),
    value(
        "response",
        {"type": "string", "format": "date"},
        {"type": "string"},
        [(B, "response-format-changed")],
        "response-format-removed",
    ),
    value(
        "response",
        {"type": "string"},
        {"type": "string", "format": "date"},
        [(I, "response-format-added")],
        "response-format-added",
    ),
    value(
        "request",
        {"enum": ["a", "b"]},
        {"enum": ["a"]},
        [(B, "request-enum-value-removed")],
        "request-enum-value-removed",
    ),
    value(
        "request",
        {"enum": ["a"]},
        {"enum": ["a", "b"]},
        [(I, "request-enum-value-added")],
        "request-enum-value-added",
    ),
    value(
        "request",
        {"type": "string"},
        {"type": "string", "enum": ["a"]},
        [(B, "request-enum-value-removed")],
        "request-enum-introduced",
    ),
    value(
        "request",
        {"type": "string", "const": "a"},
        {"type": "string"},
        [(I, "request-enum-value-added")],
        "request-const-dropped",
    ),
    value(
        "response",
        {"enum": ["a"]},
        {"enum": ["a", "b"]},
        [(B, "response-enum-value-added")],
        "response-enum-value-added",
    ),
    value(
        "response",
        {"enum": ["a", "b"]},
        {"enum": ["a"]},
        [(I, "response-enum-value-removed")],
        "response-enum-value-removed",
    ),
    value(
        "response",
        {"type": "string", "enum": ["a"]},
        {"type": "string"},
        [(B, "response-enum-value-added")],
        "response-enum-dropped",
    ),
    value(
        "request",
        {"type": "string", "pattern": "^a"},
        {"type": "string", "pattern": "^ab"},
        [(W, "request-pattern-changed")],
        "request-pattern-changed",
    ),
    value(
        "request",
        {"type": "string"},
        {"type": "string", "pattern": "^a"},
        [(B, "request-pattern-added")],
        "request-pattern-added",
    ),
    value(
        "request",
        {"type": "string", "pattern": "^a"},
        {"type": "string"},
        [(I, "request-pattern-removed")],
        "request-pattern-removed",
    ),
    value(
        "response",
        {"type": "string", "pattern": "^a"},
        {"type": "string"},
        [(B, "response-pattern-removed")],
        "response-pattern-removed",
    ),
    value(
        "response",
        {"type": "string", "pattern": "^a"},
        {"type": "string", "pattern": "^b"},
        [(W, "response-pattern-changed")],
        "response-pattern-changed",
    ),
    value(
        "response",
        {"type": "string"},
        {"type": "string", "pattern": "^a"},
        [(I, "response-pattern-added")],
        "response-pattern-added",
    ),
    value(
        "request",
        {"type": "integer", "multipleOf": 2},
        {"type": "integer", "multipleOf": 4},
        [(B, "request-multiple-of-tightened")],
        "request-multiple-of-tightened",
    ),
    value(
        "request",
        {"type": "integer", "multipleOf": 4},
        {"type": "integer", "multipleOf": 2},
        [(I, "request-multiple-of-loosened")],
        "request-multiple-of-loosened",
    ),
    value(
        "response",
        {"type": "integer", "multipleOf": 4},
        {"type": "integer", "multipleOf": 2},
        [(B, "response-multiple-of-loosened")],
        "response-multiple-of-loosened",
    ),
    value(
        "response",
        {"type": "integer", "multipleOf": 2},
        {"type": "integer", "multipleOf": 4},
        [(I, "response-multiple-of-tightened")],
        "response-multiple-of-tightened",
    ),
    value(
        "request",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
        [(B, "request-unique-items-tightened")],
        "request-unique-items-tightened",
    ),
    value(
        "request",
        {"type": "array", "uniqueItems": True},
        {"type": "array"},
        [(I, "request-unique-items-loosened")],
        "request-unique-items-loosened",
    ),
    value(
        "response",
        {"type": "array", "uniqueItems": True},
        {"type": "array"},
        [(B, "response-unique-items-loosened")],
        "response-unique-items-loosened",
    ),
    value(
        "response",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
        [(I, "response-unique-items-tightened")],
        "response-unique-items-tightened",
    ),
    value(
        "request",
        {"type": "number", "maximum": 10},
        {"type": "number", "maximum": 10, "exclusiveMaximum": True},
        [(B, "request-maximum-tightened")],
        "request-maximum-made-exclusive",
    ),
    value(
        "request",
        {"type": "number", "maximum": 10},
        {"type": "number", "exclusiveMaximum": 10},
        [(B, "request-maximum-tightened")],
        "request-maximum-made-exclusive-3.1",
    ),
    value(
        "request",
        {"type": "number", "minimum": 0},
        {"type": "number", "exclusiveMinimum": 0},
        [(B, "request-minimum-tightened")],
        "request-minimum-made-exclusive-3.1",
    ),
    value(
        "request",
        {"type": "number", "maximum": 10, "exclusiveMaximum": True},
        {"type": "number", "exclusiveMaximum": 10},
        [],
        "exclusive-maximum-3.0-to-3.1",
    ),
    value(
        "request",
        {"type": "array", "items": {"type": "string", "maxLength": 5}},
        {"type": "array", "items": {"type": "string", "maxLength": 3}},
        [(B, "request-max-length-tightened")],
        "request-items-max-length-tightened",
    ),
    value(
        "response",
        {"type": "object", "additionalProperties": {"type": "integer"}},
        {"type": "object", "additionalProperties": {"type": "number"}},
        [(B, "response-type-changed")],
        "response-map-values-widened",
    ),
    value(
        "request",
        {"type": "object", "additionalProperties": {"type": "integer"}},
        {"type": "object", "additionalProperties": {"type": "number"}},
        [(I, "request-type-widened")],
        "request-map-values-widened",
    ),
    value(
        "response",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]},
        [(B, "response-one-of-branch-added")],
        "response-one-of-branch-added",
    ),
    value(
        "response",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}]},
        [(I, "response-one-of-branch-removed")],
        "response-one-of-branch-removed",
    ),
    value(
        "response",
        {"oneOf": [{"type": "object"}, {"type": "string"}]},
        {
            "oneOf": [
                {"type": "object"},
                {"type": "object", "required": ["b"]},
                {"type": "string"},
            ]
        },
        [(I, "response-one-of-branch-split")],
        "response-one-of-branch-split",
    ),
    value(
        "response",
        {"type": "object"},
        {"oneOf": [{"type": "object"}, {"type": "string"}]},
        [(B, "response-one-of-branch-added")],
        "response-plain-schema-became-one-of",
    ),
    value(
        "request",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}]},
        [(B, "request-one-of-branch-removed")],
        "request-one-of-branch-removed",
    ),
    value(
        "request",
        {"oneOf": [{"type": "string"}]},
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        [(I, "request-one-of-branch-added")],
        "request-one-of-branch-added",
    ),
    value(
        "request",
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        {"anyOf": [{"type": "string"}]},
        [(B, "request-any-of-branch-removed")],
        "request-any-of-branch-removed",
    ),
    value(
        "request",
        {"anyOf": [{"type": "string"}]},
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        [(I, "request-any-of-branch-added")],
        "request-any-of-branch-added",
    ),
    value(
        "response",
        {"anyOf": [{"type": "string"}]},
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        [(B, "response-any-of-branch-added")],
        "response-any-of-branch-added",
    ),
    value(
        "response",
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        {"anyOf": [{"type": "string"}]},
        [(I, "response-any-of-branch-removed")],
        "response-any-of-branch-removed",
    ),
    value(
        "response",
        {"anyOf": [{"type": "object"}]},
        {"anyOf": [{"type": "object"}, {"type": "object", "required": ["b"]}]},
        [(I, "response-any-of-branch-split")],
        "response-any-of-branch-split",
    ),
    value(
        "response",
        {
            "oneOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                {"type": "string"},
            ]
        },
        {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {"a": {"type": "string"}},
                    "description": "now documented",
                },
            ]
        },
        [(B, "response-property-became-optional")],
        "one-of-branch-changed-inside-is-compared-not-replaced",
    ),
    value(
        "response",
        {"oneOf": [{"type": "string", "description": "x"}, {"type": "integer"}]},
        {"oneOf": [{"type": "integer"}, {"type": "string", "description": "y"}]},
        [],
        "one-of-branches-reordered",
    ),
]

# Numeric and size bounds: the same four cases for every keyword.
for kw, name, low, high in [
    ("maxLength", "max-length", 5, 10),
    ("maxItems", "max-items", 5, 10),
    ("maxProperties", "max-properties", 5, 10),
    ("maximum", "maximum", 5, 10),
]:
    CASES += [
        value(
            "request",
            {kw: high},
            {kw: low},
            [(B, f"request-{name}-tightened")],
            f"request-{name}-decreased",
        ),
        value(
            "request",
            {kw: low},
            {kw: high},
            [(I, f"request-{name}-loosened")],
            f"request-{name}-increased",
        ),
        value(
            "request", {}, {kw: low}, [(B, f"request-{name}-tightened")], f"request-{name}-added"
        ),
        value(
            "response",
            {kw: low},
            {kw: high},
            [(B, f"response-{name}-loosened")],
            f"response-{name}-increased",
        ),
        value(
            "response",
            {kw: low},
            {},
            [(B, f"response-{name}-loosened")],
            f"response-{name}-removed",
        ),
        value(
            "response",
            {kw: high},
            {kw: low},
            [(I, f"response-{name}-tightened")],
            f"response-{name}-decreased",
        ),
    ]
for kw, name, low, high in [
    ("minLength", "min-length", 1, 3),
    ("minItems", "min-items", 1, 3),
    ("minProperties", "min-properties", 1, 3),
    ("minimum", "minimum", 1, 3),
]:
    CASES += [
        value(
            "request",
            {kw: low},
            {kw: high},
            [(B, f"request-{name}-tightened")],
            f"request-{name}-increased",
        ),
        value(
            "request",
            {kw: high},
            {kw: low},
            [(I, f"request-{name}-loosened")],
            f"request-{name}-decreased",
        ),
        value(
            "response",
            {kw: high},
            {kw: low},
            [(B, f"response-{name}-loosened")],
            f"response-{name}-decreased",
        ),
        value(
            "response",
            {kw: low},
            {kw: high},
            [(I, f"response-{name}-tightened")],
            f"response-{name}-increased",
        ),
    ]


def _rename_path_param(doc: Doc, new_name: str) -> None:
    item = doc["paths"].pop("/items/{itemId}")
    item["parameters"][0]["name"] = new_name
    doc["paths"][f"/items/{{{new_name}}}"] = item


def _move_path_params(doc: Doc) -> None:
    item = doc["paths"]["/items/{itemId}"]
    op(doc)["parameters"] = [*item.pop("parameters"), *op(doc)["parameters"]]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_change_is_classified_exactly(case: Case) -> None:
    found = sorted((c.level, c.rule) for c in run_case(case))
    assert found == sorted(case.expected)


def test_every_rule_has_a_breaking_or_safe_case() -> None:
    from tests.contracts.test_diff_areas import CASES as AREA_CASES
    from tests.contracts.test_diff_areas import WEBHOOK_CASES

    covered = {rule for case in [*CASES, *AREA_CASES, *WEBHOOK_CASES] for _, rule in case.expected}
    # spec-added / spec-removed need a git history: tests/contracts/test_cli.py covers them
    assert set(RULES) - covered == {"spec-added", "spec-removed"}


def test_rule_levels_come_from_the_catalogue() -> None:
    for case in CASES:
        for level, rule in case.expected:
            assert RULES[rule].level == level, rule


def test_location_and_reason_of_a_nested_change() -> None:
    case = next(c for c in CASES if c.id == "nested-item-property-became-optional")
    (change,) = run_case(case)
    assert change.location == (
        "paths./items/{itemId}.post.responses.200.content.application/json.schema"
        ".properties.steps.items.properties.name"
    )
    assert change.message == "property 'name' is no longer required"
    assert change.why == "Old clients read it unconditionally and fail when it is missing."


def test_request_body_property_location() -> None:
    case = next(c for c in CASES if c.id == "required-body-property-added")
    (change,) = run_case(case)
    assert change.location == (
        "paths./items/{itemId}.post.requestBody.content.application/json.schema.properties.team"
    )


def test_normalise_path() -> None:
    assert normalise_path("/a/{id}/b/{x}/") == "/a/{}/b/{}"
    assert normalise_path("/a/{id}/b") == normalise_path("/a/{other}/b")
    assert normalise_path("/") == "/"


def test_recursive_schema_terminates() -> None:
    node: dict[str, Any] = {"type": "object", "properties": {}}
    node["properties"]["child"] = node  # a cycle, as a resolver that keeps identity makes
    other: dict[str, Any] = {"type": "object", "properties": {}}
    other["properties"]["child"] = other
    other["properties"]["extra"] = {"type": "string"}
    old, new = copy.deepcopy(BASE), copy.deepcopy(BASE)
    ok(old)["content"]["application/json"]["schema"] = node
    ok(new)["content"]["application/json"]["schema"] = other
    changes = diff_documents(old, new)
    assert changes and all(c.rule == "response-property-added" for c in changes)


@pytest.mark.parametrize(
    "api", sorted(p.stem for p in SPECS.glob("*.yaml") if ".scenarios." not in p.name)
)
def test_spec_against_itself_reformatted_is_silent(api: str, tmp_path: Path) -> None:
    source = SPECS / f"{api}.yaml"
    data = yaml.safe_load(source.read_text())
    # flow style, sorted keys, JSON-compatible: the same document written differently
    reformatted = tmp_path / f"{api}.yaml"
    reformatted.write_text(yaml.safe_dump(data, default_flow_style=True, sort_keys=True, width=60))
    assert diff_files(source, reformatted) == []


@pytest.mark.parametrize(
    "api", sorted(p.stem for p in SPECS.glob("*.yaml") if ".scenarios." not in p.name)
)
def test_spec_against_itself_with_refs_inlined_is_silent(api: str, tmp_path: Path) -> None:
    contract = load_contract(SPECS / f"{api}.yaml", with_scenarios=False)
    inlined = tmp_path / f"{api}.json"
    inlined.write_text(json.dumps(contract.resolved, indent=1))
    assert "$ref" not in inlined.read_text()
    assert diff_files(SPECS / f"{api}.yaml", inlined) == []


def test_upstream_to_ours_finds_pharen_required_query_parameter() -> None:
    changes = diff_files(SPECS / "upstream" / "pharen.yaml", SPECS / "pharen.yaml")
    breaking = [(c.rule, c.location.rsplit(".", 2)[-2:]) for c in changes if c.level == "breaking"]
    assert breaking == [("request-parameter-added-required", ["query", "team_id"])]


def test_large_files_parse_side_by_side_with_the_same_result(tmp_path: Path) -> None:
    import sys

    import yaml

    from contracts.diff import _PARALLEL_FROM, _load, diff_documents, diff_files
    from contracts.errors import SpecError

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from gen_large_spec import build

    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(build(300, 0), sort_keys=False))
    new.write_text(yaml.safe_dump(build(300, 1), sort_keys=False))
    assert min(old.stat().st_size, new.stat().st_size) >= _PARALLEL_FROM
    assert diff_files(old, new) == diff_documents(_load(old), _load(new))

    old.write_text(old.read_text() + "  /broken: [\n")
    with pytest.raises(SpecError) as err:
        diff_files(old, new)
    assert str(err.value).startswith(f"{old}:") and "invalid YAML" in str(err.value)
