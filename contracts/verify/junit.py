"""The report for CI test views: JUnit XML, one testsuite per phase.

Each check of each case is one testcase, `check[case]` (the properties phase, whose cases
Schemathesis generates, has one testcase per check); a finding is its testcase's failure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .findings import Finding, PhaseResult, Report

__all__ = ["render_junit"]


def _failure(case: ET.Element, finding: Finding) -> None:
    failure = ET.SubElement(
        case, "failure", message=finding.expected.splitlines()[0], type=finding.check
    )
    failure.text = (
        f"contract: {finding.expected}\nserver:   {finding.actual}\n"
        f"severity: {finding.severity}\nreproduce:\n{finding.curl}\n"
    )


def _suite(root: ET.Element, api: str, phase: PhaseResult) -> None:
    classname = f"{api}.{phase.name}"
    keys = list(phase.tally)
    for finding in phase.findings:
        if (finding.check, finding.case) not in phase.tally:
            keys.append((finding.check, finding.case))
    suite = ET.SubElement(
        root,
        "testsuite",
        name=classname,
        tests=str(max(len(keys), 1)),
        failures=str(len({(f.check, f.case) for f in phase.findings})),
        errors=str(len(phase.incomplete)),
        skipped="1" if phase.skipped else "0",
        time=f"{phase.seconds:.3f}",
    )
    if phase.skipped:
        case = ET.SubElement(suite, "testcase", classname=classname, name=phase.name)
        ET.SubElement(case, "skipped", message=phase.skipped)
        return
    for check, case_name in keys:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=classname,
            name=f"{check}[{case_name}]" if case_name else check,
        )
        for finding in phase.findings:
            if finding.check == check and finding.case == case_name:
                _failure(case, finding)
    for why in phase.incomplete:
        case = ET.SubElement(suite, "testcase", classname=classname, name="incomplete")
        ET.SubElement(case, "error", message=why.splitlines()[0])


def render_junit(report: Report, *, title: str | None = None) -> str:
    """The report as a JUnit XML document (`title`: the root's name, `contracts verify
    <api>` by default)."""
    root = ET.Element(
        "testsuites",
        name=title or f"contracts verify {report.api}",
        failures=str(len(report.findings)),
        time=f"{report.seconds:.3f}",
    )
    for phase in report.phases:
        _suite(root, report.api, phase)
    if report.stopped is not None:
        suite = ET.SubElement(root, "testsuite", name=f"{report.api}.run", tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname=f"{report.api}.run", name="complete")
        ET.SubElement(case, "error", message=report.stopped)
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
