"""`mockserver serve`: serve the contracts as mock APIs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    print("mockserver: not implemented yet", file=sys.stderr)
    return 2
