"""Classify every change between two versions of a contract, from the client's side.

Both documents are compared *after* `$ref` resolution, so moving a schema into
`components` or inlining it is not a change. A change is **breaking** when a request the
old contract allowed may now be refused, or a response the new contract allows may not be
readable by a client written against the old one; **warning** when it may break some
clients or changes behaviour silently; **info** when old clients are unaffected.

One module per OpenAPI area, each declaring its rules (`rules.declare`: level, summary,
why) beside the code that emits them:

- `operations`: paths and operations, the document-level walk
- `parameters`, `bodies` (request bodies, media types), `responses` (statuses, headers)
- `security`: requirements and schemes
- `schemas` (types, properties, composition), `constraints` (format, enum, bounds,
  pattern, default): compared with the direction of the data in mind — tightening a
  request constraint refuses old requests, loosening a response constraint sends old
  clients values they never expected
- `documents` (`diff_documents`, `diff_files`), `gitref` (`diff_against_ref`)
- `command`: the `contracts diff` command line (not imported here)
"""

from __future__ import annotations

from .documents import _PARALLEL_FROM as _PARALLEL_FROM
from .documents import _load as _load
from .documents import diff_documents, diff_files
from .gitref import diff_against_ref
from .operations import normalise_path
from .rules import LEVELS, RULES, Change, Level, Rule

__all__ = [
    "LEVELS",
    "RULES",
    "Change",
    "Level",
    "Rule",
    "diff_against_ref",
    "diff_documents",
    "diff_files",
    "normalise_path",
]
