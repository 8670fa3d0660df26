"""What the journal keeps of a request: credentials masked, oversized parts cut, before
anything is stored.

Masked (only the last 4 characters of a value survive, none if it is 8 or shorter):
- every credential the API's spec declares: each `apiKey` scheme's header, query parameter
  or cookie; every `Authorization` and `Proxy-Authorization` value; the whole `Cookie` header;
- well-known secret names (`SECRET_NAMES`, or ending in `_token`, `_secret`, `_password`,
  `_signature`, `api_key`/`apikey`), compared case-insensitively with `-` read as `_` and an
  `X-` prefix ignored: as headers, as query parameters, as fields anywhere in a JSON body and
  as fields of a form body. `X-Amz-Security-Token`, `X-Auth-Token`, `api_key=`, `token=`,
  `{"password": ...}` are all masked.

Cut (and marked in place): a header value past `HEADER_VALUE_LIMIT` bytes, the headers past
`HEADER_BLOCK_LIMIT` bytes in all, a path or query past `TARGET_LIMIT`, a body past
`BODY_LIMIT`. Each cut is also named in the entry's `truncated` list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from .jsonbody import NotStrictJSON
from .jsonbody import loads as strict_json

__all__ = [
    "BODY_LIMIT",
    "HEADER_BLOCK_LIMIT",
    "HEADER_VALUE_LIMIT",
    "SECRET_NAMES",
    "TARGET_LIMIT",
    "Declared",
    "is_secret_name",
    "kept_body",
    "kept_headers",
    "kept_path",
    "kept_query",
    "mask",
]

SECRET_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "client_secret",
        "cookie",
        "credential",
        "credentials",
        "id_token",
        "key",
        "passwd",
        "password",
        "private_key",
        "proxy_authorization",
        "refresh_token",
        "secret",
        "session",
        "sessionid",
        "sig",
        "signature",
        "token",
    }
)
_SECRET_SUFFIXES = ("_token", "_secret", "_password", "_signature", "api_key", "apikey")
# A cheap look at a raw body before parsing it: none of these, no secret field in it
# (`bytes.lower` and `in` scan a body ~10x faster than one regex of alternatives).
_SECRET_HINTS = (
    b"key",
    b"token",
    b"secret",
    b"passw",
    b"sig",
    b"auth",
    b"cookie",
    b"session",
    b"credential",
)

HEADER_VALUE_LIMIT = 4096
HEADER_BLOCK_LIMIT = 32 * 1024
TARGET_LIMIT = 8192
BODY_LIMIT = 64 * 1024


def is_secret_name(name: str) -> bool:
    """Whether a header, parameter or field of this name holds a secret by convention."""
    normal = name.strip().lower().replace("-", "_")
    if normal.startswith("x_"):
        normal = normal[2:]
    return normal in SECRET_NAMES or normal.endswith(_SECRET_SUFFIXES)


_SECRET_HEADER: dict[bytes, bool] = {}  # the same few names, request after request


def _secret_header(name: bytes) -> bool:
    """`is_secret_name` for an ASGI header name, remembered for the first 4096 names."""
    known = _SECRET_HEADER.get(name)
    if known is None:
        known = is_secret_name(name.decode("latin-1"))
        if len(_SECRET_HEADER) < 4096:
            _SECRET_HEADER[name] = known
    return known


def mask(value: bytes) -> bytes:
    """Only the last 4 characters of a secret survive (all of it hidden if it is short)."""
    return b"****" + value[-4:] if len(value) > 8 else b"****"


@dataclass(frozen=True, slots=True)
class Declared:
    """The credentials one API's spec declares, by where they travel."""

    headers: frozenset[bytes] = frozenset()  # lower-case, as ASGI names headers
    query: frozenset[str] = frozenset()
    cookies: frozenset[str] = frozenset()

    @classmethod
    def of(cls, security_schemes: Mapping[str, Any]) -> Declared:
        where: dict[str, set[str]] = {"header": set(), "query": set(), "cookie": set()}
        for scheme in security_schemes.values():
            if isinstance(scheme, Mapping) and scheme.get("type") == "apiKey":
                place, name = scheme.get("in"), scheme.get("name")
                if place in where and isinstance(name, str):
                    where[place].add(name)
        return cls(
            headers=frozenset(n.lower().encode("latin-1") for n in where["header"]),
            query=frozenset(where["query"]),
            cookies=frozenset(where["cookie"]),
        )


def _cut(value: bytes, limit: int, what: str, truncated: list[str]) -> bytes:
    if len(value) <= limit:
        return value
    truncated.append(f"{what}: {len(value)} bytes, the first {limit} kept")
    return value[:limit] + f"...<truncated, {len(value)} bytes>".encode()


def kept_headers(
    headers: Iterable[tuple[bytes, bytes]], declared: Declared, truncated: list[str]
) -> bytes:
    """ASGI headers as one `name: value` block, each secret masked, every value of a
    repeated header kept, oversized values and blocks cut."""
    lines: list[bytes] = []
    size = 0
    dropped, dropped_bytes = 0, 0
    declared_names = declared.headers
    secret_header = _SECRET_HEADER.get
    for name, value in headers:  # ASGI header names arrive lower-cased
        if size > HEADER_BLOCK_LIMIT:
            dropped += 1
            dropped_bytes += len(name) + len(value)
            continue
        secret = secret_header(name)
        if secret is None:
            secret = _secret_header(name)
        if secret or name in declared_names:
            value = mask(value)
        elif len(value) > HEADER_VALUE_LIMIT:
            value = _cut(value, HEADER_VALUE_LIMIT, name[:64].decode("latin-1"), truncated)
        if len(name) > HEADER_VALUE_LIMIT:
            name = _cut(name, HEADER_VALUE_LIMIT, "a header name", truncated)
        size += len(name) + len(value) + 4
        lines.append(name + b": " + value)
    if dropped:
        truncated.append(f"headers: {dropped} more ({dropped_bytes} bytes) not kept")
    return b"\r\n".join(lines)


def _masked_pairs(raw: bytes, secret: Any) -> bytes:
    """`a=1&token=x` with the value of each secret name masked (query strings, form bodies)."""
    if b"=" not in raw:
        return raw
    out = []
    for pair in raw.split(b"&"):
        name, eq, value = pair.partition(b"=")
        if eq and value and secret(unquote_plus(name.decode("latin-1"))):
            pair = name + b"=" + mask(value)
        out.append(pair)
    return b"&".join(out)


def kept_query(query: bytes, declared: Declared, truncated: list[str]) -> bytes:
    masked = _masked_pairs(query, lambda name: name in declared.query or is_secret_name(name))
    return _cut(masked, TARGET_LIMIT, "query", truncated)


def kept_path(path: str, truncated: list[str]) -> str:
    if len(path) <= TARGET_LIMIT:
        return path
    truncated.append(f"path: {len(path)} characters, the first {TARGET_LIMIT} kept")
    return path[:TARGET_LIMIT] + f"...<truncated, {len(path)} characters>"


def _masked_json(value: Any) -> tuple[Any, bool]:
    """`value` with every field of a secret name masked, and whether any was."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if is_secret_name(key) and item is not None:
                raw = item if isinstance(item, str) else json.dumps(item)
                out[key] = mask(raw.encode()).decode("utf-8", "replace")
                changed = True
            else:
                out[key], inner = _masked_json(item)
                changed = changed or inner
        return out, changed
    if isinstance(value, list):
        items = [_masked_json(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    return value, False


# `"name": "value"` in a body that is not strict JSON (the journal keeps it as sent).
_JSON_FIELD = re.compile(rb'"((?:[^"\\]|\\.){1,200})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


def _masked_field(match: re.Match[bytes]) -> bytes:
    name, colon, value = match.groups()
    if not is_secret_name(name.decode("utf-8", "replace")):
        return match.group(0)
    return b'"' + name + b'"' + colon + b'"' + mask(value) + b'"'


def kept_body(raw: bytes, content_type: bytes | None, truncated: list[str]) -> bytes:
    """What the journal keeps of a body: secret fields masked (JSON and form bodies), all
    of it up to `BODY_LIMIT`, else a note of its size."""
    if len(raw) > BODY_LIMIT:
        truncated.append(f"body: {len(raw)} bytes, not kept")
        return f'"<{len(raw)} bytes>"'.encode()
    if not raw:
        return raw
    lowered = raw.lower()
    if not any(hint in lowered for hint in _SECRET_HINTS):
        return raw
    if content_type is not None and content_type.lower().startswith(
        b"application/x-www-form-urlencoded"
    ):
        return _masked_pairs(raw, is_secret_name)
    try:
        parsed = strict_json(raw)
    except (NotStrictJSON, ValueError, RecursionError):  # kept as sent, its secrets masked
        return _JSON_FIELD.sub(_masked_field, raw)
    masked, changed = _masked_json(parsed)
    return json.dumps(masked, ensure_ascii=False).encode() if changed else raw
