"""How one `contracts verify` run is configured: one keyword-only dataclass, defaults here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .findings import PHASES

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "MAX_RESPONSE_BYTES",
    "REQUEST_TIMEOUT",
    "VerifyOptions",
]

DEFAULT_MAX_EXAMPLES = 50
REQUEST_TIMEOUT = 10.0  # seconds, per request: connect, each read and the whole response
MAX_RESPONSE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    """Everything a run needs besides the contract itself.

    Attributes:
        base_url: where the implementation under test is served.
        scenarios: a scenarios file naming the implementation's own data (default: the
            file beside the spec).
        token: token that replaces the scenarios' `default` credential, sent for every
            http bearer, oauth2 and openIdConnect scheme an operation accepts.
        api_key: API key that replaces the scenarios' `default` credential, sent for
            every apiKey scheme an operation accepts, in its declared place.
        basic: `USER:PASS` for every http basic scheme an operation accepts.
        headers: extra headers sent with every request.
        phases: which phases to run, in this order.
        max_examples: Hypothesis examples per operation in the properties phase.
        seed: makes the properties phase reproducible; random when None.
        workers: phases, cases and Schemathesis operations run this many at a time.
        request_timeout: seconds one exchange may take, from connect to the body's end.
        max_response_bytes: the most of a response body read.
        deadline: seconds the whole run may take; None: no limit.
    """

    base_url: str
    scenarios: Path | None = None
    token: str | None = None
    api_key: str | None = None
    basic: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    phases: tuple[str, ...] = PHASES
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    workers: int = 1
    request_timeout: float = REQUEST_TIMEOUT
    max_response_bytes: int = MAX_RESPONSE_BYTES
    deadline: float | None = None
