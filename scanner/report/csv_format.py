"""CSV: one row per finding under a fixed header, for spreadsheets and CI dashboards.

Paths and source lines come from the scanned files, so every field is quoted (a bare CR in a
file name would otherwise end the row for some readers, and the rest of the name would open the
next one), and a cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
CR) gets a leading apostrophe, as OWASP advises.
"""

from __future__ import annotations

import csv
from typing import TextIO

from scanner.model import Finding, History, ScanResult, severity_text
from scanner.report import ReportOptions, shown_line, shown_secret

COLUMNS = (
    "severity",
    "rule_id",
    "rule_name",
    "provider",
    "path",
    "line",
    "column",
    "end_line",
    "commit",
    "cell",
    "cell_line",
    "secret",
    "redacted",
    "line_text",
    "fingerprint",
    "encoding",
    "verdict",
    "verdict_reason",
    "introduced_commit",
    "introduced_author",
    "introduced_date",
    "baselined",
    "remediation",
    "still_present",
    "removed_commit",
    "removed_date",
    "context",
    "severity_reason",
    "details",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    writer = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)
    # an audit's findings are in many repositories: one more column, last, says which
    audit = bool(result.repositories)
    writer.writerow((*COLUMNS, "repository") if audit else COLUMNS)
    for finding in result.findings:
        cells = row(finding, options)
        if audit:
            cells.append(finding.location.repository or "")
        writer.writerow([safe(cell) for cell in cells])


def row(finding: Finding, options: ReportOptions) -> list[str | int]:
    location = finding.location
    introduced = finding.introduced_by or (finding.history.introduced if finding.history else None)
    return [
        finding.severity.value,
        finding.rule_id,
        finding.rule_name,
        finding.provider,
        location.path,
        location.line,
        location.column,
        location.end_line,
        location.commit or "",
        "" if location.cell is None else location.cell,
        "" if location.cell_line is None else location.cell_line,
        shown_secret(finding, options),
        "true" if options.redact else "false",
        shown_line(finding, options),
        finding.fingerprint,
        "/".join(finding.encoding),
        finding.verdict.status.value if finding.verdict else "",
        finding.verdict.reason if finding.verdict else "",
        introduced.sha if introduced else "",
        f"{introduced.author_name} <{introduced.author_email}>" if introduced else "",
        introduced.date if introduced else "",
        "true" if finding.baselined else "false",
        finding.remediation,
        *history_cells(finding.history),
        finding.context or "",
        severity_text(finding),
        details_cell(finding.details),
    ]


def details_cell(details: tuple[tuple[str, str], ...]) -> str:
    """Every detail in one column (`alg: HS256; expires: …`): their labels vary by rule."""
    return "; ".join(f"{label}: {text}" for label, text in details)


def history_cells(history: History | None) -> list[str]:
    """Still present, and the commit and date of the removal: empty without a history."""
    if history is None:
        return ["", "", ""]
    removed = history.removed
    return [
        "true" if history.still_present else "false",
        removed.sha if removed else "",
        removed.date if removed else "",
    ]


def safe(cell: str | int) -> str | int:
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell
