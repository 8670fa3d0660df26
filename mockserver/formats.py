"""The formats OpenAPI adds to JSON Schema, for request validation.

JSON Schema's format checkers know `date-time`, `email`, `uuid`...; OpenAPI adds the
integer formats `int32` and `int64`, whose bounds a real server enforces (a Java or Go
backend cannot even parse 2**31 into an int32 field). jsonschema_rs calls format checks
for strings only, so a schema that names an integer format is validated in Python.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator, FormatChecker

__all__ = ["INTEGER_FORMATS", "REQUEST_FORMATS"]

INTEGER_FORMATS = {"int32": 32, "int64": 64}


def _bounded(bits: int) -> Any:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(instance: object) -> bool:
        if isinstance(instance, bool) or not isinstance(instance, int | float):
            return True  # a format constrains only values of its type
        return bool(low <= instance <= high)

    return check


REQUEST_FORMATS = FormatChecker()
"""Draft 4's format checkers (with `uuid`), and OpenAPI's integer formats."""
REQUEST_FORMATS.checkers.update(Draft4Validator.FORMAT_CHECKER.checkers)
for _name, _bits in INTEGER_FORMATS.items():
    REQUEST_FORMATS.checks(_name)(_bounded(_bits))
