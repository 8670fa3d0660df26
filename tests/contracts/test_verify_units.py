"""Units of `contracts verify` that need no server: render templates, reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from contracts.requests import Request
from contracts.verify import Finding, PhaseResult, Report, render_json, render_junit
from contracts.verify.phases.errors import without_rendered
from contracts.verify.templates import MISSING, rules_for

REQUEST = Request(
    path={"workflow_id": "wf_1", "flow_topic": "t"},
    body={"payload": {"a": 1}},
    has_body=True,
)


def test_a_whole_reference_is_an_echo_of_the_request() -> None:
    (rule,) = rules_for({"data.payload": ["{body.payload}", {}]}, REQUEST)
    assert rule.echo == {"a": 1} and rule.references == ("body.payload",)


def test_the_first_alternative_that_applies_wins() -> None:
    (rule,) = rules_for({"data.runId": ["{body.runId}", "run_{alnum:12}"]}, REQUEST)
    assert rule.echo is MISSING and rule.generates
    assert rule.generated_parts("run_abc") == ("abc",)
    assert rule.generated_parts("abc") is None


def test_a_mixed_template_embeds_request_values_and_captures_generated_parts() -> None:
    (rule,) = rules_for({"trackingId": "ms.hub.run.{uuid}.workflow.{path.flow_topic}"}, REQUEST)
    assert rule.generated_parts("ms.hub.run.1-2.workflow.t") == ("1-2",)
    assert rule.generated_parts("ms.hub.run.1-2.workflow.other") is None


def test_timestamps_are_neither_echoes_nor_ids() -> None:
    (rule,) = rules_for({"started_at": "{now}"}, REQUEST)
    assert not rule.generates and rule.echo is MISSING


def test_rendered_fields_are_left_out_of_an_exact_comparison() -> None:
    body = {"code": 400, "message": "archived", "requestId": "x", "data": {"id": 1, "k": 2}}
    assert without_rendered(body, {"requestId": "{uuid}", "data.id": "{uuid}"}) == {
        "code": 400,
        "message": "archived",
        "data": {"k": 2},
    }
    assert body["data"] == {"id": 1, "k": 2}  # the original is untouched


def _report() -> Report:
    phase = PhaseResult(name="errors", requests=2)
    phase.count("documented_error", "archived", failed=1)
    phase.count("documented_error", "missing", passed=1)
    phase.add(
        Finding(
            phase="errors",
            check="documented_error",
            operation="POST /run",
            expected="400 with example 'ArchivedFlow'",
            actual='200 application/json {"ok": true}',
            curl="curl -X POST http://127.0.0.1/run",
            case="archived",
        )
    )
    skipped = PhaseResult(name="stateful", skipped="no scenarios file")
    return Report(api="quiva", base_url="http://127.0.0.1", seed=3, phases=[phase, skipped])


def test_junit_has_a_testcase_per_check_and_case() -> None:
    root = ET.fromstring(render_junit(_report()))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"documented_error[archived]", "documented_error[missing]", "stateful"}
    failure = cases["documented_error[archived]"].find("failure")
    assert failure is not None and failure.get("type") == "documented_error"
    assert "curl -X POST" in (failure.text or "")
    assert cases["stateful"].find("skipped") is not None


def test_json_report_is_the_findings_as_data() -> None:
    data = json.loads(render_json(_report()))
    assert data["conforms"] is False and data["seed"] == 3
    assert data["phases"][0]["passed"] == 1 and data["phases"][0]["failed"] == 1
    assert data["findings"][0]["check"] == "documented_error"
