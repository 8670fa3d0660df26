"""What the validation proxy saw over its whole run, and the report files it writes at
shutdown: JSON (`--report`) and JUnit XML (`--junit-xml`, `contracts verify`'s writer).

The journal is bounded and `POST /__mock/reset` empties it; the tally is neither: it
counts every exchange of the run, and keeps each distinct violation (operation, side,
kind, message) once with how often it was seen and its first request, up to
`MAX_FINDINGS` of them (the rest counted). A CI job fails on `conforms: false` or on the
proxy's exit status (1), never on an upstream that did not answer (counted apart).
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from contracts.verify.findings import Finding, PhaseResult, Report
from contracts.verify.junit import render_junit

from .state import JournalEntry

__all__ = [
    "INTERRUPTIONS",
    "MAX_FINDINGS",
    "REPORT_VERSION",
    "Tally",
    "render_json",
    "render_junit_xml",
]

REPORT_VERSION = 1
MAX_FINDINGS = 500
UNDOCUMENTED = "(no documented operation)"
INTERRUPTIONS = frozenset({"client-gone", "cancelled"})  # not the upstream's failures


@dataclass
class Seen:
    """One distinct violation: how often, and the first exchange that showed it."""

    where: str
    kind: str
    message: str
    operation: str
    count: int
    seq: int
    method: str
    path: str
    status: int
    curl: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "kind": self.kind,
            "message": self.message,
            "operation": self.operation,
            "count": self.count,
            "first": {
                "seq": self.seq,
                "method": self.method,
                "path": self.path,
                "status": self.status,
                "curl": self.curl,
            },
        }


def curl_of(entry: JournalEntry, upstream: str) -> str:
    """A curl command that sends the journaled request to the upstream again (its
    secrets as the journal keeps them: masked)."""
    query = entry.query.decode("latin-1")
    parts = ["curl", "-X", entry.method]
    for name, value in entry.headers:
        if name not in ("host", "content-length", "connection", "user-agent", "accept-encoding"):
            parts += ["-H", f"{name}: {value}"]
    if entry.raw_body:
        parts += ["--data-binary", entry.raw_body.decode("utf-8", "replace")]
    parts.append(upstream + entry.path + (f"?{query}" if query else ""))
    return shlex.join(parts)


@dataclass
class Tally:
    """Counts over the proxy's whole run (see the module docstring)."""

    api: str
    upstream: str
    # the sides whose violations fail the run (`--fail-on response`: the client's own
    # requests that break the contract on purpose, say to see the 401, are only reported)
    failing: frozenset[str] = frozenset({"request", "response"})
    exchanges: int = 0
    refused: int = 0  # by the proxy's own limits (413, 431, 408, 421)
    with_violations: int = 0
    violations: int = 0
    upstream_failures: Counter[str] = field(default_factory=Counter)  # by kind
    interrupted: int = 0  # the client left, or the proxy stopped, before the end
    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)
    conforming: Counter[str] = field(default_factory=Counter)  # exchanges by operation
    seen: dict[tuple[str, str, str, str], Seen] = field(default_factory=dict)
    left_out: int = 0  # occurrences of distinct violations past MAX_FINDINGS

    def add(
        self, entry: JournalEntry, upstream: str, failure: str | None, *, refused: bool
    ) -> None:
        self.exchanges += 1
        if refused:
            self.refused += 1
        if failure in INTERRUPTIONS:
            self.interrupted += 1
        elif failure is not None:
            self.upstream_failures[failure] += 1
        operation = entry.operation or UNDOCUMENTED
        if not entry.violations:
            if not refused and failure is None:
                self.conforming[operation] += 1
            return
        self.with_violations += 1
        for where, kind, message in entry.violations:
            self.violations += 1
            self.by_kind[(where, kind)] += 1
            key = (operation, where, kind, message)
            known = self.seen.get(key)
            if known is not None:
                known.count += 1
            elif len(self.seen) < MAX_FINDINGS:
                self.seen[key] = Seen(
                    where=where,
                    kind=kind,
                    message=message,
                    operation=operation,
                    count=1,
                    seq=entry.seq,
                    method=entry.method,
                    path=entry.path,
                    status=entry.status,
                    curl=curl_of(entry, upstream),
                )
            else:
                self.left_out += 1

    @property
    def conforms(self) -> bool:
        return not any(self.by_kind[key] for key in self.by_kind if key[0] in self.failing)

    def summary(self) -> dict[str, Any]:
        """The counts, as `GET /__mock/violations` and the JSON report give them."""
        return {
            "conforms": self.conforms,
            "fail_on": sorted(self.failing),
            "exchanges": self.exchanges,
            "exchanges_with_violations": self.with_violations,
            "violations": self.violations,
            "refused_by_proxy": self.refused,
            "upstream_failures": dict(sorted(self.upstream_failures.items())),
            "interrupted": self.interrupted,
            "by_kind": [
                {"where": where, "kind": kind, "count": count}
                for (where, kind), count in sorted(self.by_kind.items())
            ],
        }

    def lines(self) -> list[str]:
        """The summary a person reads at shutdown."""
        failures = sum(self.upstream_failures.values())
        head = (
            f"{self.exchanges} exchange{'s' if self.exchanges != 1 else ''}, "
            f"{self.violations} violation{'s' if self.violations != 1 else ''} in "
            f"{self.with_violations} of them"
        )
        if failures:
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.upstream_failures.items()))
            head += f"; {failures} without an answer from the upstream ({kinds})"
        out = [head]
        for seen in self.seen.values():
            out.append(
                f"  {seen.where} {seen.kind} ({seen.count}x) {seen.operation}: {seen.message}"
            )
        if self.left_out:
            out.append(f"  ... and {self.left_out} more, not listed")
        return out


def render_json(tally: Tally, *, spec: str, seconds: float) -> str:
    """The JSON report: the counts, then each distinct violation."""
    document = {
        "version": REPORT_VERSION,
        "api": tally.api,
        "spec": spec,
        "upstream": tally.upstream,
        "seconds": round(seconds, 3),
        **tally.summary(),
        "findings": [seen.as_dict() for seen in tally.seen.values()],
        "findings_left_out": tally.left_out,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_junit_xml(tally: Tally, *, seconds: float) -> str:
    """JUnit XML through `contracts verify`'s writer: one testsuite `<api>.proxy`, one
    testcase per side and kind of violation and operation (`response invalid-body[POST
    /x]`), failing with each distinct message, and one passing testcase per operation
    for its conforming exchanges (`conforms[POST /x]`)."""
    phase = PhaseResult(name="proxy", requests=tally.exchanges, seconds=seconds)
    for operation, count in tally.conforming.items():
        phase.count("conforms", operation, passed=count)
    for seen in tally.seen.values():
        if seen.where not in tally.failing:
            continue
        check = f"{seen.where} {seen.kind}"
        phase.count(check, seen.operation, failed=seen.count)
        phase.findings.append(
            Finding(
                phase="proxy",
                check=check,
                operation=seen.operation,
                expected=seen.message,
                actual=f"{seen.method} {seen.path} answered {seen.status} "
                f"(seq {seen.seq}, seen {seen.count} time{'s' if seen.count != 1 else ''})",
                curl=seen.curl,
                case=seen.operation,
            )
        )
    report = Report(api=tally.api, base_url=tally.upstream, seed=0, phases=[phase], seconds=seconds)
    return render_junit(report, title=f"mockserver proxy {tally.api}")
