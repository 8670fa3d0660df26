#!/usr/bin/env python3
"""The corpus table of issue 11: how the mock fares on each real document of tests/corpus/.

For each document: launch `mockserver serve <doc> --port P` as a subprocess; start-up is the
time from launch to the first answer to the document's first operation (`*` when that answer
does not conform; `/__mock/health` for a document without operations); then every operation is
called once over one keep-alive connection and judged by openapi-core (tests/corpus/conformance.py);
RSS of the server's process tree after the calls (from /proc); then `contracts verify` of the
mock against the document (exit status; `-` with --no-verify). With `--prism`, Prism
(`-v warn --errors=false`, installed into bench/.tools/ as bench/run.py does) is measured the same
way on the same document in the same run, and the ratios ours ÷ Prism are printed.

    python bench/corpus_table.py [--only ID ...] [--no-verify] [--max-examples N] [--prism]

Prints a Markdown table. Run alone: it is a measurement (the machine is shared).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from run import ensure_prism, free_port, terminate, tree_rss_mb  # noqa: E402  (bench/run.py)

from tests.corpus import DOCUMENTS, Document, load_document, materialize  # noqa: E402
from tests.corpus.conformance import Judge, exercise, send  # noqa: E402
from tests.corpus.plausible import calls  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass
class Served:
    """One server's figures on one document."""

    startup_s: float | None = None
    startup_correct: bool = False
    rss_mb: float | None = None
    valid: int = 0
    error: str = ""


@dataclass
class Row:
    document: Document
    ours: Served
    prism: Served | None = None
    verify: str = "-"


@contextmanager
def launched(
    argv: list[str], base: str, prefix: str, health: str, data: dict[str, Any], log_path: Path
) -> Iterator[tuple[Served, subprocess.Popen[bytes]]]:
    """Start a server, wait for its first answer to the document's first operation (or to
    `health` when the document has none), call every operation once over one
    keep-alive connection, judge the answers with openapi-core and read the tree's RSS; the
    server stays up inside the block and is stopped after it."""
    served = Served()
    log = log_path.open("w+")
    started = time.perf_counter()
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        api = base + prefix
        probe = next(calls(data), None)
        judge = Judge(data, api) if probe else None
        with httpx.Client(base_url=api if probe else base, timeout=30) as client:
            while time.perf_counter() < started + 300:
                if server.poll() is not None:
                    log.seek(0)
                    served.error = _cause(log.read()) or f"exit {server.returncode}"
                    break
                try:
                    if probe is not None and judge is not None:
                        response = send(client, probe)
                        served.startup_correct = not judge.errors(probe, response)
                    else:
                        response = client.get(health)
                        served.startup_correct = response.status_code < 500
                except httpx.TransportError:
                    time.sleep(0.02)
                    continue
                served.startup_s = time.perf_counter() - started
                break
            else:
                served.error = "no answer within 300 s"
        if served.startup_s is not None:
            try:
                served.valid = sum(o.valid for o in exercise(data, api))
            except httpx.TransportError as error:  # the server died under the calls
                served.error = f"stopped answering: {error}"
            served.rss_mb, _ = tree_rss_mb(server.pid)
        yield served, server
    finally:
        terminate(server)
        log.close()


def measure(
    document: Document, workdir: Path, *, verify: bool, max_examples: int, prism: Path | None
) -> Row:
    path = materialize(document, workdir)
    data = load_document(path)
    port = free_port()
    ours_argv = [str(BIN / "mockserver"), "serve", str(path), "--port", str(port), "--seed", "7"]
    base = f"http://127.0.0.1:{port}"
    log = workdir / f"{document.id}.log"
    with launched(ours_argv, base, f"/{document.id}", "/__mock/health", data, log) as (ours, _):
        api = f"{base}/{document.id}"
        row = Row(document, ours)
        if verify and ours.startup_s is not None:
            command = [str(BIN / "contracts"), "verify", str(path), "--base-url", api]
            result = subprocess.run(
                [*command, "--max-examples", str(max_examples), "--seed", "1"],
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            row.verify = str(result.returncode)
    if prism is not None:
        port = free_port()
        # Prism at its fastest (as bench/run.py runs it): warnings only, no error simulation.
        prism_argv = [str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn"]
        with launched(
            [*prism_argv, "--errors=false", str(path)],
            f"http://127.0.0.1:{port}",
            "",
            "/",
            data,
            workdir / f"{document.id}.prism.log",
        ) as (prism_served, _):
            row.prism = prism_served
    return row


_EXCEPTION_LINE = re.compile(r"^(mockserver|[\w.]*(Error|Exception|Specification)): ")


def _cause(output: str) -> str:
    """The line of the server's output that says why it stopped: its own one-line error or
    the traceback's exception line (a jsonschema message's context lines follow it)."""
    lines = [line for line in output.splitlines() if line[:1].strip()]
    causes = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return (causes or lines or [""])[-1]


def _cells(served: Served | None, operations: int) -> list[str]:
    if served is None:
        return ["-", "-", "-"]
    error = served.error[:100].replace("|", "/")
    if served.startup_s is None:
        return [f"does not start: {error}", "-", f"0/{operations}"]
    start = f"{served.startup_s:.2f}{'' if served.startup_correct else '*'}"
    rss = f"{served.rss_mb:.0f}" if served.rss_mb is not None else "-"
    return [start, rss, error or f"{served.valid}/{operations}"]


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


def header(with_prism: bool) -> str:
    head = ["document", "OpenAPI", "operations", "start s", "RSS MB", "valid n/N", "verify"]
    if with_prism:
        head += ["Prism start s", "Prism RSS MB", "Prism valid n/N", "start ÷ Prism", "RSS ÷ Prism"]
    return "| " + " | ".join(head) + " |\n|---|---|" + "---:|" * (len(head) - 2)


def line(r: Row, with_prism: bool) -> str:
    d = r.document
    cells = [d.id, d.openapi, str(d.operations), *_cells(r.ours, d.operations), r.verify]
    if with_prism:
        prism = r.prism or Served()
        cells += _cells(r.prism, d.operations)
        cells += [_ratio(r.ours.startup_s, prism.startup_s), _ratio(r.ours.rss_mb, prism.rss_mb)]
    return "| " + " | ".join(cells) + " |"


FOOTNOTE = (
    "`*`: the first answer did not conform (start-up is then launch → first answer). "
    "valid: answers openapi-core finds documented and valid, one call per operation."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="document ids (default: all)")
    parser.add_argument("--no-verify", action="store_true", help="skip `contracts verify`")
    parser.add_argument("--max-examples", type=int, default=5, help="verify's properties phase")
    parser.add_argument(
        "--prism", action="store_true", help="also Prism (installed by bench/run.py's rule)"
    )
    args = parser.parse_args(argv)
    prism = ensure_prism(lambda line: print(line, file=sys.stderr)) if args.prism else None
    chosen = [d for d in DOCUMENTS if not args.only or d.id in args.only]
    print(header(prism is not None), flush=True)
    with tempfile.TemporaryDirectory(prefix="corpus-table-") as tmp:
        for document in chosen:
            row = measure(
                document,
                Path(tmp),
                verify=not args.no_verify,
                max_examples=args.max_examples,
                prism=prism,
            )
            print(line(row, prism is not None), flush=True)
    print(f"\n{FOOTNOTE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
