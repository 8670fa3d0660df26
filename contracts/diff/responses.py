"""Responses: statuses, their content and their headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .bodies import compare_content
from .rules import ChangeList, declare
from .schemas import compare_schemas

__all__ = ["compare_responses"]

Loc = tuple[str, ...]

declare(
    "responses",
    (
        "response-success-status-removed",
        "breaking",
        "a success status was removed",
        "Old clients wait for a status the server no longer sends and treat the new one as "
        "unexpected.",
    ),
    (
        "response-status-removed",
        "warning",
        "an error or default status was removed",
        "Clients lose a documented error case; the server may still answer it with an "
        "undocumented body.",
    ),
    (
        "response-success-status-added",
        "warning",
        "a success status was added",
        "Old clients may treat a success status they do not know as a failure.",
    ),
    (
        "response-status-added",
        "info",
        "an error status was added",
        "A newly documented error; old clients already handle errors generically.",
    ),
)


def compare_responses(
    out: ChangeList, old: Mapping[str, Any], new: Mapping[str, Any], loc: Loc
) -> None:
    """An operation's `responses`, old against new."""
    rloc = (*loc, "responses")
    old_s = {str(k).upper(): k for k in old}
    new_s = {str(k).upper(): k for k in new}
    old_success = {s for s in old_s if s.startswith("2")}
    for status, raw in old_s.items():
        if status not in new_s:
            rule = (
                "response-success-status-removed"
                if status.startswith("2")
                else "response-status-removed"
            )
            out.emit(rule, (*rloc, str(raw)), f"response {raw} was removed")
    for status, raw in new_s.items():
        if status not in old_s:
            if status.startswith("2") and old_success:
                out.emit(
                    "response-success-status-added",
                    (*rloc, str(raw)),
                    f"success response {raw} was added (old: {', '.join(sorted(old_success))})",
                )
            else:
                out.emit("response-status-added", (*rloc, str(raw)), f"response {raw} was added")
            continue
        before, after = old[old_s[status]] or {}, new[raw] or {}
        sloc = (*rloc, str(raw))
        compare_content(
            out,
            before.get("content") or {},
            after.get("content") or {},
            (*sloc, "content"),
            "response",
        )
        _headers(out, before.get("headers") or {}, after.get("headers") or {}, (*sloc, "headers"))


declare(
    "responses",
    (
        "response-required-header-removed",
        "breaking",
        "a required response header was removed",
        "Old clients read a header that is no longer sent.",
    ),
    (
        "response-optional-header-removed",
        "warning",
        "an optional response header was removed",
        "Old clients that use it when present will no longer see it.",
    ),
    (
        "response-header-added",
        "info",
        "a response header was added",
        "Old clients ignore headers they do not know.",
    ),
    (
        "response-header-became-optional",
        "breaking",
        "a response header is no longer required",
        "Old clients read it on every response and fail when it is missing.",
    ),
    (
        "response-header-became-required",
        "info",
        "a response header became required",
        "Old clients that read it when present now always find it.",
    ),
)


def _headers(out: ChangeList, old: Mapping[str, Any], new: Mapping[str, Any], loc: Loc) -> None:
    old_h = {str(k).lower(): k for k in old}
    new_h = {str(k).lower(): k for k in new}
    for key, name in old_h.items():
        header = old[name] or {}
        if key not in new_h:
            rule = (
                "response-required-header-removed"
                if header.get("required")
                else "response-optional-header-removed"
            )
            out.emit(rule, (*loc, name), f"response header {name} was removed")
    for key, name in new_h.items():
        if key not in old_h:
            out.emit("response-header-added", (*loc, name), f"response header {name} was added")
            continue
        before, after = old[old_h[key]] or {}, new[name] or {}
        if before.get("required") and not after.get("required"):
            out.emit(
                "response-header-became-optional",
                (*loc, name),
                f"response header {name} is no longer required",
            )
        elif after.get("required") and not before.get("required"):
            out.emit(
                "response-header-became-required",
                (*loc, name),
                f"response header {name} became required",
            )
        if isinstance(before.get("schema"), Mapping) and isinstance(after.get("schema"), Mapping):
            compare_schemas(
                out, before["schema"], after["schema"], (*loc, name, "schema"), "response"
            )
