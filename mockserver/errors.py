"""The mock's own errors: problems with *how the mock was asked*, not with the API.

Each has a stable `code` (documented in docs/mock.md) and is answered as
`application/problem+json` with status 422, so it can never be mistaken for a
documented answer of the API being mocked.

    MockError
    ├── PreferenceUnsatisfiable   Prefer / __code / __example names no documented response
    └── PreferenceMalformed       Prefer / __code is not of the documented form
"""

from __future__ import annotations

__all__ = ["PROBLEM_JSON", "MockError", "PreferenceMalformed", "PreferenceUnsatisfiable", "problem"]

PROBLEM_JSON = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str) -> dict[str, object]:
    """An RFC 9457 problem document with the mock's stable `code`: the one shape every
    mock-level answer has, so none can be mistaken for an API's own error."""
    return {
        "type": f"https://flowcontract.dev/mock-errors/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }


class MockError(Exception):
    code = "mock-error"
    status = 422
    title = "The mock cannot answer this request as asked"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def problem(self) -> dict[str, object]:
        return problem(self.status, self.code, self.title, self.detail)


class PreferenceUnsatisfiable(MockError):
    code = "prefer-unsatisfiable"
    title = "No documented response satisfies the preference"


class PreferenceMalformed(MockError):
    code = "prefer-malformed"
    title = "The preference is not of the form code=NNN, example=NAME, dynamic=true"
