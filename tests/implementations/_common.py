"""What every backend below shares: request parsing, credentials, clocks.

The kind of small utility module a real service keeps beside its handlers. Each helper raises
`Invalid`; each API turns that into a 400 in its own error shape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

__all__ = ["Invalid", "bearer_token", "field", "now", "query_bool", "read_object"]

_TYPE_NAMES: dict[type, str] = {
    dict: "an object",
    list: "an array",
    bool: "a boolean",
    str: "a string",
    int: "an integer",
}


class Invalid(Exception):
    """The request is malformed; `field` names the offending part where there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


async def read_object(request: Request, *, required: bool) -> dict[str, Any]:
    """The JSON object in the body; `{}` for an empty optional body."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise Invalid("a JSON request body is required", "body")
        return {}
    media_type = request.headers.get("content-type", "application/json").split(";")[0]
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Invalid("the request body must be application/json", "body")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
        json.dumps(data, ensure_ascii=False).encode()  # lone surrogates cannot be echoed
    except ValueError:  # UnicodeError is one
        raise Invalid("the request body is not valid JSON", "body") from None
    if not isinstance(data, dict):
        raise Invalid("the request body must be a JSON object", "body")
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def field(body: dict[str, Any], name: str, kind: type) -> Any:
    """`body[name]` if it has type `kind` (bool is no integer), None if absent; else Invalid."""
    if name not in body:
        return None
    value = body[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Invalid(f"'{name}' must be {_TYPE_NAMES[kind]}", name)
    return value


def query_bool(request: Request, name: str) -> bool | None:
    """A boolean query parameter, spelled `true` or `false`; None if absent."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1 or values[0] not in ("true", "false"):
        raise Invalid(f"query parameter '{name}' must be true or false", name)
    return values[0] == "true"


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def now() -> datetime:
    return datetime.now(UTC)
