"""Deliberately broken implementations: each differs from its correct app in ONE realistic way.

Every variant names the check that must catch it: Schemathesis 4.x's own check names where one
applies, flowcontract's for documented cases (`documented_error`: a scenario case answered with
the wrong status, shape or message; `example_response`: a documented request example answered
wrong; `fresh_ids`: the same id across repeated requests). `expected_check` lists every check
name that rightly reports the defect, `|`-separated, the most specific first.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp

from .altostrat import Altostrat
from .example import Example
from .pharen import Pharen, Workflow
from .quiva import Quiva
from .wiv import ACCOUNTS, Account, Wiv

__all__ = ["BROKEN", "KINDS", "Variant"]

KINDS = {  # the failure kinds of issue 5, each covered by at least one variant
    "server-error": "a 5xx on some input",
    "undocumented-status": "an undocumented status",
    "wrong-type": "a field of the wrong type or format",
    "missing-field": "a missing required field",
    "wrong-error": "the error in the wrong shape or with the wrong message",
    "wrong-success-status": "a wrong success status",
    "enum": "an enum value outside the spec",
    "auth": "auth not enforced",
    "invalid-input-accepted": "invalid input accepted",
    "frozen-id": "the frozen example id returned every time",
}


@dataclass(frozen=True)
class Variant:
    api: str
    defect: str
    expected_check: str  # check names that catch it, `|`-separated, most specific first
    factory: Callable[[], ASGIApp]
    kind: str = ""  # a key of KINDS

    @property
    def checks(self) -> tuple[str, ...]:
        return tuple(self.expected_check.split("|"))


BROKEN: dict[str, Variant] = {}
_App = TypeVar("_App", bound=type[Any])


def broken(name: str, *, kind: str, check: str) -> Callable[[_App], _App]:
    """Register the decorated app class under `name`; its docstring is the defect."""

    def register(cls: _App) -> _App:
        assert kind in KINDS, kind
        BROKEN[name] = Variant(
            api=cls.API,
            defect=inspect.cleandoc(cls.__doc__ or ""),
            expected_check=check,
            factory=cls.build,
            kind=kind,
        )
        return cls

    return register


# -- quiva ----------------------------------------------------------------------------------


@broken("quiva-archived-wrong-message", kind="wrong-error", check="documented_error")
class QuivaArchivedWrongMessage(Quiva):
    """An archived flow is refused with "flow archived", not "cannot run an archived flow"."""

    REFUSALS: ClassVar[Mapping[str, str]] = {**Quiva.REFUSALS, "archived": "flow archived"}


@broken(
    "quiva-tracking-id-format",
    kind="wrong-type",
    check="response_schema_conformance|example_response",
)
class QuivaTrackingIdFormat(Quiva):
    """trackingId is a bare `run-<uuid>`, not `ms.hub.run.<id>.ms.hub.config.workflow.<c>.<f>`."""

    def tracking_id(self, collection: str, flow: str) -> str:
        return f"run-{super().tracking_id(collection, flow).split('.')[3]}"


@broken(
    "quiva-batch-run-500", kind="server-error", check="not_a_server_error|status_code_conformance"
)
class QuivaBatchRun500(Quiva):
    """Only ever tested with one trigger: a `triggers` batch of several crashes (500).
    The documented `multipleTriggers` example reaches it."""

    def no_trigger(self, body: dict[str, Any], triggers: list[dict[str, Any]]) -> bool:
        if len(triggers) > 1:
            raise RuntimeError("batch runs are not implemented")
        return not triggers


# -- wiv ------------------------------------------------------------------------------------


@broken("wiv-frozen-execution-id", kind="frozen-id", check="fresh_ids")
class WivFrozenExecutionId(Wiv):
    """Every run answers with the docs' execution_id `exec_abc123def456`."""

    def execution_id(self) -> str:
        return "exec_abc123def456"


@broken(
    "wiv-trigger-type-manual",
    kind="enum",
    check="response_schema_conformance|example_response",
)
class WivTriggerTypeManual(Wiv):
    """trigger_type is "manual", outside the documented enum (`MANUAL`)."""

    TRIGGER_TYPE = "manual"


@broken(
    "wiv-auth-not-enforced",
    kind="auth",
    check="ignored_auth|missing_required_header|documented_error",
)
class WivAuthNotEnforced(Wiv):
    """X-API-KEY is never checked: a request without it runs as the default account (no 401)."""

    def account(self, request: Request) -> Account | None:
        return super().account(request) or ACCOUNTS["wiv_test_api_key"]


# -- altostrat ------------------------------------------------------------------------------


@broken("altostrat-200-not-202", kind="wrong-success-status", check="status_code_conformance")
class Altostrat200Not202(Altostrat):
    """An accepted run is answered with 200 where the contract documents only 202."""

    ACCEPTED = 200


@broken(
    "altostrat-status-queued",
    kind="enum",
    check="response_schema_conformance|example_response",
)
class AltostratStatusQueued(Altostrat):
    """A new run has status "queued", outside the documented enum (pending, running, ...)."""

    INITIAL_STATUS = "queued"


@broken(
    "altostrat-detail-errors",
    kind="wrong-error",
    check="documented_error|response_schema_conformance",
)
class AltostratDetailErrors(Altostrat):
    """Errors come back FastAPI-style, `{"detail": "..."}`, not `{type, code, message, doc_url}`."""

    def error(self, status: int, message: str | None = None) -> JSONResponse:
        return JSONResponse({"detail": message or "Not Found"}, status_code=status)


@broken("altostrat-frozen-run-id", kind="frozen-id", check="fresh_ids")
class AltostratFrozenRunId(Altostrat):
    """Every run answers with the docs' example id `fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4`."""

    def run_id(self) -> str:
        return "fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4"


# -- pharen ---------------------------------------------------------------------------------


@broken(
    "pharen-422-validation",
    kind="undocumented-status",
    check="status_code_conformance|documented_error",
)
class Pharen422Validation(Pharen):
    """Malformed requests (missing team_id, bad body) get 422, which pharen does not document."""

    INVALID = 422


@broken(
    "pharen-missing-started-at",
    kind="missing-field",
    check="response_schema_conformance|example_response",
)
class PharenMissingStartedAt(Pharen):
    """The run omits the required `started_at`."""

    def run_record(self, workflow_uuid: str, status: str) -> dict[str, Any]:
        record = super().run_record(workflow_uuid, status)
        del record["started_at"]
        return record


@broken("pharen-stream-ends-with-done", kind="enum", check="response_schema_conformance")
class PharenStreamEndsWithDone(Pharen):
    """The stream's last event is named `done`, not `run` (the contract's events are
    `progress` and `run`)."""

    async def events(self, workflow_uuid: str, workflow: Workflow) -> AsyncIterator[str]:
        async for event in super().events(workflow_uuid, workflow):
            yield event.replace("event: run\n", "event: done\n")


@broken("pharen-streaming-scope-ignored", kind="auth", check="documented_error")
class PharenStreamingScopeIgnored(Pharen):
    """stream=true is allowed for any key with workflows:run (phk_no_stream gets 200, not 403)."""

    def may_stream(self, scopes: frozenset[str]) -> bool:
        return True


# -- example --------------------------------------------------------------------------------


@broken(
    "example-dust-test-and-simulate",
    kind="invalid-input-accepted",
    check="negative_data_rejection|documented_error",
)
class ExampleDustTestAndSimulate(Example):
    """dustTest and simulate both true is accepted (200) although they are mutually exclusive."""

    def check_exclusive(self, body: dict[str, Any]) -> None:
        pass


@broken(
    "example-run-id-without-prefix",
    kind="invalid-input-accepted",
    check="negative_data_rejection|documented_error|response_schema_conformance",
)
class ExampleRunIdWithoutPrefix(Example):
    """A runId without the `run_` prefix is accepted (200) and echoed."""

    def check_run_id(self, run_id: str | None) -> None:
        pass


@broken(
    "example-code-as-string",
    kind="wrong-type",
    check="response_schema_conformance|example_response",
)
class ExampleCodeAsString(Example):
    """The envelope's `code` is a string ("200"), not the documented integer."""

    def envelope(self, status: int, message: str, **extra: Any) -> JSONResponse:
        body = {"code": str(status), "message": message, **extra, "requestId": str(uuid.uuid4())}
        return JSONResponse(body, status_code=status)


@broken(
    "example-archived-409",
    kind="undocumented-status",
    check="documented_error|status_code_conformance",
)
class ExampleArchived409(Example):
    """An archived workflow is refused with 409 Conflict; the contract documents 400."""

    ARCHIVED = 409
