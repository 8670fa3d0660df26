"""Generated clients against the mock: `tox -e clients` (docs/clients.md).

Generates three clients of each contract in specs/ as a user would (openapi-python-client;
@hey-api/openapi-ts; openapi-typescript types + openapi-fetch, with the npm versions pinned
in package-lock.json), starts one `mockserver serve` for the five APIs, and sends every
documented case of the scenarios files and every request example of the specs through each
client: the status must be the documented one, and what the client parsed must be the body
the mock sent. The documented request bodies
(every request example of the specs) must type-check against both TypeScript clients' types
(`tsc --noEmit`). Exit 0 when all of that holds, 1 otherwise, with one line per failure.

Usage: python tests/clients/run.py [--work DIR]   (DIR keeps node_modules between runs)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from contracts import find_specs, load_contract
from contracts.catalog import Contract, Operation
from contracts.requests import Request, case_request
from contracts.verify.documented import example_requests as verify_example_requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPECS = ROOT / "specs"


@dataclasses.dataclass(frozen=True)
class DocumentedCase:
    """One scenarios case as the clients send it (JSON for the TypeScript runner)."""

    api: str
    name: str
    summary: str
    method: str
    path: str
    path_params: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, str]
    has_body: bool
    body: Any
    status: int
    media_type: str


def documented_cases() -> list[DocumentedCase]:
    cases = []
    for spec in find_specs(SPECS):
        contract = load_contract(spec)
        if contract.scenarios is None:
            continue
        operation = contract.operation(contract.scenarios.operation)
        for case in contract.scenarios.cases:
            request = case_request(contract, operation, case)
            expect = case.expect
            cases.append(
                _case(
                    contract,
                    operation,
                    request,
                    case.name,
                    case.summary,
                    expect.status,
                    expect.media_type,
                )
            )
    return cases


def _case(
    contract: Contract,
    operation: Operation,
    request: Request,
    name: str,
    summary: str,
    status: int,
    media_type: str,
) -> DocumentedCase:
    """The case as the clients send it: `request` on the wire, answered with `status`."""
    return DocumentedCase(
        api=contract.api_id,
        name=name,
        summary=summary,
        method=operation.method.upper(),
        path=operation.path,
        path_params=dict(request.path),
        query=dict(request.query),
        headers=request.all_headers(contract),
        has_body=request.has_body,
        body=request.body,
        status=status,
        media_type=media_type,
    )


def documented_examples() -> list[DocumentedCase]:
    """Each request example of the specs, sent as `contracts verify` sends it: documented
    parameters, the default credential, answered with its paired example's status (else the
    operation's first 2xx)."""
    cases = []
    for spec in find_specs(SPECS):
        contract = load_contract(spec)
        pairs = contract.scenarios.pairs if contract.scenarios else {}
        for operation in contract.operations:
            success = min(s for s in operation.responses if s.startswith("2"))
            for name, request, _ in verify_example_requests(contract, operation):
                paired = operation.response_example(pairs.get(name, ""))
                status = int(paired[0].status if paired else success)
                media_type = paired[1] if paired else "application/json"
                summary = f"request example {name}"
                cases.append(
                    _case(
                        contract, operation, request, f"example {name}", summary, status, media_type
                    )
                )
    return cases


def documented_bodies() -> dict[str, dict[str, Any]]:
    """Each API's operation with a JSON body: its path, method and request examples."""
    bodies: dict[str, dict[str, Any]] = {}
    for spec in find_specs(SPECS):
        contract = load_contract(spec)
        for operation in contract.operations:
            content = (operation.request_body or {}).get("content") or {}
            if "application/json" in content:
                bodies[contract.api_id] = {
                    "path": operation.path,
                    "method": operation.method.lower(),
                    "examples": {n: e.value for n, e in operation.request_examples.items()},
                }
    return bodies


# -- generating ------------------------------------------------------------------------


def install_npm(work: Path) -> Path:
    """The pinned generators in `work/npm` (`npm ci`, skipped when the lock is unchanged)."""
    prefix = work / "npm"
    prefix.mkdir(parents=True, exist_ok=True)
    lock = (HERE / "package-lock.json").read_text()
    installed = prefix / "node_modules" / ".flowcontract-lock"
    if not installed.exists() or installed.read_text() != lock:
        shutil.copy(HERE / "package.json", prefix)
        shutil.copy(HERE / "package-lock.json", prefix)
        subprocess.run(
            ["npm", "ci", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )
        installed.write_text(lock)
    return prefix / "node_modules"


def generate_python(apis: list[str], out: Path) -> None:
    config = out / "openapi-python-client.yaml"
    out.mkdir(parents=True, exist_ok=True)
    config.write_text("post_hooks: []\n")  # no ruff run over the generated code
    for api in apis:
        subprocess.run(
            [
                *(sys.executable, "-m", "openapi_python_client", "generate"),
                *(
                    "--path",
                    str(SPECS / f"{api}.yaml"),
                    "--output-path",
                    str(out / f"{api}_client"),
                ),
                *("--meta", "none", "--overwrite", "--config", str(config)),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def generate_typescript(apis: list[str], out: Path, node_modules: Path) -> subprocess.Popen[bytes]:
    """Starts the generation of both TypeScript clients (generate.mjs)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "node_modules").unlink(missing_ok=True)
    (out / "node_modules").symlink_to(node_modules)
    for script in ("generate.mjs", "check.mjs"):
        shutil.copy(HERE / script, out)
    return subprocess.Popen(
        ["node", "generate.mjs", str(SPECS), *apis], cwd=out, stdout=subprocess.DEVNULL
    )


# -- the mock --------------------------------------------------------------------------


@contextmanager
def mock_server() -> Iterator[str]:
    """One `mockserver serve` of the five APIs on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # `mockserver serve` of this interpreter's flowcontract, serving ./specs
    command = "import sys; from mockserver.cli import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "serve", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/__mock/health").status_code == 200:
                    break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("mockserver serve did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(10)


# -- openapi-python-client --------------------------------------------------------------


def _model_class(annotation: Any) -> Any:
    for candidate in typing.get_args(annotation) or (annotation,):
        if hasattr(candidate, "from_dict"):
            return candidate
    return None


def _keyword(function: Any, name: str) -> str:
    """The generated function's argument for the parameter `name` (`workflowId` → `workflow_id`)."""
    wanted = name.replace("_", "").lower()
    for argument in inspect.signature(function).parameters:
        if argument.replace("_", "").lower() == wanted:
            return argument
    raise LookupError(f"the generated function has no argument for parameter {name!r}")


def python_case(case: DocumentedCase, base: str) -> str | None:
    """Send `case` through the API's openapi-python-client; None when it worked, else why not."""
    package = importlib.import_module(f"{case.api}_client")
    [module_name] = [
        m
        for m in _submodules(f"{case.api}_client.api")
        if hasattr(importlib.import_module(m), "sync_detailed")
    ]
    operation = importlib.import_module(module_name)
    hints = typing.get_type_hints(operation.sync_detailed)
    arguments: dict[str, Any] = {}
    for name, value in {**case.path_params, **case.query}.items():
        arguments[_keyword(operation.sync_detailed, name)] = value
    if case.has_body:
        model = _model_class(hints["body"])
        try:
            arguments["body"] = model.from_dict(case.body)
        except (TypeError, ValueError, KeyError, AttributeError) as refused:
            return _refused_by_types(case, f"its body model refuses the body ({refused!r})")
    missing = [
        name
        for name, parameter in inspect.signature(operation.sync_detailed).parameters.items()
        if parameter.default is inspect.Parameter.empty
        and parameter.kind is inspect.Parameter.KEYWORD_ONLY
        and name not in arguments
        and name != "client"
    ]
    if missing:
        return _refused_by_types(case, f"it requires {', '.join(missing)}")
    client = package.Client(base_url=f"{base}/{case.api}", headers=case.headers)
    with client:
        if case.media_type != "application/json":
            return _stream_case(case, client, operation, arguments)
        response = operation.sync_detailed(client=client, **arguments)
    if response.status_code != case.status:
        return f"status {int(response.status_code)}, the case documents {case.status}"
    if response.parsed is None:
        return "the client parsed nothing"
    parsed = response.parsed
    as_json = parsed.to_dict() if hasattr(parsed, "to_dict") else parsed
    if not _same(as_json, json.loads(response.content)):
        return f"parsed as {as_json!r}, the body was {response.content.decode()!r}"
    return None


def _same(parsed: Any, sent: Any) -> bool:
    """`parsed` (a model's `to_dict()`) says what `sent` said; a date-time may be written
    differently (`Z` comes back as `+00:00`)."""
    if isinstance(parsed, dict) and isinstance(sent, dict):
        return parsed.keys() == sent.keys() and all(_same(parsed[k], sent[k]) for k in sent)
    if isinstance(parsed, list) and isinstance(sent, list):
        return len(parsed) == len(sent) and all(map(_same, parsed, sent))
    if isinstance(parsed, str) and isinstance(sent, str) and parsed != sent:
        try:
            return datetime.fromisoformat(parsed) == datetime.fromisoformat(sent)
        except ValueError:
            return False
    return bool(parsed == sent and type(parsed) is type(sent))


def _stream_case(
    case: DocumentedCase, client: Any, operation: Any, arguments: dict[str, Any]
) -> str | None:
    """openapi-python-client parses every documented answer as JSON, an event stream too
    (pharen's `stream=true`): its function raises, and a user reads the stream with the
    generated client's own httpx client (docs/clients.md). Both are checked, so a generator
    that learns streams shows up here."""
    try:
        operation.sync_detailed(client=client, **arguments)
    except json.JSONDecodeError:
        pass
    else:
        return "the generated function read the stream: update docs/clients.md"
    path = case.path
    for name, value in case.path_params.items():
        path = path.replace("{" + name + "}", str(value))
    response = client.get_httpx_client().request(
        case.method, path, params=case.query, json=case.body if case.has_body else None
    )
    if response.status_code != case.status:
        return f"status {response.status_code}, the case documents {case.status}"
    if not response.headers.get("content-type", "").startswith(case.media_type):
        return f"content type {response.headers.get('content-type')}, not {case.media_type}"
    return (
        None if response.text.startswith(("event:", "id:", "data:")) else "no event in the stream"
    )


def _submodules(package: str) -> list[str]:
    root = Path(importlib.import_module(package).__file__ or "").parent
    return [
        f"{package}.{'.'.join(path.relative_to(root).with_suffix('').parts)}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "__init__.py"
    ]


def _refused_by_types(case: DocumentedCase, why: str) -> str | None:
    """A typed client may refuse to build a request the contract refuses: only the 400 cases."""
    if case.status != 400:
        return f"the client cannot send it: {why}"
    print(f"openapi-python-client {case.api} {case.name}: not sent, as the contract says: {why}")
    return None


# -- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--work", type=Path, default=ROOT / ".clients")
    work = parser.parse_args().work.resolve()
    started = time.monotonic()
    cases = documented_cases() + documented_examples()
    apis = sorted({case.api for case in cases})
    typescript = work / "typescript"
    node_modules = install_npm(work)
    print(f"npm ci: {time.monotonic() - started:.0f}s", flush=True)
    # the node processes run beside the Python work: each is mostly one busy thread
    generating = generate_typescript(apis, typescript, node_modules)
    generate_python(apis, work / "python")
    if generating.wait() != 0:
        return 1
    (typescript / "bodies.json").write_text(json.dumps(documented_bodies()))
    (typescript / "cases.json").write_text(json.dumps([dataclasses.asdict(c) for c in cases]))
    print(f"generated: {time.monotonic() - started:.0f}s", flush=True)
    failures: list[str] = []
    typecheck = _node(typescript, "typecheck")
    sys.path.insert(0, str(work / "python"))
    with mock_server() as base:
        typescript_run = _node(typescript, "run", base)
        for case in cases:
            why = python_case(case, base)
            if why is not None:
                failures.append(f"openapi-python-client {case.api} {case.name}: {why}")
        out, err = typescript_run.communicate()
        *failed, sent = out.splitlines() or ["nothing"]
        failures += failed
        if sent != f"sent {2 * len(cases)}":
            failures.append(f"the TypeScript runner did not finish ({sent}):\n{out}{err}")
    out, err = typecheck.communicate()
    if typecheck.returncode != 0:
        failures.append(
            f"tsc --noEmit over the documented bodies ({typescript}/bodies.ts):\n{out}{err}"
        )
    for failure in failures:
        print(failure)
    print(
        f"{len(cases)} documented cases of {len(apis)} APIs through 3 clients: "
        f"{len(failures)} failures ({time.monotonic() - started:.0f}s)"
    )
    return 1 if failures else 0


def _node(typescript: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["node", "check.mjs", *arguments],
        cwd=typescript,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
