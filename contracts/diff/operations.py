"""Paths and operations: the document-level walk that hands each operation's parts to
the area that compares them (parameters, bodies, responses, security, callbacks), then
the document's webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..catalog import HTTP_METHODS
from .bodies import compare_request_body
from .parameters import compare_parameters, operation_parameters
from .responses import compare_responses
from .rules import ChangeList, declare
from .security import compare_security, compare_security_schemes
from .webhooks import compare_callbacks, compare_webhooks

__all__ = ["compare_documents", "normalise_path"]

Doc = Mapping[str, Any]
Loc = tuple[str, ...]


def normalise_path(path: str) -> str:
    """`/a/{id}/b` → `/a/{}/b`: operations match whatever their parameters are called."""
    out, depth = [], 0
    for ch in path:
        if ch == "{":
            depth += 1
            if depth == 1:
                out.append("{}")
            continue
        if ch == "}":
            depth = max(depth - 1, 0)
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out).rstrip("/") or "/"


declare(
    "operations",
    (
        "path-removed",
        "breaking",
        "a path was removed",
        "Old clients calling it get 404 instead of an answer.",
    ),
    ("path-added", "info", "a path was added", "Old clients do not call it."),
)


def compare_documents(out: ChangeList, old: Doc, new: Doc) -> None:
    """Two resolved documents: paths, then the security schemes they share."""
    old_paths = {normalise_path(p): p for p in (old.get("paths") or {})}
    new_paths = {normalise_path(p): p for p in (new.get("paths") or {})}
    for key, old_path in old_paths.items():
        old_item = old["paths"][old_path] or {}
        if key not in new_paths:
            out.emit("path-removed", ("paths", old_path), f"path {old_path} was removed")
            continue
        new_path = new_paths[key]
        _path_item(out, old, new, old_path, new_path, old_item, new["paths"][new_path] or {})
    for key, new_path in new_paths.items():
        if key not in old_paths:
            out.emit("path-added", ("paths", new_path), f"path {new_path} was added")
    compare_webhooks(out, old, new)
    compare_security_schemes(out, old, new)


declare(
    "operations",
    (
        "operation-removed",
        "breaking",
        "an operation was removed",
        "Old clients calling it get 404/405 instead of an answer.",
    ),
    ("operation-added", "info", "an operation was added", "Old clients do not call it."),
)


def _path_item(
    out: ChangeList,
    old_doc: Doc,
    new_doc: Doc,
    old_path: str,
    new_path: str,
    old_item: Mapping[str, Any],
    new_item: Mapping[str, Any],
) -> None:
    for method in HTTP_METHODS:
        old_op, new_op = old_item.get(method), new_item.get(method)
        loc = ("paths", new_path, method)
        if isinstance(old_op, Mapping) and not isinstance(new_op, Mapping):
            out.emit(
                "operation-removed",
                ("paths", old_path, method),
                f"{method.upper()} {old_path} was removed",
            )
        elif isinstance(new_op, Mapping) and not isinstance(old_op, Mapping):
            out.emit("operation-added", loc, f"{method.upper()} {new_path} was added")
        elif isinstance(old_op, Mapping) and isinstance(new_op, Mapping):
            _operation(
                out,
                old_doc,
                new_doc,
                (old_path, old_item, old_op),
                (new_path, new_item, new_op),
                loc,
            )


declare(
    "operations",
    (
        "operation-deprecated",
        "info",
        "an operation was deprecated",
        "It still works; clients should plan to move off it before it is removed.",
    ),
    (
        "operation-undeprecated",
        "info",
        "an operation is no longer deprecated",
        "Nothing changes for clients.",
    ),
    (
        "operation-id-changed",
        "warning",
        "an operationId changed",
        "Generated clients name methods after operationId; regenerating renames the method.",
    ),
)

Side = tuple[str, Mapping[str, Any], Mapping[str, Any]]  # path, path item, operation


def _operation(out: ChangeList, old_doc: Doc, new_doc: Doc, old: Side, new: Side, loc: Loc) -> None:
    (old_path, old_item, old_op), (new_path, new_item, new_op) = old, new
    name = f"{loc[2].upper()} {new_path}"
    if new_op.get("deprecated") and not old_op.get("deprecated"):
        out.emit("operation-deprecated", loc, f"{name} is deprecated")
    elif old_op.get("deprecated") and not new_op.get("deprecated"):
        out.emit("operation-undeprecated", loc, f"{name} is no longer deprecated")
    old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
    if old_id and old_id != new_id:
        out.emit(
            "operation-id-changed",
            (*loc, "operationId"),
            f"operationId {old_id!r} is now {new_id!r}"
            if new_id
            else f"operationId {old_id!r} was removed",
        )
    compare_parameters(
        out,
        operation_parameters(old_path, old_item, old_op),
        operation_parameters(new_path, new_item, new_op),
        loc,
    )
    compare_request_body(out, old_op.get("requestBody"), new_op.get("requestBody"), loc)
    compare_responses(out, old_op.get("responses") or {}, new_op.get("responses") or {}, loc)
    compare_security(
        out,
        old_op["security"] if "security" in old_op else old_doc.get("security"),
        new_op["security"] if "security" in new_op else new_doc.get("security"),
        (*loc, "security"),
    )
    compare_callbacks(out, old_op.get("callbacks"), new_op.get("callbacks"), loc)
