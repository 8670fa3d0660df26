"""The mock against real public OpenAPI documents (tests/corpus/manifest.yaml).

For each document: the mock starts on it; every operation, called once with a plausible request
over one keep-alive connection, gets a documented status and a body openapi-core accepts; and,
separately (marker `corpus_verify`), `contracts verify` of the mock finds nothing.
Large documents are marked `slow`: `pytest tests/corpus -m slow`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts.verify.target import credential_flag
from mockserver.config import MockConfig
from tests.corpus import DOCUMENTS, Document, load_document, materialize
from tests.corpus.conformance import Judge, Outcome, exercise, one_connection_client
from tests.corpus.plausible import METHODS, Call
from tests.mockserver.conftest import running

# Known gaps, one line each (issue 11 stays open until this is empty). Not strict: a
# generated body can conform by chance, so a gap may pass one run and not the next.
ANSWER_GAPS: dict[str, str] = {}
VERIFY_GAPS: dict[str, str] = {}


def _params(*marks: pytest.MarkDecorator, gaps: dict[str, str] | None = None) -> list[object]:
    def known(d: Document) -> list[pytest.MarkDecorator]:
        reason = (gaps or {}).get(d.id)
        return [pytest.mark.xfail(reason=f"known gap: {reason}", strict=False)] if reason else []

    return [
        pytest.param(d, id=d.id, marks=[*marks, *known(d), *([pytest.mark.slow] if d.slow else [])])
        for d in DOCUMENTS
    ]


@pytest.fixture()
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Document, Path, str]]:
    """The document given by the test's parameter, served by the real mock; yields the
    document, its path and the base URL of its API (`http://127.0.0.1:PORT/<id>`)."""
    document: Document = request.param
    path = materialize(document, tmp_path)
    with running(MockConfig(apis=(str(path),), seed=7)) as (base, _app):
        yield document, path, f"{base}/{document.id}"


@pytest.mark.parametrize("document", _params())
def test_manifest_describes_the_file(document: Document, tmp_path: Path) -> None:
    data = load_document(materialize(document, tmp_path))
    operations = sum(
        1 for item in (data.get("paths") or {}).values() for method in item if method in METHODS
    )
    assert (str(data["openapi"]), operations) == (document.openapi, document.operations)
    assert document.licence
    assert document.source


@pytest.mark.parametrize("served", _params(gaps=ANSWER_GAPS), indirect=True)
def test_every_operation_answers_as_documented(served: tuple[Document, Path, str]) -> None:
    document, path, base_url = served
    outcomes = exercise(load_document(path), base_url)
    assert len(outcomes) == document.operations
    failed = [o for o in outcomes if not o.valid]
    assert failed == [], _report(document, outcomes)


@pytest.mark.corpus_verify
@pytest.mark.parametrize("served", _params(gaps=VERIFY_GAPS), indirect=True)
def test_verify_finds_nothing_in_the_mock(served: tuple[Document, Path, str]) -> None:
    _document, path, base_url = served
    # --max-examples keeps the property phase short; every phase still runs.
    contracts = str(Path(sys.executable).parent / "contracts")
    command = [contracts, "verify", str(path), "--base-url", base_url, *_credentials(path)]
    result = subprocess.run(
        [*command, "--max-examples", "5", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def _credentials(path: Path) -> list[str]:
    """A credential flag for each kind of security scheme the document declares: the mock
    accepts any well-formed credential, so that secured operations are verified, not only
    answered with a 401 (which verify, lacking credentials, would only warn about)."""
    components = load_document(path).get("components") or {}
    flags = {
        credential_flag(scheme).split()[0]
        for scheme in (components.get("securitySchemes") or {}).values()
        if isinstance(scheme, dict)
    }
    values = {"--token": "corpus-token", "--api-key": "corpus-key", "--basic": "corpus:secret"}
    return [item for flag in sorted(flags & set(values)) for item in (flag, values[flag])]


def test_the_one_connection_client_catches_a_body_after_204() -> None:
    """The harness's premise: a 204 with a body breaks the next answer on the same connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def lying_server() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n{}")
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=lying_server, daemon=True)
    thread.start()
    with one_connection_client(f"http://127.0.0.1:{port}") as client:
        assert client.delete("/a").status_code == 204
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/b")
    thread.join(timeout=5)
    listener.close()


def test_the_judge_reads_what_openapi_core_leaves_as_bytes_and_still_judges_it() -> None:
    """The harness's readers (conformance.py's docstring): a `+json` body is JSON, another
    `text/*` body is text, a 3.1 binary body is its octets; each is still held to its schema."""
    problem = {
        "type": "object",
        "required": ["title"],
        "properties": {"title": {"type": "string"}},
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            f"/{name}": {
                "get": {
                    "responses": {
                        "200": {"description": "ok", "content": {media: {"schema": schema}}}
                    }
                }
            }
            for name, media, schema in (
                ("problem", "application/problem+json", problem),
                ("calendar", "text/calendar", {"type": "string", "maxLength": 8}),
                ("png", "image/png", {"type": "string", "format": "binary"}),
            )
        },
    }
    judge = Judge(document, "http://127.0.0.1:9")

    def errors(name: str, media: str, body: bytes) -> list[str]:
        call = Call(method="get", template=f"/{name}", operation_id=name, path=f"/{name}")
        response = httpx.Response(200, headers={"content-type": media}, content=body)
        return judge.errors(call, response)

    assert errors("problem", "application/problem+json", b'{"title": "Bad"}') == []
    assert errors("problem", "application/problem+json", b'{"detail": "Bad"}') != []
    assert errors("calendar", "text/calendar", b"BEGIN:V") == []
    assert errors("calendar", "text/calendar", b"BEGIN:VCALENDAR") != []  # maxLength
    assert errors("png", "image/png", b"\x89PNG\r\n\x1a\n\x00\xff") == []
    assert errors("png", "text/plain", b"png") != []  # an undocumented media type


def _report(document: Document, outcomes: list[Outcome]) -> str:
    """The failures grouped by their first error's kind, one example request each."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if not outcome.valid:
            kind = outcome.errors[0].split(":")[0] + f" (status {outcome.status})"
            groups[kind].append(outcome)
    valid = sum(o.valid for o in outcomes)
    lines = [f"{document.id}: {valid}/{len(outcomes)} operations answered validly"]
    for kind, members in sorted(groups.items(), key=lambda g: -len(g[1])):
        example = members[0]
        lines.append(f"  {len(members)} x {kind}: e.g. {example.call.label}")
        lines.append(f"      {example.errors[0][:300]}")
        lines.append(f"      {example.transcript[:300]}")
    return "\n".join(lines)
