"""The JSON format: one object, `version` first; see README "JSON output" for the schema."""

from __future__ import annotations

import json
from typing import Any, TextIO

from scanner import __version__
from scanner.model import Finding, ScanResult
from scanner.report import ReportOptions

SCHEMA_VERSION = 1


def finding_object(finding: Finding, options: ReportOptions) -> dict[str, Any]:
    location = finding.location
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "provider": finding.provider,
        "severity": finding.severity.value,
        "location": {
            "kind": location.kind,
            "path": location.path,
            "line": location.line,
            "column": location.column,
            "end_line": location.end_line,
        },
        "secret": finding.redacted if options.redact else finding.secret,
        "redacted": options.redact,
        "fingerprint": finding.fingerprint,
        "remediation": finding.remediation,
    }


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "keyleak", "version": __version__},
        "findings": [finding_object(f, options) for f in result.findings],
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "stats": {
            "files_scanned": result.files_scanned,
            "bytes_scanned": result.bytes_scanned,
            "findings": len(result.findings),
            "suppressed": result.suppressed,
            "skipped": len(result.skipped),
            "elapsed_seconds": round(result.elapsed, 3),
        },
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
