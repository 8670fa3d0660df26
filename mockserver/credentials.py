"""What each OpenAPI security scheme accepts, and what a refusal tells the client to send.

One reading of credentials for the whole mock: Connexion's guard (the `security_map`
handlers of `connexion_ext`), the express lane (which trusts only what this reading gives
back as a scenarios credential) and the 401's hint and `WWW-Authenticate` challenge.

Well formed, by scheme type (Prism's rule: without a scenarios file any well-formed
credential is accepted):

  * `http` basic: `Authorization: Basic <base64 of user:password>` (strict base64, a colon);
    the credential is `user:password`.
  * `http` bearer, `oauth2` (every flow), `openIdConnect`: `Authorization: Bearer <token68>`.
  * any other `http` scheme (`Digest`, `HOBA`, ...): `Authorization: <Scheme> <printable text>`.
  * `apiKey`: a non-blank value in the header, query parameter or cookie the scheme names.

A scenarios file pins credentials by scheme (`Keyring`): a pinned one carries its scopes;
an unknown well-formed one is accepted with every scope, or refused under
`unknown_credentials: reject`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.scenarios import Credential, Scenarios

__all__ = [
    "Keyring",
    "Malformed",
    "Requirement",
    "api_key_places",
    "auth_scheme",
    "challenges",
    "presented",
    "scoped",
    "what_to_send",
]

# RFC 6750 §2.1: b64token
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

Requirement = Mapping[str, Any]  # one entry of `security`: scheme name -> scopes


class Malformed(ValueError):
    """A credential is present for a scheme but is not well formed: a 401, whatever the
    scenarios say."""


def auth_scheme(scheme: Mapping[str, Any]) -> str | None:
    """The HTTP authentication scheme (`Authorization: <it> ...`) a security scheme reads,
    lower-case; None for an apiKey (or an unknown type)."""
    kind = scheme.get("type")
    if kind == "http":
        return str(scheme.get("scheme", "")).lower() or None
    if kind in ("oauth2", "openIdConnect"):
        return "bearer"
    return None


def scoped(scheme: Mapping[str, Any]) -> bool:
    """Whether the requirement's list names scopes the credential must have (OpenAPI 3.0:
    only for oauth2 and openIdConnect; for other types the list is empty or roles)."""
    return scheme.get("type") in ("oauth2", "openIdConnect")


def presented(
    scheme: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    cookies: Mapping[str, str],
) -> str | None:
    """The credential a request presents for `scheme` (for Basic: `user:password`), None
    when it presents none for it (another scheme's `Authorization` is none). `headers` is
    looked up by lower-case name. Raises `Malformed`."""
    if scheme.get("type") == "apiKey":
        where, name = str(scheme.get("in")), str(scheme.get("name"))
        source = {"header": headers, "query": query, "cookie": cookies}.get(where, {})
        value = source.get(name.lower() if where == "header" else name)
        if value is None:
            return None
        if not value.strip():
            raise Malformed(f"the {_api_key_place(where, name)} is empty")
        return value
    wanted = auth_scheme(scheme)
    header = headers.get("authorization")
    if wanted is None or header is None:
        return None
    word, _, rest = header.strip().partition(" ")
    if word.lower() != wanted:
        return None
    rest = rest.strip()
    label = f"the Authorization header's {word}"
    if not rest:
        raise Malformed(f"the Authorization header names {word} but carries no credentials")
    if wanted == "basic":
        return _basic(rest, label)
    if wanted == "bearer":
        if not _TOKEN68.fullmatch(rest):
            raise Malformed(f"{label} token is not a token68 (RFC 6750)")
        return rest
    if not rest.isprintable() or not rest.isascii():
        raise Malformed(f"{label} credentials are not printable ASCII")
    return rest


def _basic(encoded: str, label: str) -> str:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed(f"{label} credentials are not base64") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if ":" not in text:
        raise Malformed(f"{label} credentials have no ':' between user and password")
    return text


def api_key_places(
    schemes: Mapping[str, Mapping[str, Any]],
) -> tuple[frozenset[str], frozenset[str]]:
    """The header names and the query parameter names an API's apiKey schemes read (the
    journal masks them)."""
    keys = [s for s in schemes.values() if s.get("type") == "apiKey"]
    return (
        frozenset(str(s.get("name")) for s in keys if s.get("in") == "header"),
        frozenset(str(s.get("name")) for s in keys if s.get("in") == "query"),
    )


def _api_key_place(where: str, name: str) -> str:
    return {"header": f"{name} header", "query": f"{name} query parameter"}.get(
        where, f"{name} cookie"
    )


@dataclass(frozen=True)
class Keyring:
    """The scenarios' credentials by security scheme name, and what to do with others."""

    pinned: Mapping[tuple[str, str], Credential]  # (scheme name, credential) -> credential
    reject_unknown: bool

    @classmethod
    def of(cls, scenarios: Scenarios | None) -> Keyring:
        creds = scenarios.credentials.values() if scenarios else ()
        return cls(
            pinned={(c.scheme, c.value): c for c in creds},
            reject_unknown=scenarios is not None and scenarios.unknown_credentials == "reject",
        )

    def find(self, scheme_names: Iterable[str], value: str) -> Credential | None:
        """The pinned credential `value` is under one of `scheme_names` (the names of one
        scheme definition), if any."""
        for name in scheme_names:
            found = self.pinned.get((name, value))
            if found is not None:
                return found
        return None


def _one(name: str, scheme: Mapping[str, Any], scopes: Iterable[str]) -> str:
    kind = scheme.get("type")
    if kind == "apiKey":
        return f"the {_api_key_place(str(scheme.get('in')), str(scheme.get('name', name)))}"
    wanted = auth_scheme(scheme)
    if wanted == "basic":
        return "Authorization: Basic <base64 user:password>"
    if kind == "oauth2":
        text = "Authorization: Bearer <OAuth2 access token>"
    elif kind == "openIdConnect":
        text = "Authorization: Bearer <OpenID Connect token>"
    elif wanted == "bearer":
        text = "Authorization: Bearer <token>"
    elif wanted:
        text = f"Authorization: {scheme.get('scheme')} <credentials>"
    else:
        return f"a {name} credential"
    scopes = list(scopes)
    if scoped(scheme) and scopes:
        text += f" with scope{'s' if len(scopes) > 1 else ''} {', '.join(scopes)}"
    return text


def what_to_send(security: Iterable[Requirement], schemes: Mapping[str, Mapping[str, Any]]) -> str:
    """What an operation accepts, as a person reads it: alternatives joined with `or`,
    schemes required together with `and`."""
    options: list[str] = []
    for requirement in security:
        if not requirement:
            continue
        text = " and ".join(
            _one(name, schemes.get(name, {}), scopes or ()) for name, scopes in requirement.items()
        )
        if text not in options:
            options.append(text)
    return " or ".join(options)


def challenges(
    security: Iterable[Requirement], schemes: Mapping[str, Mapping[str, Any]], realm: str
) -> str:
    """The `WWW-Authenticate` value for a 401: one challenge per scheme the operation
    accepts. An apiKey has no standard challenge: `ApiKey` with where and what to send."""
    out: list[str] = []
    quoted = realm.replace("\\", "\\\\").replace('"', '\\"')
    for requirement in security:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "apiKey":
                where, key = scheme.get("in"), scheme.get("name", name)
                text = f'ApiKey realm="{quoted}", in="{where}", name="{key}"'
            elif (wanted := auth_scheme(scheme)) is not None:
                word = {"bearer": "Bearer", "basic": "Basic"}.get(wanted, str(scheme.get("scheme")))
                text = f'{word} realm="{quoted}"'
            else:
                continue
            if text not in out:
                out.append(text)
    return ", ".join(out)
