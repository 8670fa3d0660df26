"""Connexion's own mock (`MockResolver(mock_all=True)`) on specs/quiva.yaml, as a uvicorn app.

Equivalent to `connexion run specs/quiva.yaml --mock=all`, served by `bench/run.py` under
uvicorn with the same settings as the other Python servers. Connexion answers 401 to every
secured operation unless the security schemes name an info function, so this gives both
of quiva's schemes a permissive one (`x-bearerInfoFunc` / `x-apikeyInfoFunc`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from connexion import AsyncApp
from connexion.mock import MockResolver

SPEC = Path(__file__).resolve().parents[2] / "specs" / "quiva.yaml"


def accept_token(token: str) -> dict[str, Any]:
    """Any bearer token is a valid one."""
    return {"sub": "bench"}


def accept_api_key(key: str, required_scopes: Any = None) -> dict[str, Any]:
    """Any API key is a valid one."""
    return {"sub": "bench"}


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    for scheme in spec["components"]["securitySchemes"].values():
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
            scheme["x-bearerInfoFunc"] = f"{__name__}.accept_token"
        elif scheme.get("type") == "apiKey":
            scheme["x-apikeyInfoFunc"] = f"{__name__}.accept_api_key"
    return spec


app = AsyncApp(__name__)
app.add_api(_spec(), resolver=MockResolver(mock_all=True))
