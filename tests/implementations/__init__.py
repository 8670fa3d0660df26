"""Implementations under test for `contracts verify`: one correct app per API, broken variants.

Each app is a small Starlette backend written by hand from the vendor's documentation, as a real
team would (not generated from the spec, not the mock). `verify` must find nothing in a CORRECT
app and must report every BROKEN variant with one of its `expected_check` names.

    from tests.implementations import BROKEN, CORRECT, serve
    with serve(CORRECT["quiva"]()) as base_url: ...          # http://127.0.0.1:PORT
    with serve(BROKEN["altostrat-200-not-202"].factory()) as base_url: ...

Paths are exactly the specs' (no prefix). The apps accept only the scenarios files' credentials
(`qv_test_token`, `X-Api-Key: qv_test_api_key`, `wiv_test_api_key`, `alto_test_token`,
`phk_your_api_key` / `phk_no_scope` / `phk_no_stream`, `ex_test_token`) and answer 401 to any
other, as a real backend does, and hold the fixtures of docs/mock.md's table.
`python -m tests.implementations NAME [--port N]` serves one of them by API id or variant name.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp

from mockserver.serving import serve

from .altostrat import Altostrat
from .broken import BROKEN, KINDS, Variant
from .example import Example
from .pharen import Pharen
from .quiva import Quiva
from .wiv import Wiv

__all__ = ["BROKEN", "CORRECT", "KINDS", "Variant", "app_factory", "serve"]

CORRECT: dict[str, Callable[[], ASGIApp]] = {
    "quiva": Quiva.build,
    "wiv": Wiv.build,
    "altostrat": Altostrat.build,
    "pharen": Pharen.build,
    "example": Example.build,
}


def app_factory(name: str) -> Callable[[], ASGIApp]:
    """The factory of a correct app (by API id) or of a broken variant (by its name)."""
    if name in CORRECT:
        return CORRECT[name]
    if name in BROKEN:
        return BROKEN[name].factory
    raise KeyError(f"no implementation {name!r}: one of {', '.join([*CORRECT, *BROKEN])}")
