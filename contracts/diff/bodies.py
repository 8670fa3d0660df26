"""Request bodies and the media types of any content (request, response, parameter)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import ChangeList, Direction, declare
from .schemas import compare_schemas

__all__ = ["compare_content", "compare_request_body"]

Loc = tuple[str, ...]

declare(
    "bodies",
    (
        "request-body-added-required",
        "breaking",
        "a required request body was added",
        "Old clients send no body, so their requests are now refused.",
    ),
    (
        "request-body-added",
        "info",
        "an optional request body was added",
        "Old clients send none; that stays valid.",
    ),
    (
        "request-body-removed",
        "warning",
        "the request body was removed",
        "Old clients still send one; the server may ignore or refuse it.",
    ),
    (
        "request-body-became-required",
        "breaking",
        "the request body became required",
        "Old clients that send no body have their requests refused.",
    ),
    (
        "request-body-became-optional",
        "info",
        "the request body became optional",
        "Old clients send one anyway.",
    ),
)


def compare_request_body(out: ChangeList, old: Any, new: Any, loc: Loc) -> None:
    """An operation's `requestBody`, old against new."""
    bloc = (*loc, "requestBody")
    if not isinstance(old, Mapping) and not isinstance(new, Mapping):
        return
    if not isinstance(old, Mapping):
        if new.get("required"):
            out.emit("request-body-added-required", bloc, "a required request body was added")
        else:
            out.emit("request-body-added", bloc, "an optional request body was added")
        return
    if not isinstance(new, Mapping):
        out.emit("request-body-removed", bloc, "the request body was removed")
        return
    if new.get("required") and not old.get("required"):
        out.emit("request-body-became-required", bloc, "the request body became required")
    elif old.get("required") and not new.get("required"):
        out.emit("request-body-became-optional", bloc, "the request body became optional")
    compare_content(
        out, old.get("content") or {}, new.get("content") or {}, (*bloc, "content"), "request"
    )


declare(
    "bodies",
    (
        "request-media-type-removed",
        "breaking",
        "a request content type was removed",
        "Old clients sending that content type get 415 Unsupported Media Type.",
    ),
    (
        "request-media-type-added",
        "info",
        "a request content type was added",
        "Old clients keep sending the old one.",
    ),
    (
        "response-media-type-removed",
        "breaking",
        "a response content type was removed",
        "Old clients that ask for it (Accept) get 406 or a body they cannot parse.",
    ),
    (
        "response-media-type-added",
        "info",
        "a response content type was added",
        "Old clients keep asking for the old one.",
    ),
)


declare(
    "bodies",
    (
        "request-media-type-schema-added",
        "breaking",
        "a request content type that had no schema now has one",
        "Any body was accepted; the bodies old clients send may not match the new schema.",
    ),
    (
        "request-media-type-schema-removed",
        "info",
        "a request content type no longer has a schema",
        "Any body is accepted now, including what old clients send.",
    ),
    (
        "response-media-type-schema-removed",
        "breaking",
        "a response content type no longer has a schema",
        "The server may send any body; old clients parse it with the schema they were given.",
    ),
    (
        "response-media-type-schema-added",
        "info",
        "a response content type that had no schema now has one",
        "Old clients already had to accept any body.",
    ),
)


def compare_content(
    out: ChangeList,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    loc: Loc,
    direction: Direction,
    media_rules: tuple[str, str] | None = None,
) -> None:
    """A `content` map, old against new: media types by their essence, then their schemas.

    `media_rules` names the (removed, added) rules when the default
    `<direction>-media-type-{removed,added}` do not fit (webhooks).
    """
    removed_rule, added_rule = media_rules or (
        f"{direction}-media-type-removed",
        f"{direction}-media-type-added",
    )
    old_by = {str(mt).split(";")[0].strip().lower(): mt for mt in old}
    new_by = {str(mt).split(";")[0].strip().lower(): mt for mt in new}
    for key, mt in old_by.items():
        if key not in new_by:
            out.emit(removed_rule, (*loc, mt), f"content type {mt} was removed")
    for key, mt in new_by.items():
        if key not in old_by:
            out.emit(added_rule, (*loc, mt), f"content type {mt} was added")
            continue
        before, after = old[old_by[key]] or {}, new[mt] or {}
        had, has = (
            isinstance(before.get("schema"), Mapping),
            isinstance(after.get("schema"), Mapping),
        )
        if had and has:
            compare_schemas(out, before["schema"], after["schema"], (*loc, mt, "schema"), direction)
        elif has:
            out.emit(
                f"{direction}-media-type-schema-added",
                (*loc, mt, "schema"),
                f"content type {mt} now has a schema",
            )
        elif had:
            out.emit(
                f"{direction}-media-type-schema-removed",
                (*loc, mt, "schema"),
                f"content type {mt} no longer has a schema",
            )
