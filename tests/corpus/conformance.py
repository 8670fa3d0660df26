"""Does an answer conform to the document? Judged by openapi-core, not by the project's code.

`exercise(document, base_url)` calls every operation once and judges every answer.
`Judge(document, base_url)` reads the document once (servers pointed at the mock, the rest as
published); `judge.errors(call, response)` lists why the answer does not conform: an
undocumented status, an undocumented media type, a body or header its schema refuses.

Where openapi-core 0.23 cannot read an answer, the harness tells it how (its public
`Config.extra_media_type_deserializers`), rather than counting the mock wrong:
- it decodes JSON for `application/json` and `application/vnd.api+json` only: any other
  `+json` type (RFC 6839: `application/problem+json`) is JSON too;
- it decodes text for `text/plain` and `text/html` only: any other `text/*` (`text/calendar`)
  is text too, and so is a body of any other media type whose schema is a string that is not
  `binary` or `byte` (GitHub's `application/octocat-stream`);
- its OpenAPI 3.1 validator refuses raw `bytes` for `type: string, format: binary`, which its
  3.0 validator accepts (python-openapi/openapi-core#854, open; the fix proposed upstream is
  python-openapi/openapi-schema-validator#298): in a 3.1 document, a body of another media
  type is given to it as the string of its octets.
And an operation that documents no response (OpenAPI 3.1 allows it) makes openapi-core
raise `KeyError('responses')` instead of judging: such an answer conforms unless it is a
server error, there being nothing else to hold it to.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types import media_type_deserializers
from openapi_core.deserializing.media_types.util import binary_loads, json_loads, plain_loads
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .plausible import METHODS, Call, calls, resolve

__all__ = ["Judge", "Outcome", "exercise", "one_connection_client", "send"]


class _Request:
    """openapi-core's `Request` protocol over a `Call` sent to `base_url`."""

    def __init__(self, base_url: str, call: Call) -> None:
        parts = urlsplit(base_url)
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path.rstrip("/") + call.path
        self.method = call.method
        self.body = call.content
        self.content_type = call.content_type or ""
        query: dict[str, list[str]] = {}
        for key, value in call.query:
            query.setdefault(key, []).append(value)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(call.headers),
            cookie=ImmutableMultiDict(call.cookies),
        )


class _Response:
    """openapi-core's `Response` protocol over an httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.multi_items()))
        self.content_type = response.headers.get("content-type", "")
        self.data = response.content


class Judge:
    def __init__(self, document: Mapping[str, Any], base_url: str) -> None:
        served = copy.deepcopy(dict(document))
        served["servers"] = [{"url": base_url}]
        for item in (served.get("paths") or {}).values():
            if isinstance(item, dict):
                item.pop("servers", None)
                for method in METHODS:
                    if isinstance(item.get(method), dict):
                        item[method].pop("servers", None)
        # The mock's catalog validates documents; openapi-core's own spec check would only
        # refuse the ones published slightly invalid, which the corpus keeps as they are.
        config = Config(
            spec_validator_cls=None,
            extra_media_type_deserializers=_readers(served),
        )
        self.openapi = OpenAPI.from_dict(served, config=config)
        self.document = served
        self.base_url = base_url

    def errors(self, call: Call, response: httpx.Response) -> list[str]:
        """Why `response` is not a documented answer to `call` (empty: it is)."""
        item = resolve(self.document, self.document["paths"][call.template])
        if not resolve(self.document, item[call.method]).get("responses"):
            if response.status_code >= 500:
                return [f"a server error ({response.status_code}) where nothing is documented"]
            return []
        found = []
        for error in self.openapi.iter_response_errors(
            _Request(self.base_url, call), _Response(response)
        ):
            cause = error.__cause__ or error.__context__
            detail = f"{type(error).__name__}: {error}"
            schema_errors = getattr(cause, "schema_errors", None) or getattr(
                error, "schema_errors", None
            )
            if schema_errors:
                detail += " — " + "; ".join(
                    f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                    for e in list(schema_errors)[:3]
                )
            elif cause is not None:
                detail += f" ({type(cause).__name__}: {cause})"
            found.append(detail)
        return found


def _octets(value: bytes, **_parameters: str) -> str:
    return value.decode("latin-1")


def _readers(document: Mapping[str, Any]) -> dict[str, Any]:
    """openapi-core's reader for each media type of `document`'s responses that it would
    leave as bytes (see the module's docstring)."""
    v31 = str(document.get("openapi", "")).startswith("3.1")
    readers: dict[str, Any] = {}
    for item in (document.get("paths") or {}).values():
        item = resolve(document, item)
        for method in METHODS:
            operation = resolve(document, item.get(method)) if isinstance(item, dict) else None
            for response in ((operation or {}).get("responses") or {}).values():
                content = resolve(document, response).get("content") or {}
                for media_type, media in content.items():
                    base = media_type.split(";")[0].strip().lower()
                    schema = resolve(document, (media or {}).get("schema")) or {}
                    textual = schema.get("type") == "string" and schema.get("format") not in (
                        "binary",
                        "byte",
                    )
                    if base.endswith("+json"):
                        readers.setdefault(base, json_loads)
                    elif base not in media_type_deserializers and (
                        base.startswith("text/") or textual
                    ):
                        readers.setdefault(base, plain_loads)
                    elif v31 and media_type_deserializers.get(base, binary_loads) is binary_loads:
                        readers.setdefault(base, _octets)
    return readers


@dataclass(frozen=True)
class Outcome:
    """One operation called once: what came back and why it does not conform (if it does not)."""

    call: Call
    status: int | None  # None: no HTTP answer (connection closed, unparsable response)
    errors: tuple[str, ...]
    transcript: str  # the request line and the answer's head and body, shortened

    @property
    def valid(self) -> bool:
        return not self.errors


def one_connection_client(base_url: str) -> httpx.Client:
    """A client that keeps exactly one keep-alive connection, so that a stray body (after a
    204, say) corrupts the next answer instead of vanishing with a fresh connection."""
    return httpx.Client(
        base_url=base_url,
        timeout=30,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def send(client: httpx.Client, call: Call) -> httpx.Response:
    headers = dict(call.headers)
    if call.content_type:
        headers["Content-Type"] = call.content_type
    if call.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in call.cookies.items())
    target = call.path + (f"?{urlencode(call.query)}" if call.query else "")
    return client.request(call.method.upper(), target, headers=headers, content=call.content)


def exercise(document: Mapping[str, Any], base_url: str) -> list[Outcome]:
    """Call every operation of `document` once at `base_url` over one connection; judge each
    answer with openapi-core. An answer that leaves stray bytes on the connection (a body
    after a 204, a wrong Content-Length) is found invalid when the next answer cannot be read
    (that next request is then sent again on a fresh connection); a last request
    (GET /__mock/health) checks the final answer the same way."""
    judge = Judge(document, base_url)
    outcomes: list[Outcome] = []

    def blame_previous(error: httpx.TransportError) -> None:
        if outcomes and outcomes[-1].status is not None:
            last = outcomes[-1]
            stray = f"stray bytes after the answer: {type(error).__name__}: {error}"
            outcomes[-1] = Outcome(last.call, last.status, (stray, *last.errors), last.transcript)

    with one_connection_client(base_url) as client:
        for call in calls(document):
            request_line = f"{call.method.upper()} {call.path}" + (
                f"?{urlencode(call.query)}" if call.query else ""
            )
            try:
                try:
                    response = send(client, call)
                except httpx.RemoteProtocolError as error:
                    blame_previous(error)
                    response = send(client, call)
            except httpx.TransportError as error:
                cause = f"no answer: {type(error).__name__}: {error}"
                outcomes.append(Outcome(call, None, (cause,), request_line))
                continue
            body = response.content[:300].decode("utf-8", "replace")
            transcript = (
                f"{request_line} -> {response.status_code} "
                f"{response.headers.get('content-type', '-')} {body}"
            )
            errors = tuple(judge.errors(call, response))
            outcomes.append(Outcome(call, response.status_code, errors, transcript))
        try:
            client.get(urljoin(base_url, "/__mock/health"))
        except httpx.RemoteProtocolError as error:
            blame_previous(error)
    return outcomes
