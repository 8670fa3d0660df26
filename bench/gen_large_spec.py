"""Write a large, valid OpenAPI 3.0 document for timing `contracts lint` and `contracts diff`.

    python bench/gen_large_spec.py OUT.yaml [--operations 1000] [--variant 0|1]

The document has `--operations` operations (a GET and a POST per path), shared component
schemas behind `$ref`s, path/query/header parameters, request and response examples and a
common error shape, like a real API's. `--variant 1` writes the "next version": the same
API with a realistic mix of breaking, warning and info changes spread through it, so
that `contracts diff` has work to do on every operation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

SCHEMAS = 50  # distinct resource schemas shared by the operations


def _resource(i: int, variant: int) -> dict[str, Any]:
    statuses = ["active", "paused", "archived"]
    if variant and i % 5 == 0:
        statuses.append("deleted")  # response enum value added: breaking
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["id", "name", "status", "created_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "status": {"type": "string", "enum": statuses},
            "created_at": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
            "size": {"type": "integer", "minimum": 0},
            "owner": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                },
            },
        },
        "example": {
            "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "name": f"resource {i}",
            "status": "active",
            "created_at": "2025-01-01T00:00:00Z",
            "tags": ["a"],
            "size": 3,
            "owner": {"id": "u1", "email": "owner@example.com"},
        },
    }
    if variant and i % 7 == 0:
        schema["properties"]["score"] = {"type": "number"}  # response property added: info
    return schema


def _create(i: int, variant: int) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200 if not (variant and i % 3 == 0) else 100,
            },
            "tags": {"type": "array", "items": {"type": "string"}},
            "size": {"type": "integer", "minimum": 0, "default": 1},
        },
    }
    if variant and i % 4 == 0:
        schema["properties"]["region"] = {"type": "string"}
        schema["required"] = ["name", "region"]  # required request property added: breaking
    return schema


def build(operations: int, variant: int = 0) -> dict[str, Any]:
    """The document as data."""
    paths: dict[str, Any] = {}
    for n in range(operations // 2):
        s = n % SCHEMAS
        ref = {"$ref": f"#/components/schemas/Resource{s}"}
        error = {"$ref": "#/components/responses/Error"}
        params: list[dict[str, Any]] = [
            {"$ref": "#/components/parameters/Id"},
            {"name": "expand", "in": "query", "schema": {"type": "boolean"}, "example": True},
            {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
        ]
        if variant and n % 11 == 0:
            params.append(
                {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}
            )
        get_responses: dict[str, Any] = {
            "200": {
                "description": "the resource",
                "content": {
                    "application/json": {
                        "schema": ref,
                        "examples": {
                            "found": {"summary": "found", "value": _resource(s, 0)["example"]}
                        },
                    }
                },
            },
            "401": error,
            "404": error,
        }
        if variant and n % 13 == 0:
            get_responses["200"]["content"]["application/json"]["schema"] = {
                "allOf": [ref, {"type": "object", "properties": {"etag": {"type": "string"}}}]
            }
        paths[f"/collection{n}/items/{{id}}"] = {
            "get": {
                "operationId": f"getItem{n}",
                "summary": f"Get an item of collection {n}",
                "parameters": params,
                "responses": get_responses,
            },
            "post": {
                "operationId": f"updateItem{n}",
                "summary": f"Update an item of collection {n}",
                "deprecated": bool(variant and n % 17 == 0),
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/Create{s}"},
                            "example": {"name": "x", "tags": ["a"], "size": 1},
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "updated",
                        "content": {"application/json": {"schema": ref}},
                    },
                    "400": error,
                    "401": error,
                    "404": error,
                },
            },
        }
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "example": {"code": "not_found", "message": "no such item"},
        }
    }
    for s in range(SCHEMAS):
        schemas[f"Resource{s}"] = _resource(s, variant)
        schemas[f"Create{s}"] = _create(s, variant)
    return {
        "openapi": "3.0.3",
        "info": {"title": f"Large API ({operations} operations)", "version": f"1.{variant}.0"},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "parameters": {
                "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            },
            "responses": {
                "Error": {
                    "description": "an error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--variant", type=int, choices=(0, 1), default=0)
    args = parser.parse_args(argv)
    args.out.write_text(yaml.safe_dump(build(args.operations, args.variant), sort_keys=False))
    print(f"{args.out}: {args.operations} operations, variant {args.variant}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
