"""Errors flowcontract raises about its *input*: specs, scenarios, configuration, usage.

These are misuse, not findings. A defect of the API under test is a finding
(`contracts.findings`), never an exception.

    FlowcontractError            one line: where (file:line:col) and what; stable `code`
    ├── SpecError                a spec cannot be read, parsed, resolved or validated
    │   └── RemoteRefError       a spec refers to a remote document (never fetched)
    ├── ScenariosError           a scenarios file is unreadable or names what the spec lacks
    ├── InputRefusedError        a file refused before it is read whole: too large, not a
    │                            regular file, aliases that expand without bound (exit 2
    │                            everywhere, lint included: it is not a defect to report)
    └── UsageError               a command line or option that cannot work
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "FlowcontractError",
    "InputRefusedError",
    "RemoteRefError",
    "ScenariosError",
    "SpecError",
    "UsageError",
]


class FlowcontractError(Exception):
    """Misuse of the tool or a bad input file, reported as one line."""

    code = "flowcontract-error"

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.message}"


class SpecError(FlowcontractError):
    code = "spec-invalid"


class RemoteRefError(SpecError):
    code = "spec-remote-ref"


class ScenariosError(FlowcontractError):
    code = "scenarios-invalid"


class InputRefusedError(FlowcontractError):
    code = "input-refused"


class UsageError(FlowcontractError):
    code = "usage"
