"""Parameters (path, query, header, cookie) matched across versions and compared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..pathtemplates import template_names
from .bodies import compare_content
from .rules import ChangeList, declare
from .schemas import compare_schemas

__all__ = ["compare_parameters", "operation_parameters"]

Param = Mapping[str, Any]
Loc = tuple[str, ...]


def operation_parameters(
    path: str, item: Mapping[str, Any], op: Mapping[str, Any]
) -> dict[tuple[str, str], Param]:
    """Parameters keyed so that they match across versions: path ones by position."""
    positions = {name: str(i) for i, name in enumerate(template_names(path))}
    out: dict[tuple[str, str], Param] = {}
    for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        if not isinstance(param, Mapping):
            continue
        where, pname = str(param.get("in")), str(param.get("name"))
        if where == "path":
            key = ("path", positions.get(pname, pname))
        elif where == "header":
            key = ("header", pname.lower())
        else:
            key = (where, pname)
        out[key] = param  # operation-level parameters override path-level ones
    return out


def serialization(param: Param) -> tuple[str, bool]:
    """A parameter's (style, explode) with the defaults OpenAPI gives them spelled out."""
    where = param.get("in")
    style = str(param.get("style") or ("form" if where in {"query", "cookie"} else "simple"))
    explode = param.get("explode")
    return style, bool(explode) if explode is not None else style == "form"


declare(
    "parameters",
    (
        "request-parameter-added-required",
        "breaking",
        "a required parameter or header was added",
        "Old clients do not send it, so their requests are now refused.",
    ),
    (
        "request-parameter-added",
        "info",
        "an optional parameter was added",
        "Old clients may omit it; nothing changes.",
    ),
    (
        "request-parameter-removed",
        "warning",
        "a parameter was removed",
        "Old clients still send it; the server may ignore it silently or refuse the request.",
    ),
    (
        "request-parameter-became-required",
        "breaking",
        "a parameter became required",
        "Old clients that omit it have their requests refused.",
    ),
    (
        "request-parameter-became-optional",
        "info",
        "a parameter became optional",
        "Old clients send it anyway; nothing changes.",
    ),
    (
        "request-parameter-serialization-changed",
        "breaking",
        "a parameter's style or explode changed",
        "Old clients serialise the value the old way, which the server now parses differently.",
    ),
    (
        "path-parameter-renamed",
        "info",
        "a path parameter was renamed",
        "The URL clients build is the same; only generated code sees a new name.",
    ),
    (
        "request-parameter-deprecated",
        "info",
        "a parameter was deprecated",
        "It still works; clients should stop sending it.",
    ),
)


def compare_parameters(
    out: ChangeList,
    old: Mapping[tuple[str, str], Param],
    new: Mapping[tuple[str, str], Param],
    loc: Loc,
) -> None:
    """The parameters of one operation, old against new (from `operation_parameters`)."""
    for key, param in old.items():
        if key not in new:
            out.emit(
                "request-parameter-removed",
                (*loc, "parameters", key[0], str(param.get("name"))),
                f"{key[0]} parameter {param.get('name')!r} was removed",
            )
    for key, param in new.items():
        ploc = (*loc, "parameters", key[0], str(param.get("name")))
        label = f"{key[0]} parameter {param.get('name')!r}"
        if key not in old:
            if param.get("required"):
                out.emit("request-parameter-added-required", ploc, f"required {label} was added")
            else:
                out.emit("request-parameter-added", ploc, f"optional {label} was added")
            continue
        before = old[key]
        if key[0] == "path" and before.get("name") != param.get("name"):
            out.emit(
                "path-parameter-renamed",
                ploc,
                f"path parameter {before.get('name')!r} is now called {param.get('name')!r}",
            )
        if param.get("required") and not before.get("required"):
            out.emit("request-parameter-became-required", ploc, f"{label} became required")
        elif before.get("required") and not param.get("required"):
            out.emit("request-parameter-became-optional", ploc, f"{label} became optional")
        if param.get("deprecated") and not before.get("deprecated"):
            out.emit("request-parameter-deprecated", ploc, f"{label} is deprecated")
        old_style, new_style = serialization(before), serialization(param)
        if old_style != new_style:
            out.emit(
                "request-parameter-serialization-changed",
                ploc,
                f"{label}: style/explode {old_style[0]}/{old_style[1]} is now "
                f"{new_style[0]}/{new_style[1]}",
            )
        if isinstance(before.get("schema"), Mapping) and isinstance(param.get("schema"), Mapping):
            compare_schemas(out, before["schema"], param["schema"], (*ploc, "schema"), "request")
        elif isinstance(before.get("content"), Mapping) and isinstance(
            param.get("content"), Mapping
        ):
            compare_content(out, before["content"], param["content"], (*ploc, "content"), "request")
