"""Real-world documents: what the validation says is the same in `serve` and `lint`,
`$ref`s inside `x-` extensions are not followed, and a 1,000-operation document serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from contracts.catalog import load_contract
from contracts.diff import diff_files
from contracts.lint import lint_spec
from mockserver.config import MockConfig
from tests.conftest import ROOT
from tests.mockserver.conftest import free_port, running

MOCKSERVER = [sys.executable, "-c", "from mockserver.cli import main; raise SystemExit(main())"]

NOTES = """\
openapi: 3.0.3
info:
  title: notes
  version: '1'
  x-doc: {$ref: ./notes.md}
paths:
  /notes/{id}:
    get:
      x-doc: {$ref: './notes.md#/no/such/part'}
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: a note
          content:
            application/json:
              schema:
                type: object
                required: [id, text]
                properties:
                  id: {type: integer}
                  text: {type: string}
                x-rendered-by: {$ref: ./notes.md}
              example: {id: 7, text: hello}
        '404':
          description: no such note
          content:
            application/json:
              schema: {type: object, required: [message], properties: {message: {type: string}}}
              example: {message: no such note}
"""

# GitHub's description has three of these (`format: uri` with `default: ""`).
HOOK = """\
openapi: 3.0.3
info: {title: hooks, version: '1'}
paths:
  /hooks:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Hook'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Hook'}
              example: {url: 'https://example.com/hook'}
        '400':
          description: refused
          content:
            application/json:
              schema: {type: object, required: [message], properties: {message: {type: string}}}
              example: {message: refused}
components:
  schemas:
    Hook:
      type: object
      properties:
        url:
          type: string
          format: uri
          default: ''
"""

# A type OpenAPI 3.0 does not have: invalid, so the mock refuses it.
BROKEN = HOOK.replace(
    "          format: uri\n          default: ''\n", "          format: uri\n"
).replace(
    "          type: string\n          format: uri", "          type: strin\n          format: uri"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def serve_until_ready(spec: Path) -> tuple[int, str, str]:
    """`mockserver serve SPEC` until it is ready (or exits): exit code (None: serving,
    stopped here), stdout, stderr."""
    port = free_port()
    proc = subprocess.Popen(
        [*MOCKSERVER, "serve", "--port", str(port), str(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    out: list[str] = []
    for line in proc.stdout:
        out.append(line)
        if line.startswith("Ready."):
            proc.terminate()
            break
    _, err = proc.communicate(timeout=30)
    return proc.returncode, "".join(out), err


def test_a_ref_inside_an_extension_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "# Notes\n\nNot YAML: *the* prose of the API.\n")
    spec = write(tmp_path, "notes.yaml", NOTES)

    with running(MockConfig(apis=(str(spec),))) as (base, _):
        answer = httpx.get(f"{base}/notes/notes/7", timeout=10)
        refused = httpx.get(f"{base}/notes/notes/seven", timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"id": 7, "text": "hello"})
    assert refused.status_code == 400

    findings = lint_spec(spec)
    assert [f for f in findings if f.severity == "error"] == []
    assert not {"ref-unresolved", "oas-invalid"} & {f.rule for f in findings}

    changed = write(
        tmp_path, "notes-v2.yaml", NOTES.replace("required: [id, text]", "required: [id]")
    )
    (change,) = diff_files(spec, changed)
    assert "text" in change.message


def test_an_extension_ref_is_kept_as_written_beside_a_ref_to_another_file(
    tmp_path: Path,
) -> None:
    write(tmp_path, "notes.md", "# Notes\n")
    write(tmp_path, "schemas.yaml", "Note: {type: object, properties: {id: {type: integer}}}\n")
    text = NOTES.replace(
        "                type: object\n                required: [id, text]",
        "                $ref: './schemas.yaml#/Note'\n                required: [id, text]",
    )
    spec = write(tmp_path, "notes.yaml", text)

    contract = load_contract(spec)  # prance resolves the file reference

    operation = contract.operation("GET /notes/{id}")
    assert operation.definition["x-doc"] == {"$ref": "./notes.md#/no/such/part"}
    assert contract.resolved["info"]["x-doc"] == {"$ref": "./notes.md"}
    schema = operation.responses["200"].content["application/json"].schema
    assert schema is not None and schema["properties"]["id"] == {"type": "integer"}


def test_a_default_its_schema_refuses_is_the_same_warning_in_serve_and_lint(
    tmp_path: Path,
) -> None:
    spec = write(tmp_path, "hooks.yaml", HOOK)
    line = HOOK.splitlines().index("          default: ''") + 1
    where = f"{spec}:{line}:11"

    findings = lint_spec(spec)
    assert [f for f in findings if f.severity == "error"] == []
    (finding,) = [f for f in findings if f.rule == "default-invalid"]
    assert finding.severity == "warning"
    assert f"{finding.file}:{finding.line}:{finding.col}" == where
    assert "'' is not a 'uri'" in finding.message

    code, out, err = serve_until_ready(spec)
    assert "Ready." in out
    assert f"mockserver: {where}: warning: {finding.message}\n" in err, err
    assert code in (0, -15)

    with running(MockConfig(apis=(str(spec),))) as (base, _):
        created = httpx.post(f"{base}/hooks/hooks", json={"url": "https://a.example"}, timeout=10)
    assert created.status_code == 201


def test_an_invalid_document_is_refused_by_serve_where_lint_says_so(tmp_path: Path) -> None:
    spec = write(tmp_path, "hooks.yaml", BROKEN)

    invalid = [f for f in lint_spec(spec) if f.rule == "oas-invalid"]
    assert invalid and {f.severity for f in invalid} == {"error"}
    first = min(invalid, key=lambda f: (f.line, f.col))

    code, out, err = serve_until_ready(spec)
    assert code == 2, (out, err)
    assert err == f"mockserver: {first.file}:{first.line}:{first.col}: {first.message}\n"


@pytest.mark.slow
def test_a_thousand_operations_serve(tmp_path: Path) -> None:
    spec = tmp_path / "large.yaml"
    generator = ROOT / "bench" / "gen_large_spec.py"
    subprocess.run([sys.executable, str(generator), str(spec), "--operations", "1000"], check=True)
    bearer = {"Authorization": "Bearer any-token"}
    with running(MockConfig(apis=(str(spec),))) as (base, server):
        (contract,) = server.contracts
        assert len(contract.operations) == 1000
        answers = {
            n: httpx.get(f"{base}/large/collection{n}/items/abc", headers=bearer, timeout=10)
            for n in (0, 250, 499)
        }
        unknown = httpx.get(f"{base}/large/collection500/items/abc", headers=bearer, timeout=10)
    assert {n: a.status_code for n, a in answers.items()} == {0: 200, 250: 200, 499: 200}
    # collection n answers with the example of Resource{n % 50}
    assert [a.json()["name"] for a in answers.values()] == [
        "resource 0",
        "resource 0",
        "resource 49",
    ]
    assert unknown.status_code == 404


def test_a_404_names_the_nearest_operations_not_all_of_them(tmp_path: Path) -> None:
    spec = tmp_path / "large.yaml"
    generator = ROOT / "bench" / "gen_large_spec.py"
    subprocess.run([sys.executable, str(generator), str(spec), "--operations", "40"], check=True)
    with running(MockConfig(apis=(str(spec),))) as (base, _server):
        unknown = httpx.get(f"{base}/large/collection17/itemz/abc", timeout=10)
    assert unknown.status_code == 404
    detail = unknown.text
    assert "no documented operation matches GET /large/collection17/itemz/abc" in detail
    named = detail.split("nearest operations: ", 1)[1].split(" (of 40)")[0].split(", ")
    assert len(named) == 10
    assert named[0] == "GET /collection17/items/{id}"
