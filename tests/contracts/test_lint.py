"""`contracts.lint`: each rule on a spec with one known defect, at its exact line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.lint import RULES, Finding, lint_spec
from tests.conftest import API_IDS, SPECS

# Line numbers below count from the first line of BASE (line 1: `openapi: ...`).
BASE = """\
openapi: 3.0.3
info: {title: t, version: '1'}
security:
  - bearer: []
paths:
  /runs/{runId}:
    parameters:
      - {name: runId, in: path, required: true, schema: {type: string}}
    post:
      operationId: startRun
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Start'}
            example: {mode: fast}
      responses:
        '200':
          description: started
          content:
            application/json:
              schema:
                type: object
                required: [id, at]
                properties:
                  id: {type: string}
                  at: {type: string, format: date-time}
              example: {id: r1, at: '2025-01-01T00:00:00Z'}
        '401': {$ref: '#/components/responses/Error'}
        '404': {$ref: '#/components/responses/Error'}
components:
  schemas:
    Start:
      type: object
      properties:
        mode: {type: string, enum: [fast, slow]}
    Error:
      type: object
      required: [error]
      properties:
        error: {type: string}
  responses:
    Error:
      description: an error
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Error'}
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"""


def lint_text(tmp_path: Path, text: str, name: str = "svc.yaml") -> list[Finding]:
    path = tmp_path / name
    path.write_text(text)
    return lint_spec(path)


def only(findings: list[Finding]) -> tuple[str, str, int, int]:
    assert len(findings) == 1, findings
    (f,) = findings
    return f.rule, f.severity, f.line, f.col


def test_base_is_clean(tmp_path: Path) -> None:
    assert lint_text(tmp_path, BASE) == []


@pytest.mark.parametrize("api", API_IDS)
def test_our_contracts_are_clean(api: str) -> None:
    assert lint_spec(SPECS / f"{api}.yaml") == []


# (id, old text, new text, rule, line, col)
DEFECTS = [
    (
        "example-invalid-request",
        "example: {mode: fast}",
        "example: {mode: turbo}",
        "example-invalid",
        15,
        13,
    ),
    (
        "example-invalid-date-time",
        "at: '2025-01-01T00:00:00Z'}",
        "at: 'yesterday'}",
        "example-invalid",
        27,
        15,
    ),
    (
        "example-invalid-schema-level-in-components",
        "mode: {type: string, enum: [fast, slow]}",
        "mode: {type: string, enum: [fast, slow], example: warp}",
        "example-invalid",
        35,
        50,
    ),
    (
        "default-invalid",
        "mode: {type: string, enum: [fast, slow]}",
        "mode: {type: string, enum: [fast, slow], default: warp}",
        "default-invalid",
        35,
        50,
    ),
    (
        "ref-unresolved",
        "schema: {$ref: '#/components/schemas/Start'}",
        "schema: {$ref: '#/components/schemas/Begin'}",
        "ref-unresolved",
        14,
        22,
    ),
    (
        "ref-remote",
        "schema: {$ref: '#/components/schemas/Start'}",
        "schema: {$ref: 'https://example.com/s.yaml#/Start'}",
        "ref-remote",
        14,
        22,
    ),
    (
        "oas-invalid",
        "          description: started\n",
        "",
        "oas-invalid",
        17,
        9,
    ),
    (
        "path-parameter-unused",
        "/runs/{runId}:",
        "/runs:",
        "path-parameter-unused",
        8,
        9,
    ),
    (
        "path-parameter-undeclared",
        "/runs/{runId}:",
        "/runs/{runId}/{step}:",
        "path-parameter-undeclared",
        9,
        5,
    ),
    (
        "response-schema-missing",
        "        application/json:\n          schema: {$ref: '#/components/schemas/Error'}\n",
        "        application/json: {}\n",
        "response-schema-missing",
        45,
        9,
    ),
    (
        "security-401-missing",
        "        '401': {$ref: '#/components/responses/Error'}\n",
        "",
        "security-401-missing",
        16,
        7,
    ),
    (
        "response-requires-nothing",
        "                required: [id, at]\n",
        "",
        "response-requires-nothing",
        21,
        15,
    ),
    (
        "example-undeclared-property",
        "example: {id: r1, at: '2025-01-01T00:00:00Z'}",
        "example: {id: r1, at: '2025-01-01T00:00:00Z', ran_at: now}",
        "example-undeclared-property",
        27,
        15,
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "rule", "line", "col"),
    [d[1:] for d in DEFECTS],
    ids=[d[0] for d in DEFECTS],
)
def test_defect_is_found_at_its_line(
    tmp_path: Path, old: str, new: str, rule: str, line: int, col: int
) -> None:
    assert old in BASE
    findings = lint_text(tmp_path, BASE.replace(old, new, 1))
    assert only(findings) == (rule, RULES[rule].severity, line, col)


def test_four_xx_present_is_not_missing(tmp_path: Path) -> None:
    text = BASE.replace("        '404': {$ref: '#/components/responses/Error'}\n", "")
    assert lint_text(tmp_path, text) == []


def test_operation_without_any_4xx(tmp_path: Path) -> None:
    text = BASE.replace("        '404': {$ref: '#/components/responses/Error'}\n", "").replace(
        "        '401': {$ref: '#/components/responses/Error'}\n", ""
    )
    text = text.replace("security:\n  - bearer: []\n", "security: []\n")
    findings = lint_text(tmp_path, text)
    assert [(f.rule, f.line) for f in findings] == [
        ("operation-4xx-missing", 15),
        ("security-scheme-unused", 45),
    ]


def test_duplicate_operation_id_names_the_first(tmp_path: Path) -> None:
    text = BASE.replace(
        "components:\n",
        "  /other:\n    get:\n      operationId: startRun\n      responses:\n"
        "        '404': {$ref: '#/components/responses/Error'}\n"
        "        '401': {$ref: '#/components/responses/Error'}\n"
        "components:\n",
    )
    (f,) = lint_text(tmp_path, text)
    assert (f.rule, f.severity, f.line) == ("operation-id-duplicate", "error", 32)
    assert "also POST /runs/{runId}'s (line 10)" in f.message


def test_error_shape_inconsistent(tmp_path: Path) -> None:
    text = BASE.replace(
        "        '404': {$ref: '#/components/responses/Error'}\n",
        "        '404': {$ref: '#/components/responses/Error'}\n"
        "        '409': {$ref: '#/components/responses/Error'}\n"
        "        '500':\n"
        "          description: oops\n"
        "          content:\n"
        "            application/json:\n"
        "              schema: {type: object, required: [message], properties: {message: {type: string}}}\n",
    )
    (f,) = lint_text(tmp_path, text)
    assert (f.rule, f.severity, f.line) == ("error-shape-inconsistent", "warning", 35)
    assert "500 body is {message}; the API's other errors (3 of 4) are {error}" in f.message


def test_every_validation_error_is_reported(tmp_path: Path) -> None:
    text = BASE.replace("          description: started\n", "").replace(
        "      description: an error\n", ""
    )
    findings = lint_text(tmp_path, text)
    assert [(f.rule, f.line) for f in findings] == [("oas-invalid", 17), ("oas-invalid", 41)]
    assert "'description' is a required property" in findings[0].message


def test_openapi_31_is_validated_with_its_own_schema(tmp_path: Path) -> None:
    text = BASE.replace("openapi: 3.0.3", "openapi: 3.1.0").replace(
        "at: {type: string, format: date-time}", "at: {type: [string, 'null'], format: date-time}"
    )
    assert lint_text(tmp_path, text) == []
    broken = text.replace("          description: started\n", "")
    assert only(lint_text(tmp_path, broken))[:3] == ("oas-invalid", "error", 17)


def test_broken_yaml_is_a_finding(tmp_path: Path) -> None:
    f = only(lint_text(tmp_path, BASE + "  /y: [unclosed\n"))
    assert f[:2] == ("spec-unreadable", "error")


def test_not_openapi_is_a_finding(tmp_path: Path) -> None:
    assert only(lint_text(tmp_path, "swagger: '2.0'\n"))[:2] == ("oas-invalid", "error")


def test_file_refs_are_followed(tmp_path: Path) -> None:
    (tmp_path / "schemas.yaml").write_text(
        "Start: {type: object, properties: {mode: {type: string}}}\n"
    )
    text = BASE.replace("{$ref: '#/components/schemas/Start'}", "{$ref: 'schemas.yaml#/Start'}")
    assert lint_text(tmp_path, text) == []
    broken = text.replace("schemas.yaml#/Start", "schemas.yaml#/Begin")
    assert only(lint_text(tmp_path, broken))[:3] == ("ref-unresolved", "error", 14)


def test_scenario_naming_a_missing_example(tmp_path: Path) -> None:
    (tmp_path / "svc.scenarios.yaml").write_text(
        "api: svc\n"
        "credentials: {default: {scheme: bearer, value: t}}\n"
        "cases:\n"
        "  - name: gone\n"
        "    request: {path: {runId: x}}\n"
        "    expect: {status: 404, example: Missing}\n"
        "  - name: teapot\n"
        "    request: {path: {runId: x}}\n"
        "    expect: {status: 418}\n"
    )
    findings = lint_text(tmp_path, BASE)
    assert [(Path(f.file).name, f.rule, f.line, f.col) for f in findings] == [
        ("svc.scenarios.yaml", "scenario-unknown-reference", 6, 5),
        ("svc.scenarios.yaml", "scenario-unknown-reference", 7, 3),
    ]
    assert "no example 'Missing'" in findings[0].message
    assert "documents no 418" in findings[1].message


def test_scenarios_file_breaking_its_format(tmp_path: Path) -> None:
    (tmp_path / "svc.scenarios.yaml").write_text("api: svc\nbogus: 1\n")
    (f,) = lint_text(tmp_path, BASE)
    assert (f.rule, f.line) == ("scenarios-invalid", 1)


@pytest.mark.parametrize("name", ["altostrat", "pharen", "quiva"])
def test_upstream_vendor_documents_have_findings(name: str) -> None:
    rules = {f.rule for f in lint_spec(SPECS / "upstream" / f"{name}.yaml")}
    assert "response-requires-nothing" in rules
    if name == "quiva":
        assert {"security-401-missing", "example-undeclared-property"} <= rules


def test_every_rule_is_exercised() -> None:
    exercised = {d[3] for d in DEFECTS} | {
        "operation-4xx-missing",
        "security-scheme-unused",
        "operation-id-duplicate",
        "error-shape-inconsistent",
        "spec-unreadable",
        "scenario-unknown-reference",
        "scenarios-invalid",
    }
    assert set(RULES) - exercised == set()


def test_docs_document_every_rule() -> None:
    from contracts.diff import RULES as DIFF_RULES

    lint_page = (SPECS.parent / "docs" / "lint.md").read_text()
    reference = (SPECS.parent / "docs" / "diff-rules.md").read_text()
    missing = [rule for rule in RULES if f"`{rule}`" not in lint_page]
    missing += [rule for rule in DIFF_RULES if f"`{rule}`" not in reference]
    assert missing == []


@pytest.mark.parametrize(
    ("schema", "example"),
    [
        ("{type: string, pattern: '^[0-9]{2}:[0-9]{2}$'}", "18:00"),
        ("{type: string, enum: ['on', 'off']}", "on"),
        ("{type: string, enum: ['yes', 'no']}", "no"),
    ],
    ids=["sexagesimal", "on", "no"],
)
def test_yaml_1_1_lookalikes_are_strings_not_false_alarms(
    tmp_path: Path, schema: str, example: str
) -> None:
    """YAML 1.2 reads `18:00`, `on` and `no` as the strings they look like."""
    text = BASE.replace("mode: {type: string, enum: [fast, slow]}", f"mode: {schema}").replace(
        "example: {mode: fast}", f"example: {{mode: {example}}}"
    )
    assert lint_text(tmp_path, text) == []


# -- 3.1 `examples` lists, examples written once and used elsewhere, event streams ----------

BASE_31 = BASE.replace("openapi: 3.0.3", "openapi: 3.1.0")


@pytest.mark.parametrize(
    ("old", "new", "line", "col"),
    [
        (
            "mode: {type: string, enum: [fast, slow]}",
            "mode: {type: string, examples: [running, 7]}",
            35,
            50,
        ),
        (
            "mode: {type: string, enum: [fast, slow]}",
            "mode:\n          type: string\n          examples:\n            - running\n"
            "            - 7",
            39,
            15,
        ),
    ],
    ids=["flow", "block"],
)
def test_31_schema_examples_list_is_checked_item_by_item(
    tmp_path: Path, old: str, new: str, line: int, col: int
) -> None:
    """JSON Schema's `examples` (a list, 3.1): each item is an example of the schema,
    reported at its own line; `running` is valid, `7` is not."""
    findings = lint_text(tmp_path, BASE_31.replace(old, new, 1))
    assert only(findings) == ("example-invalid", "error", line, col)
    assert "7 is not of type 'string'" in findings[0].message


COMPONENT_EXAMPLE = BASE.replace(
    "            example: {mode: fast}\n",
    "            examples:\n              quick: {$ref: '#/components/examples/Quick'}\n",
).replace(
    "  responses:\n    Error:",
    "  examples:\n    Quick:\n      summary: a quick run\n      value: {mode: turbo}\n"
    "  responses:\n    Error:",
)


def test_component_example_is_reported_where_written_and_where_used(tmp_path: Path) -> None:
    findings = lint_text(tmp_path, COMPONENT_EXAMPLE)
    spec = tmp_path / "svc.yaml"
    assert only(findings) == ("example-invalid", "error", 45, 7)
    assert "'turbo' is not one of ['fast', 'slow']" in findings[0].message
    assert findings[0].path == "components.examples.Quick.value"
    assert findings[0].also_at == (f"{spec}:16:15",)


def test_the_second_location_is_in_text_and_json(tmp_path: Path) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(COMPONENT_EXAMPLE)
    text, data = (
        subprocess.run(
            [*CONTRACTS, "lint", str(spec), *options],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
        for options in ((), ("--format", "json"))
    )
    assert text.splitlines()[0].startswith(f"{spec}:45:7: error example-invalid: ")
    assert text.splitlines()[0].endswith(f" [also at {spec}:16:15]")
    assert json.loads(data)["findings"][0]["also_at"] == [f"{spec}:16:15"]


EVENT_STREAM = BASE.replace(
    "              example: {id: r1, at: '2025-01-01T00:00:00Z'}\n",
    "              example: {id: r1, at: '2025-01-01T00:00:00Z'}\n"
    "            text/event-stream:\n"
    "              schema:\n"
    "                type: object\n"
    "                required: [event, data]\n"
    "                properties:\n"
    "                  event: {type: string, enum: [progress, run]}\n"
    "                  data: {type: string}\n"
    "                  id: {type: string}\n"
    "                  retry: {type: integer}\n"
    "              example: |\n"
    "                event: progress\n"
    '                data: {"step": 1}\n'
    "\n"
    "                retry: 3000\n"
    "                event: run\n"
    "                id: r1\n"
    '                data: {"id": "r1"}\n',
)


def test_event_stream_example_is_checked_event_by_event(tmp_path: Path) -> None:
    """A `text/event-stream` schema describes one event, as Schemathesis reads it: the
    example (the stream as sent) is parsed into events and each is checked."""
    assert lint_text(tmp_path, EVENT_STREAM) == []
    broken = EVENT_STREAM.replace("event: run\n", "event: done\n")
    findings = lint_text(tmp_path, broken)
    assert only(findings) == ("example-invalid", "error", 37, 15)
    assert "event #1 event: 'done' is not one of ['progress', 'run']" in findings[0].message
    unnamed = EVENT_STREAM.replace("event: run\n", "")
    assert "event #1 event: 'message' is not one of" in lint_text(tmp_path, unnamed)[0].message


# -- lint agrees with the validator `mockserver serve` loads by ------------------------------

CONTRACTS = [sys.executable, "-c", "from contracts.cli import main; raise SystemExit(main())"]
MOCKSERVER = [sys.executable, "-c", "from mockserver.cli import main; raise SystemExit(main())"]

# (id, old text, new text, the cause both must name): documents serve refuses
REFUSED = [
    ("no-description", "          description: started\n", "", "'description' is a required"),
    (
        "duplicate-parameter",
        "      - {name: runId, in: path, required: true, schema: {type: string}}\n",
        "      - {name: runId, in: path, required: true, schema: {type: string}}\n" * 2,
        "has non-unique elements",
    ),
]
# A `default` its schema refuses is a warning in both (tests/mockserver/test_large_documents.py),
# and a declared path parameter the path lacks is lint's error while serve starts: neither is
# a refusal of serve.


@pytest.mark.parametrize(
    ("old", "new", "cause"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_spec_serve_refuses_never_lints_clean(
    tmp_path: Path, old: str, new: str, cause: str
) -> None:
    assert old in BASE
    spec = tmp_path / "svc.yaml"
    spec.write_text(BASE.replace(old, new, 1))
    served = subprocess.run(
        [*MOCKSERVER, "serve", str(spec), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    linted = subprocess.run(
        [*CONTRACTS, "lint", str(spec)], capture_output=True, text=True, timeout=120, check=False
    )
    assert served.returncode == 2, served.stderr
    assert linted.returncode == 1, linted.stdout
    refusal = served.stderr.strip()
    assert len(refusal.splitlines()) == 1 and cause in refusal, refusal
    errors = [line for line in linted.stdout.splitlines() if ": error " in line]
    assert any(cause in line for line in errors), linted.stdout
    if "oas-invalid" in errors[0]:  # the same judgement, at the same place
        where = refusal.removeprefix("mockserver: ").split(": ", 1)[0]
        assert errors[0].startswith(f"{where}: error oas-invalid: ")


def test_a_string_example_of_an_xml_response_is_the_body_not_data(tmp_path: Path) -> None:
    xml = BASE.replace(
        "              example: {id: r1, at: '2025-01-01T00:00:00Z'}\n",
        "              example: {id: r1, at: '2025-01-01T00:00:00Z'}\n"
        "            application/xml:\n"
        "              schema: {type: object, required: [id]}\n"
        "              example: '<run><id>r1</id></run>'\n",
    )
    assert "application/xml" in xml
    assert lint_text(tmp_path, xml) == []
    broken = xml.replace("example: '<run><id>r1</id></run>'", "example: {name: r1}")
    assert only(lint_text(tmp_path, broken))[0] == "example-invalid"


def test_event_data_is_checked_against_its_content_schema(tmp_path: Path) -> None:
    """3.1: a `data` field with `contentMediaType: application/json` and a `contentSchema`
    carries JSON that schema describes; Schemathesis checks it in each event, so lint
    checks it in each event of the example."""
    typed = EVENT_STREAM.replace("openapi: 3.0.3", "openapi: 3.1.0").replace(
        "                  data: {type: string}\n",
        "                  data:\n"
        "                    type: string\n"
        "                    contentMediaType: application/json\n"
        "                    contentSchema:\n"
        "                      type: object\n"
        "                      properties: {step: {type: integer}, id: {type: string}}\n",
    )
    assert lint_text(tmp_path, typed) == []
    findings = lint_text(tmp_path, typed.replace('{"step": 1}', '{"step": "one"}'))
    assert only(findings) == ("example-invalid", "error", 42, 15)
    assert "event #0 data step: 'one' is not of type 'integer'" in findings[0].message
