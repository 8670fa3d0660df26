#!/usr/bin/env python3
"""The corpus table of issue 11: how the mock fares on each real document of tests/corpus/.

For each document: launch `mockserver serve <doc> --port P` as a subprocess; start-up is the
time from launch to the first answer to the document's first operation (`*` when that answer
does not conform; `/__mock/health` for a document without operations); then every operation is
called once over one keep-alive connection and judged by openapi-core (tests/corpus/conformance.py);
RSS of the server's process tree after the calls (from /proc); then `contracts verify` of the
mock against the document (exit status; `-` with --no-verify).

    python bench/corpus_table.py [--only ID ...] [--no-verify] [--max-examples N]

Prints a Markdown table. Run alone: it is a measurement (the machine is shared).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from run import free_port, tree_rss_mb  # noqa: E402  (bench/run.py: /proc readings)

from tests.corpus import DOCUMENTS, Document, load_document, materialize  # noqa: E402
from tests.corpus.conformance import Judge, exercise, send  # noqa: E402
from tests.corpus.plausible import calls  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass
class Row:
    document: Document
    startup_s: float | None = None
    startup_correct: bool = False
    rss_mb: float | None = None
    valid: int = 0
    verify: str = "-"
    error: str = ""


def measure(document: Document, workdir: Path, *, verify: bool, max_examples: int) -> Row:
    row = Row(document)
    path = materialize(document, workdir)
    data = load_document(path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/{document.id}"
    log = (workdir / f"{document.id}.log").open("w+")
    launched = time.perf_counter()
    server = subprocess.Popen(
        [str(BIN / "mockserver"), "serve", str(path), "--port", str(port), "--seed", "7"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        probe = next(calls(data), None)
        judge = Judge(data, api) if probe else None
        deadline = launched + 300
        with httpx.Client(base_url=api if probe else base, timeout=30) as client:
            while time.perf_counter() < deadline:
                if server.poll() is not None:
                    log.seek(0)
                    row.error = _cause(log.read()) or f"exit {server.returncode}"
                    return row
                try:
                    if probe is not None and judge is not None:
                        response = send(client, probe)
                        row.startup_correct = not judge.errors(probe, response)
                    else:
                        response = client.get("/__mock/health")
                        row.startup_correct = response.status_code == 200
                except httpx.TransportError:
                    time.sleep(0.02)
                    continue
                row.startup_s = time.perf_counter() - launched
                break
        if row.startup_s is None:
            row.error = "no answer within 300 s"
            return row
        outcomes = exercise(data, api)
        row.valid = sum(o.valid for o in outcomes)
        row.rss_mb, _ = tree_rss_mb(server.pid)
        if verify:
            command = [str(BIN / "contracts"), "verify", str(path), "--base-url", api]
            result = subprocess.run(
                [*command, "--max-examples", str(max_examples), "--seed", "1"],
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            row.verify = str(result.returncode)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return row


_EXCEPTION_LINE = re.compile(r"^(mockserver|[\w.]*(Error|Exception|Specification)): ")


def _cause(output: str) -> str:
    """The line of the server's output that says why it stopped: its own one-line error or
    the traceback's exception line (a jsonschema message's context lines follow it)."""
    lines = [line for line in output.splitlines() if line[:1].strip()]
    causes = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return (causes or lines or [""])[-1]


def table(rows: list[Row]) -> str:
    lines = [
        "| document | OpenAPI | operations | start s | RSS MB | valid n/N | verify |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d = r.document
        if r.error:
            lines.append(
                f"| {d.id} | {d.openapi} | {d.operations} | does not start: "
                f"{r.error[:120].replace('|', '/')} | - | 0/{d.operations} | - |"
            )
            continue
        start = f"{r.startup_s:.2f}{'' if r.startup_correct else '*'}"
        rss = f"{r.rss_mb:.0f}" if r.rss_mb is not None else "-"
        lines.append(
            f"| {d.id} | {d.openapi} | {d.operations} | {start} | {rss} "
            f"| {r.valid}/{d.operations} | {r.verify} |"
        )
    lines.append("")
    lines.append("`*`: the first answer did not conform (start-up is then launch → first answer).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="document ids (default: all)")
    parser.add_argument("--no-verify", action="store_true", help="skip `contracts verify`")
    parser.add_argument("--max-examples", type=int, default=5, help="verify's properties phase")
    args = parser.parse_args(argv)
    chosen = [d for d in DOCUMENTS if not args.only or d.id in args.only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="corpus-table-") as tmp:
        for document in chosen:
            row = measure(
                document, Path(tmp), verify=not args.no_verify, max_examples=args.max_examples
            )
            print(f"{document.id}: done", file=sys.stderr, flush=True)
            rows.append(row)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
