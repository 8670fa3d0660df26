"""Webhooks (3.1 `webhooks`) and callbacks (3.0 `callbacks`): calls the API makes.

Here the API is the client and the reader of the contract is the server, so every
direction is reversed: the request the API sends (parameters, body) is data flowing to
the reader, compared like a response (a property the API stops sending breaks them, one
it starts sending does not); the response the reader answers with is data flowing to
the API, compared like a request (a property the API now requires breaks them). Schema
rule ids keep naming the flow of the data: `response-` for what the API sends,
`request-` for what it receives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..catalog import HTTP_METHODS
from .bodies import compare_content
from .parameters import operation_parameters
from .rules import ChangeList, declare
from .schemas import compare_schemas

__all__ = ["compare_callbacks", "compare_webhooks"]

Loc = tuple[str, ...]

declare(
    "webhooks",
    (
        "webhook-removed",
        "warning",
        "a webhook or callback call was removed",
        "Receivers wait for calls the API no longer makes; what they did on it silently stops.",
    ),
    (
        "webhook-added",
        "info",
        "a webhook or callback call was added",
        "Receivers that do not know it are not called, or answer it as they answer any "
        "unknown call.",
    ),
)


def compare_webhooks(out: ChangeList, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """The `webhooks` of two 3.1 documents, by name."""
    _calls(out, old.get("webhooks") or {}, new.get("webhooks") or {}, ("webhooks",))


def compare_callbacks(out: ChangeList, old: Any, new: Any, loc: Loc) -> None:
    """The `callbacks` of one operation: each name, then each runtime expression."""
    old_c = old if isinstance(old, Mapping) else {}
    new_c = new if isinstance(new, Mapping) else {}
    for name in [*old_c, *(n for n in new_c if n not in old_c)]:
        before, after = old_c.get(name), new_c.get(name)
        _calls(
            out,
            before if isinstance(before, Mapping) else {},
            after if isinstance(after, Mapping) else {},
            (*loc, "callbacks", str(name)),
        )


def _calls(out: ChangeList, old: Mapping[str, Any], new: Mapping[str, Any], loc: Loc) -> None:
    """Path items keyed by webhook name or callback expression."""
    for key in [*old, *(k for k in new if k not in old)]:
        old_item, new_item = old.get(key), new.get(key)
        old_item = old_item if isinstance(old_item, Mapping) else {}
        new_item = new_item if isinstance(new_item, Mapping) else {}
        for method in HTTP_METHODS:
            old_op, new_op = old_item.get(method), new_item.get(method)
            where = (*loc, str(key), method)
            call = f"{method.upper()} {key}"
            if isinstance(old_op, Mapping) and not isinstance(new_op, Mapping):
                out.emit("webhook-removed", where, f"the API no longer calls {call}")
            elif isinstance(new_op, Mapping) and not isinstance(old_op, Mapping):
                out.emit("webhook-added", where, f"the API now calls {call}")
            elif isinstance(old_op, Mapping) and isinstance(new_op, Mapping):
                _call(out, (old_item, old_op), (new_item, new_op), where)


declare(
    "webhooks",
    (
        "webhook-required-parameter-removed",
        "breaking",
        "a parameter the API always sent in a call is gone",
        "Receivers read it on every call and fail without it.",
    ),
    (
        "webhook-parameter-became-optional",
        "breaking",
        "a parameter the API always sent in a call may now be missing",
        "Receivers read it on every call and fail when it is missing.",
    ),
    (
        "webhook-optional-parameter-removed",
        "warning",
        "an optional parameter of a call is gone",
        "Receivers that use it when present never see it again.",
    ),
    (
        "webhook-parameter-added",
        "info",
        "the API sends a new parameter in a call",
        "Receivers ignore parameters they do not know.",
    ),
    (
        "webhook-body-removed",
        "breaking",
        "the body the API sent in a call is gone",
        "Receivers parse a body that no longer comes.",
    ),
    (
        "webhook-body-became-optional",
        "breaking",
        "the body the API always sent in a call may now be missing",
        "Receivers parse a body on every call and fail when there is none.",
    ),
    (
        "webhook-body-became-required",
        "info",
        "the API now always sends a call's body",
        "Receivers that handled a missing body keep working; the rest never saw one missing.",
    ),
    (
        "webhook-body-added",
        "info",
        "the API sends a body in a call that had none",
        "Receivers that read no body are unaffected.",
    ),
    (
        "webhook-media-type-added",
        "breaking",
        "the API may send a call's body in a new content type",
        "Receivers parse the content types they were told about and fail on the new one.",
    ),
    (
        "webhook-media-type-removed",
        "info",
        "the API no longer sends a call's body in one content type",
        "Receivers keep getting a content type they already read.",
    ),
    (
        "webhook-success-status-removed",
        "breaking",
        "a success status receivers may answer a call with is gone",
        "Receivers that answer with it are now treated as failing (and may be retried).",
    ),
    (
        "webhook-status-added",
        "info",
        "a status receivers may answer a call with was added",
        "Receivers keep answering with the statuses they did.",
    ),
)


def _call(
    out: ChangeList,
    old: tuple[Mapping[str, Any], Mapping[str, Any]],
    new: tuple[Mapping[str, Any], Mapping[str, Any]],
    loc: Loc,
) -> None:
    (old_item, old_op), (new_item, new_op) = old, new
    old_p = operation_parameters("", old_item, old_op)
    new_p = operation_parameters("", new_item, new_op)
    for key, param in old_p.items():
        ploc = (*loc, "parameters", key[0], str(param.get("name")))
        label = f"{key[0]} parameter {param.get('name')!r}"
        after = new_p.get(key)
        if after is None:
            rule = (
                "webhook-required-parameter-removed"
                if param.get("required")
                else "webhook-optional-parameter-removed"
            )
            out.emit(rule, ploc, f"the API no longer sends {label}")
            continue
        if param.get("required") and not after.get("required"):
            out.emit("webhook-parameter-became-optional", ploc, f"{label} may now be missing")
        if isinstance(param.get("schema"), Mapping) and isinstance(after.get("schema"), Mapping):
            compare_schemas(out, param["schema"], after["schema"], (*ploc, "schema"), "response")
    for key, param in new_p.items():
        if key not in old_p:
            out.emit(
                "webhook-parameter-added",
                (*loc, "parameters", key[0], str(param.get("name"))),
                f"the API now sends {key[0]} parameter {param.get('name')!r}",
            )
    _body(out, old_op.get("requestBody"), new_op.get("requestBody"), (*loc, "requestBody"))
    _answers(out, old_op.get("responses") or {}, new_op.get("responses") or {}, (*loc, "responses"))


def _body(out: ChangeList, old: Any, new: Any, loc: Loc) -> None:
    if not isinstance(old, Mapping) and not isinstance(new, Mapping):
        return
    if not isinstance(new, Mapping):
        out.emit("webhook-body-removed", loc, "the API no longer sends a body")
        return
    if not isinstance(old, Mapping):
        out.emit("webhook-body-added", loc, "the API now sends a body")
        return
    if old.get("required") and not new.get("required"):
        out.emit("webhook-body-became-optional", loc, "the body may now be missing")
    elif new.get("required") and not old.get("required"):
        out.emit("webhook-body-became-required", loc, "the body is now always sent")
    compare_content(
        out,
        old.get("content") or {},
        new.get("content") or {},
        (*loc, "content"),
        "response",
        media_rules=("webhook-media-type-removed", "webhook-media-type-added"),
    )


def _answers(out: ChangeList, old: Mapping[str, Any], new: Mapping[str, Any], loc: Loc) -> None:
    """What receivers answer, compared as requests: the API is the one who reads it."""
    old_s = {str(k).upper(): k for k in old}
    new_s = {str(k).upper(): k for k in new}
    for status, raw in old_s.items():
        if status not in new_s and status.startswith("2"):
            out.emit(
                "webhook-success-status-removed",
                (*loc, str(raw)),
                f"answer {raw} is no longer expected",
            )
    for status, raw in new_s.items():
        if status not in old_s:
            out.emit("webhook-status-added", (*loc, str(raw)), f"answer {raw} is now expected")
            continue
        before, after = old[old_s[status]] or {}, new[raw] or {}
        compare_content(
            out,
            before.get("content") or {},
            after.get("content") or {},
            (*loc, str(raw), "content"),
            "request",
        )
