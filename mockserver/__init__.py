"""flowcontract's mock server: serves every contract in specs/ the way the real API answers."""

from __future__ import annotations

import warnings

# Connexion 3.3 imports starlette.testclient at import time, which warns about httpx on
# Starlette >= 1.0; it is not ours to fix and must not greet every user of `mockserver`.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")

__all__: list[str] = []
