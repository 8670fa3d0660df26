"""flowcontract's mock server: serves every contract in specs/ the way the real API answers."""

from __future__ import annotations

__all__: list[str] = []
