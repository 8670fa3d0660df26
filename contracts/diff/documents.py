"""Reading the two documents to compare and comparing them: `diff_documents`, `diff_files`."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..catalog import resolve
from ..errors import SpecError
from ..yamlsource import load_source
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
        return resolve(
            load_source(path, SpecError, positions=False), validate=False, read_only=True
        )
    except SpecError as exc:
        if exc.line is None and path.is_file():
            resolve(load_source(path, SpecError), validate=False, read_only=True)
        raise
