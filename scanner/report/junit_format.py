"""JUnit XML, which most CI systems render as test results: one test case per finding.

A new finding is a failure; a known one (in the baseline) is a skipped case, so it stays
visible without failing the build; a clean scan is one passing case, so CI shows that the
scan ran. XML 1.0 cannot carry most control characters even escaped, so every text from a
scanned file goes through `clean` first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from scanner.model import Finding, ScanResult, severity_text
from scanner.report import ReportOptions, shown_line, shown_secret
from scanner.report.summary import summary_line
from scanner.util.printable import clean


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    failures = sum(1 for finding in result.findings if not finding.baselined)
    skipped = len(result.findings) - failures
    # an audit's repositories that could not be read are errors, one test case each
    broken = [r for r in result.repositories if r.status == "failed"]
    # the one suite and its wrapper carry the same totals
    totals = {
        "name": "keyleak",
        "tests": str(max(len(result.findings) + len(broken), 1)),
        "failures": str(failures),
        "errors": str(len(broken)),
        "skipped": str(skipped),
        "time": f"{result.elapsed:.3f}",
    }
    suites = ET.Element("testsuites", totals)
    suite = ET.SubElement(suites, "testsuite", totals)
    for finding in result.findings:
        suite.append(testcase(finding, options))
    for repository in broken:
        case = ET.SubElement(
            suite, "testcase", classname="keyleak", name=clean(repository.name), time="0"
        )
        ET.SubElement(case, "error", message=clean(repository.error), type="repository failed")
    if not result.findings and not broken:
        ET.SubElement(suite, "testcase", classname="keyleak", name="no secrets found", time="0")
    ET.SubElement(suite, "system-out").text = clean(
        summary_line(result, options.subject, options.read_from)
    )
    ET.indent(suites)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(suites, encoding="unicode"))
    stream.write("\n")


def testcase(finding: Finding, options: ReportOptions) -> ET.Element:
    location = finding.location
    # an audit's paths are within their repository
    path = f"{location.repository}/{location.path}" if location.repository else location.path
    where = f"{path}:{location.line}:{location.column}"
    if location.commit:
        where += f"@{location.commit[:12]}"
    case = ET.Element(
        "testcase",
        classname=clean(f"keyleak.{path}"),
        name=clean(f"{finding.rule_id} at {where}"),
        file=clean(path),
        line=str(location.line),
        time="0",
    )
    secret = clean(shown_secret(finding, options))
    title = f"{finding.rule_name}: {secret}"
    if finding.baselined:
        ET.SubElement(case, "skipped", message=clean(f"known (in the baseline): {title}"))
        return case
    details = [f"{where}: {finding.rule_name} [{finding.rule_id}, {finding.severity.value}]"]
    if finding.line_text:
        details.append(f"line:        {clean(shown_line(finding, options)).strip()}")
    details.append(f"secret:      {secret}")
    if finding.verdict:
        details.append(f"verified:    {finding.verdict.status.value}")
    if reason := severity_text(finding):
        details.append(f"severity:    {finding.severity.value}: {reason}")
    details.append(f"fingerprint: {finding.fingerprint}")
    details.append(f"fix:         {finding.remediation}")
    failure = ET.SubElement(case, "failure", message=clean(title), type=clean(finding.rule_id))
    failure.text = "\n".join(clean(line) for line in details)
    return case
