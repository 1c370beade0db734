"""The terminal format: one block per finding, what to do about it, then a summary line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from scanner.model import Finding, ScanResult
from scanner.report import ReportOptions
from scanner.report.summary import summary_line

RED, BOLD, DIM, RESET = "\033[31m", "\033[1m", "\033[2m", "\033[0m"

ADVICE = (
    "Replace each secret with an environment lookup; revoke it if it was ever pushed or shared.\n"
    "A false positive can be marked with `keyleak:allow` in a comment on its line."
)


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    def paint(text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if options.color else text

    for finding in result.findings:
        stream.write(block(finding, options, paint))
        stream.write("\n")
    if result.findings:
        stream.write(ADVICE + "\n\n")
    stream.write(summary_line(result, options.subject) + "\n")


def block(finding: Finding, options: ReportOptions, paint: Callable[[str, str], str]) -> str:
    where = f"{finding.location.path}:{finding.location.line}:{finding.location.column}"
    secret = finding.redacted if options.redact else finding.secret
    return (
        f"{paint(where, BOLD)}: {paint(finding.rule_name, RED)} "
        f"[{finding.rule_id}, {finding.provider}, {finding.severity.value}]\n"
        f"  secret:      {secret}\n"
        f"  fingerprint: {finding.fingerprint[:16]}\n"
        f"  fix:         {finding.remediation}\n"
    )
