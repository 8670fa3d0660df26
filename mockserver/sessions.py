"""Sessions: which test run a request belongs to, so runs sharing one mock stay apart.

A request names its session with the `X-Mock-Session` header, or with the `__session`
query parameter for clients that cannot set headers; the parameter is taken out of the
query string before the API's validation sees it. Without either, the request is in the
default session. The state keeps the journal and the default preferences per session
(`GET /__mock/requests?session=NAME`, `POST /__mock/reset?session=NAME`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from starlette.types import Scope

__all__ = ["DEFAULT_SESSION", "SESSION_HEADER", "session_error", "take_session"]

DEFAULT_SESSION = "default"
SESSION_HEADER = b"x-mock-session"
_QUERY_NAME = b"__session"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


def session_error(name: str) -> str | None:
    """Why `name` cannot name a session, or None when it can."""
    if _NAME.fullmatch(name):
        return None
    return (
        f"session {name[:80]!r} is not 1-128 letters, digits and . _ : @ - "
        "(starting with a letter or digit)"
    )


def take_session(scope: Scope) -> tuple[str, str | None]:
    """The request's session and why its name is refused (None when it is not; when it
    is, the refusal is journaled in the default session).

    The `__session` query parameter is removed from `scope["query_string"]`; the header
    wins when both are sent."""
    named: str | None = None
    query: bytes = scope.get("query_string", b"")
    if _QUERY_NAME in query:
        kept = []
        for item in query.split(b"&"):
            key, _, value = item.partition(b"=")
            if key == _QUERY_NAME:
                named = unquote_plus(value.decode("latin-1"))
            else:
                kept.append(item)
        scope["query_string"] = b"&".join(kept)
    for key, value in scope["headers"]:
        if key == SESSION_HEADER:
            named = value.decode("latin-1").strip()
            break
    if named is None:
        return DEFAULT_SESSION, None
    wrong = session_error(named)
    return (named, None) if wrong is None else (DEFAULT_SESSION, wrong)
