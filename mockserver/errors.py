"""The mock's own errors: problems with *how the mock was asked*, not with the API.

Each has a stable `code` (documented in README.md) and is answered as
`application/problem+json` with status 422, so it can never be mistaken for a
documented answer of the API being mocked.

    MockError
    ├── PreferenceUnsatisfiable   Prefer / __code / __example names no documented response
    └── PreferenceMalformed       Prefer / __code is not of the documented form
"""

from __future__ import annotations

__all__ = ["MockError", "PreferenceMalformed", "PreferenceUnsatisfiable"]


class MockError(Exception):
    code = "mock-error"
    status = 422
    title = "The mock cannot answer this request as asked"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def problem(self) -> dict[str, object]:
        return {
            "type": f"https://flowcontract.dev/mock-errors/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }


class PreferenceUnsatisfiable(MockError):
    code = "prefer-unsatisfiable"
    title = "No documented response satisfies the preference"


class PreferenceMalformed(MockError):
    code = "prefer-malformed"
    title = "The preference is not of the form code=NNN, example=NAME, dynamic=true"
