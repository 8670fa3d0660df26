"""Who may reach the mock: the Host check (DNS rebinding) for every path, and the admin
API's token and cross-site checks.

- Host: a request whose `Host` names anything but the bound address, `localhost`, an IP
  literal (`127.0.0.1`, `[::1]`, the machine's own address; any port) or a name given with
  `--allowed-host` is refused with 421. A page that rebinds its own DNS name to the mock's
  address sends its own name as Host, so it is refused; an IP literal cannot be rebound.
- Admin token: bound to a loopback address the admin API is open, as it always was (unless
  a token is set); bound to any other address every `/__mock/*` call but `/__mock/health`
  needs `Authorization: Bearer <token>` (401 otherwise).
- The dashboard's static files (`/__mock/ui`, its script and style: code the package ships,
  no data) are open like `/__mock/health`, Host check aside: a browser navigating to the
  page cannot send the token; the page sends it with every call it makes for data.
- Cross-site: a call that changes state (`POST /__mock/reset`) needs a JSON content type
  or an `X-Mock-Admin` header, which no form post or simple cross-origin request can send
  (either makes a browser ask a preflight, which the admin API never grants), and is
  refused (403) when the browser says it is cross-site (`Sec-Fetch-Site: cross-site`) or
  its `Origin` names a host that is not allowed.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .dashboard import UI_PATHS

__all__ = ["Access", "Refusal", "is_loopback"]

Refusal = tuple[int, str]  # status, why
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_ADMIN_PATHS = frozenset({"/__mock/health", *UI_PATHS})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    """`Host` without its port, lower-cased, brackets kept for IPv6 (`[::1]`)."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]") + 1
        rest = value[end:]
        port_only = not rest or (rest[0] == ":" and rest[1:].isdigit())
        return value[:end] if end and port_only else value
    name, colon, port = value.rpartition(":")
    return name if colon and port.isdigit() else value


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


def _header(scope: MutableMapping[str, Any], name: bytes) -> str | None:
    value = next((v for k, v in scope["headers"] if k == name), None)
    return None if value is None else value.decode("latin-1")


@dataclass(frozen=True, slots=True)
class Access:
    hosts: frozenset[str]  # Host names allowed beside IP literals; "*" allows any
    admin_token: str | None  # None: the admin API is open (a loopback bind)
    # Host header values already judged (the same one or two, request after request).
    verdicts: dict[bytes, bool] = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, bound: str, allowed_hosts: Iterable[str], admin_token: str | None) -> Access:
        """The access rules for a mock bound to `bound`; off loopback, without a token, one
        is generated (`admin_token` then holds it, for the start-up message)."""
        if admin_token is None and not is_loopback(bound):
            admin_token = secrets.token_urlsafe(24)
        bound_name = _host_name(f"[{bound}]" if ":" in bound else bound)
        names = {"localhost", bound_name, *(_host_name(h) for h in allowed_hosts)}
        return cls(hosts=frozenset(names), admin_token=admin_token)

    def allows_host(self, name: str) -> bool:
        name = name.rstrip(".")
        return "*" in self.hosts or name in self.hosts or _is_ip_literal(name)

    def host_refusal(self, scope: MutableMapping[str, Any]) -> Refusal | None:
        """421 when the request's Host is not one this mock answers to."""
        raw = next((v for k, v in scope["headers"] if k == b"host"), None)
        if raw is None:
            return None  # no Host at all (HTTP/1.0): no browser sent it
        allowed = self.verdicts.get(raw)
        if allowed is None:
            allowed = self.allows_host(_host_name(raw.decode("latin-1")))
            if len(self.verdicts) < 1024:
                self.verdicts[raw] = allowed
        if allowed:
            return None
        host = raw.decode("latin-1")
        return 421, (
            f"the mock does not answer to Host {host!r}; "
            "start it with --allowed-host NAME to accept that name"
        )

    def admin_refusal(self, scope: MutableMapping[str, Any]) -> Refusal | None:
        """401 without the admin token (when one is set), 403 for a cross-site call that
        changes state."""
        path = scope["path"]
        if path in _OPEN_ADMIN_PATHS:
            return None
        if self.admin_token is not None:
            given = _header(scope, b"authorization") or ""
            scheme, _, token = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), self.admin_token.encode()
            ):
                return 401, "the admin API needs 'Authorization: Bearer <admin token>'"
        if scope["method"] in _SAFE_METHODS:
            return None
        if (_header(scope, b"sec-fetch-site") or "").lower() == "cross-site":
            return 403, "cross-site requests cannot change the mock's state"
        origin = _header(scope, b"origin")
        if origin is not None:
            _, _, rest = origin.partition("://")
            if not rest or not self.allows_host(_host_name(rest.split("/", 1)[0])):
                return 403, f"requests from Origin {origin!r} cannot change the mock's state"
        media_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if media_type != "application/json" and _header(scope, b"x-mock-admin") is None:
            return 403, (
                "a call that changes the mock's state needs 'Content-Type: application/json' "
                "or an 'X-Mock-Admin: 1' header"
            )
        return None
