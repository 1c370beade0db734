"""Output formats: one module each, all writing a ScanResult to a text stream."""

from __future__ import annotations

import importlib
from typing import Protocol, TextIO

from scanner.model import Finding, ScanResult, frozen

FORMATS = ("text", "json", "jsonl", "sarif", "csv", "junit", "html")


@frozen
class ReportOptions:
    """How every format shows a result (a docstring spares `dataclass` an `inspect` call)."""

    redact: bool = True
    color: bool = False
    #: what was scanned, for the summary line: "file", "staged file"...
    subject: str = "file"
    #: text format: only the summary (machine formats always carry everything)
    quiet: bool = False
    #: what was scanned (the paths or the repository), for reports that name it (HTML)
    target: str = ""
    #: the report whose findings were read, not scanned (`keyleak verify REPORT`), for the summary
    read_from: str = ""


class Writer(Protocol):
    def __call__(self, result: ScanResult, stream: TextIO, options: ReportOptions) -> None: ...


def writer_for(format_name: str) -> Writer:
    module = importlib.import_module(f"scanner.report.{format_name}_format")
    write: Writer = module.write
    return write


def shown_secret(finding: Finding, options: ReportOptions) -> str:
    return finding.redacted if options.redact else finding.secret


def shown_line(finding: Finding, options: ReportOptions) -> str:
    """The offending line; it is stored redacted, so --no-redact puts this finding's secret back
    (every copy: a copy no rule matched is redacted too)."""
    line = finding.line_text
    if not line:
        return line
    if options.redact:
        # a line stored by an older keyleak (an audit's saved state) may still hold a copy
        return line.replace(finding.secret, finding.redacted) if finding.secret else line
    return line.replace(finding.redacted, finding.secret)
