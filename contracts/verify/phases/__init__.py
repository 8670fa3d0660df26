"""The four phases of `contracts verify`, each a function of a `PhaseContext`."""

from __future__ import annotations

from collections.abc import Callable

from ..findings import PhaseResult
from . import errors, examples, properties, stateful
from .context import PhaseContext

__all__ = ["PHASE_RUNNERS", "PhaseContext"]

PHASE_RUNNERS: dict[str, Callable[[PhaseContext], PhaseResult]] = {
    "examples": examples.run,
    "errors": errors.run,
    "properties": properties.run,
    "stateful": stateful.run,
}
