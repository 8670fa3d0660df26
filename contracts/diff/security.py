"""Security: the requirements of each operation and the schemes they name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .rules import ChangeList, declare

__all__ = ["compare_security", "compare_security_schemes"]

Loc = tuple[str, ...]
Alternative = Mapping[str, frozenset[str]]


def _alternatives(reqs: Any) -> list[dict[str, frozenset[str]]]:
    return [
        {str(name): frozenset(scopes or []) for name, scopes in req.items()}
        for req in (reqs or [])
        if isinstance(req, Mapping)
    ]


def _satisfied(alt: Alternative, new_alts: Iterable[Alternative]) -> bool:
    """Do credentials meeting old requirement `alt` meet one of the new requirements?"""
    return any(set(b) <= set(alt) and all(b[k] <= alt[k] for k in b) for b in new_alts)


declare(
    "security",
    (
        "security-added",
        "breaking",
        "authentication became required",
        "Old clients call without credentials and get 401.",
    ),
    (
        "security-requirement-added",
        "breaking",
        "a security requirement was added or replaced",
        "Old clients send credentials the new contract no longer accepts alone, and get 401/403.",
    ),
    (
        "security-scope-added",
        "breaking",
        "a required OAuth scope was added",
        "Old clients' tokens lack the new scope and get 403.",
    ),
    (
        "security-alternative-added",
        "info",
        "another way to authenticate was added",
        "Old clients keep using the old one.",
    ),
    (
        "security-scope-removed",
        "info",
        "a required OAuth scope was dropped",
        "Old clients' tokens still carry it.",
    ),
    (
        "security-removed",
        "info",
        "authentication is no longer required",
        "Old clients' credentials are ignored.",
    ),
)


def compare_security(out: ChangeList, old: Any, new: Any, loc: Loc) -> None:
    """The effective security requirements of one operation, old against new."""
    old_alts, new_alts = _alternatives(old), _alternatives(new)
    old_anonymous = not old_alts or any(not alt for alt in old_alts)
    new_anonymous = not new_alts or any(not alt for alt in new_alts)
    if old_anonymous and not new_anonymous:
        names = " or ".join("+".join(sorted(a)) for a in new_alts)
        out.emit("security-added", loc, f"credentials are now required: {names}")
    elif new_anonymous and not old_anonymous:
        out.emit("security-removed", loc, "credentials are no longer required")
    if not new_anonymous:
        for alt in old_alts:
            if not alt or _satisfied(alt, new_alts):
                continue
            same_schemes = [b for b in new_alts if set(b) <= set(alt)]
            if same_schemes:
                extra = sorted({f"{k}:{s}" for b in same_schemes for k in b for s in b[k] - alt[k]})
                out.emit(
                    "security-scope-added",
                    loc,
                    f"credentials {'+'.join(sorted(alt))} now need scopes {', '.join(extra)}",
                )
            else:
                out.emit(
                    "security-requirement-added",
                    loc,
                    f"credentials {'+'.join(sorted(alt))} are no longer enough "
                    f"(now: {' or '.join('+'.join(sorted(b)) for b in new_alts)})",
                )
    if not old_anonymous:
        for alt in new_alts:
            # a tightened old requirement was reported above; only a new way counts here
            if alt and not any(set(alt) >= set(a) for a in old_alts):
                out.emit(
                    "security-alternative-added",
                    loc,
                    f"credentials {'+'.join(sorted(alt))} are now accepted too",
                )
    for a in old_alts:
        for b in new_alts:
            if set(a) == set(b) and (
                dropped := sorted({f"{k}:{s}" for k in a for s in a[k] - b[k]})
            ):
                out.emit(
                    "security-scope-removed",
                    loc,
                    f"credentials {'+'.join(sorted(a))} no longer need scopes {', '.join(dropped)}",
                )


declare(
    "security",
    (
        "security-scheme-changed",
        "breaking",
        "a security scheme's type or location changed",
        "Old clients send their credential where the server no longer looks for it.",
    ),
)


def compare_security_schemes(
    out: ChangeList, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    """`components.securitySchemes` of two documents: a scheme kept by name but moved."""
    old_s = (old.get("components") or {}).get("securitySchemes") or {}
    new_s = (new.get("components") or {}).get("securitySchemes") or {}
    for name, after in new_s.items():
        before = old_s.get(name)
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            continue
        for attr in ("type", "in", "name", "scheme"):
            b, a = before.get(attr), after.get(attr)
            if attr == "scheme":
                b, a = str(b).lower() if b else b, str(a).lower() if a else a
            if attr == "name" and before.get("in") == "header" and after.get("in") == "header":
                b, a = str(b).lower(), str(a).lower()
            if b != a:
                out.emit(
                    "security-scheme-changed",
                    ("components", "securitySchemes", name, attr),
                    f"security scheme {name!r}: {attr} {b!r} is now {a!r}",
                )
