"""Reading the two documents to compare and comparing them: `diff_documents`, `diff_files`."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..catalog import resolve
from ..errors import SpecError
from ..yamlsource import Source, load_source
from .operations import compare_documents
from .rules import Change, ChangeList

__all__ = ["diff_documents", "diff_files"]


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every classified change from `old` to `new`, both already `$ref`-resolved."""
    out = ChangeList()
    compare_documents(out, old, new)
    return out.changes


def diff_files(old: Path | str, new: Path | str) -> list[Change]:
    """Load and resolve two spec files and diff them (SpecError when unreadable).

    The documents are not validated as OpenAPI (that is `contracts lint`'s job); only
    what the comparison reads must make sense.
    """
    return diff_documents(*_load_both(Path(old), Path(new)))


_PARALLEL_FROM = 256 * 1024  # bytes: below this, a second process costs more than it saves


def _load_both(old: Path, new: Path) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Both documents; large ones are parsed side by side (YAML construction is most of a
    big diff, and the two files are independent)."""
    try:
        large = min(old.stat().st_size, new.stat().st_size) >= _PARALLEL_FROM
    except OSError:
        large = False
    if not large or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        return _load(old), _load(new)
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        pending = pool.submit(_load, old)
        loaded_new = _load(new)
        try:
            loaded_old = pending.result()
        except Exception:
            loaded_old = _load(old)
    return loaded_old, loaded_new


def _load(path: Path) -> Mapping[str, Any]:
    # Line numbers are only needed to report an error: load without them, and again with
    # them when there is an error to point at.
    try:
        return _resolve(load_source(path, SpecError, positions=False))
    except SpecError as exc:
        if exc.line is None and path.is_file():
            _resolve(load_source(path, SpecError))
        raise


def _resolve(source: Source) -> dict[str, Any]:
    if "x-" in source.text:  # a whole walk less for the documents without extensions
        source = replace(source, data=without_extension_refs(source.data))
    return resolve(source, validate=False, read_only=True)


def without_extension_refs(node: Any, inside: bool = False) -> Any:
    """`node` with the `$ref`s to other files that sit inside `x-` extensions taken out.

    An extension's content is not OpenAPI: a `$ref` in it (`x-doc: {$ref: intro.md}`)
    may point at anything, Markdown included, and is not a Reference Object to resolve.
    The diff compares no extension but `x-extensible-enum` (a list of values), so leaving
    such references unfollowed changes nothing it reads. Local ones (`#/...`) stay: they
    cost nothing to inline and a document may refer into an extension of its own.
    Nodes holding no such reference are returned as they are (no copy).
    """
    if isinstance(node, Mapping):
        kept: dict[str, Any] = {}
        changed = False
        for key, value in node.items():
            if inside and key == "$ref" and not (isinstance(value, str) and value.startswith("#")):
                changed = True
                continue
            extension = inside or (isinstance(key, str) and key.startswith("x-"))
            kept[key] = inner = without_extension_refs(value, extension)
            changed = changed or inner is not value
        return kept if changed else node
    if isinstance(node, list):
        items = [without_extension_refs(v, inside) for v in node]
        return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
    return node
