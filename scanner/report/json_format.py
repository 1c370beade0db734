"""The JSON format: one object, `version` first.

The schema is `keyleak-report.schema.json` beside this module (shipped in the package);
docs/formats.md#json-and-jsonl describes it. `version` changes only when a field changes meaning
or goes away.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from scanner import __version__
from scanner.model import Commit, Finding, History, Location, Removal, ScanResult, Verdict
from scanner.report import ReportOptions, shown_line, shown_secret
from scanner.report.summary import (
    known_count,
    severity_counts,
    suppression_counts,
    verdict_counts,
)

SCHEMA_VERSION = 2


def commit_object(commit: Commit | None) -> dict[str, str] | None:
    if commit is None:
        return None
    return commit_object_of(commit)


def commit_object_of(commit: Commit) -> dict[str, str]:
    return {
        "sha": commit.sha,
        "author_name": commit.author_name,
        "author_email": commit.author_email,
        "date": commit.date,
    }


def history_object(history: History | None) -> dict[str, Any] | None:
    if history is None:
        return None
    return {
        "introduced": commit_object(history.introduced),
        "last_present": commit_object(history.last_present),
        "removed": commit_object(history.removed),
        "paths": list(history.paths),
        "in_head": history.in_head,
        "refs": list(history.refs),
        "still_present": history.still_present,
        "removals": [removal_object(removal) for removal in history.removals],
    }


def removal_object(removal: Removal) -> dict[str, str]:
    return {"ref": removal.ref, **commit_object_of(removal.commit)}


def verdict_object(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "status": verdict.status.value,
        "reason": verdict.reason,
        "details": dict(verdict.details),
    }


def location_object(location: Location) -> dict[str, Any]:
    """Where: commit and notebook cell only when known, so a file finding's stays as in v1."""
    place: dict[str, Any] = {
        "kind": location.kind,
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
    }
    optional = {
        "commit": location.commit,
        "cell": location.cell,
        "cell_line": location.cell_line,
        "repository": location.repository,
    }
    place.update((key, value) for key, value in optional.items() if value is not None)
    return place


def finding_object(finding: Finding, options: ReportOptions) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "provider": finding.provider,
        "severity": finding.severity.value,
        "location": location_object(finding.location),
        "secret": shown_secret(finding, options),
        "redacted": options.redact,
        "line": shown_line(finding, options),
        "fingerprint": finding.fingerprint,
        "remediation": finding.remediation,
        "encoding": list(finding.encoding),
        "details": dict(finding.details),
        "verdict": verdict_object(finding.verdict),
        "introduced_by": commit_object(finding.introduced_by),
        "history": history_object(finding.history),
        "baselined": finding.baselined,
        "context": finding.context,
        "severity_reason": finding.severity_reason,
        "base_severity": finding.base_severity.value if finding.base_severity else None,
    }


def count_object(result: ScanResult) -> dict[str, Any]:
    """The scan's counts: the start of the stats here and of SARIF's run properties."""
    known = known_count(result.findings)
    return {
        "files_scanned": result.files_scanned,
        "bytes_scanned": result.bytes_scanned,
        "commits_scanned": result.commits_scanned,
        "findings": len(result.findings),
        "known": known,
        "new": len(result.findings) - known,
        "by_severity": severity_counts(result.findings),
        "by_verdict": verdict_counts(result.findings),
        "suppressed": result.suppressed.silenced,
        "suppressions": suppression_counts(result),
    }


def stats_object(result: ScanResult) -> dict[str, Any]:
    return {
        **count_object(result),
        "skipped": len(result.skipped),
        "ignored": len(result.ignored),
        "excluded": len(result.excluded),
        "elapsed_seconds": round(result.elapsed, 3),
    }


def skipped_objects(result: ScanResult) -> list[dict[str, str]]:
    return [{"path": s.path, "reason": s.reason} for s in result.skipped]


def repository_objects(result: ScanResult) -> list[dict[str, Any]]:
    return [
        {
            "name": repository.name,
            "url": repository.url,
            "status": repository.status,
            "error": repository.error,
            "commits": repository.commits,
            "blobs": repository.blobs,
            "bytes": repository.bytes,
            "findings": repository.findings,
            "elapsed_seconds": round(repository.elapsed, 3),
        }
        for repository in result.repositories
    ]


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    document: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "keyleak", "version": __version__},
        "findings": [finding_object(f, options) for f in result.findings],
        "skipped": skipped_objects(result),
        "notes": list(result.notes),
        "stats": stats_object(result),
    }
    if result.ignored or result.excluded:  # tree scans only, so other reports stay as they were
        document["left_out"] = {"ignored": list(result.ignored), "excluded": list(result.excluded)}
    if result.repositories:  # audits only, so that other reports stay as they were
        document["repositories"] = repository_objects(result)
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
