"""Findings and scan results as JSON values and back, exactly: what the audit state stores.

Not a report format: it keeps every field (the secret too) so that a repository left unchanged
since the last audit reports what its scan reported then. Rules are not stored; the reader
takes them from its own rule set. Commits and histories have the JSON report's shapes.
"""

from __future__ import annotations

from typing import Any

from scanner.model import (
    Commit,
    Finding,
    History,
    Location,
    Removal,
    ScanResult,
    Severity,
    Skipped,
    SourceKind,
    Suppressed,
    Verdict,
    VerdictStatus,
)
from scanner.report.json_format import commit_object, history_object


def commit_from_json(value: Any) -> Commit | None:
    if value is None:
        return None
    return commit_of(value)


def commit_of(value: Any) -> Commit:
    return Commit(value["sha"], value["author_name"], value["author_email"], value["date"])


def history_from_json(value: Any) -> History | None:
    if value is None:
        return None
    return History(
        # none for a secret only refs hold (a tag on a blob or a tree)
        introduced=commit_from_json(value["introduced"]),
        last_present=commit_from_json(value["last_present"]),
        removed=commit_from_json(value["removed"]),
        paths=tuple(value["paths"]),
        in_head=bool(value["in_head"]),
        refs=tuple(value["refs"]),
        still_present=bool(value["still_present"]),
        removals=tuple(removal_from_json(removal) for removal in value["removals"]),
    )


def removal_from_json(value: Any) -> Removal:
    return Removal(value["ref"], commit_of(value))


def verdict_to_json(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "status": verdict.status.value,
        "reason": verdict.reason,
        # pairs, not an object: the order and any repeated key survive
        "details": [list(pair) for pair in verdict.details],
    }


def verdict_from_json(value: Any) -> Verdict | None:
    if value is None:
        return None
    return Verdict(
        status=VerdictStatus(value["status"]),
        reason=value["reason"],
        details=tuple((key, text) for key, text in value["details"]),
    )


def location_to_json(location: Location) -> dict[str, Any]:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "kind": location.kind,
        "commit": location.commit,
        "cell": location.cell,
        "cell_line": location.cell_line,
        "repository": location.repository,
        "blob": location.blob,
    }


def location_from_json(value: Any) -> Location:
    return Location(
        path=value["path"],
        line=value["line"],
        column=value["column"],
        end_line=value["end_line"],
        kind=SourceKind(value["kind"]),
        commit=value["commit"],
        cell=value["cell"],
        cell_line=value["cell_line"],
        repository=value["repository"],
        # absent from the state of audits before the blob had a field of its own
        blob=value.get("blob"),
    )


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "provider": finding.provider,
        "severity": finding.severity.value,
        "remediation": finding.remediation,
        "location": location_to_json(finding.location),
        "secret": finding.secret,
        "redacted": finding.redacted,
        "fingerprint": finding.fingerprint,
        "encoding": list(finding.encoding),
        "history": history_object(finding.history),
        "introduced_by": commit_object(finding.introduced_by),
        "verdict": verdict_to_json(finding.verdict),
        "baselined": finding.baselined,
        "line_text": finding.line_text,
        "variables": None if finding.variables is None else list(finding.variables),
        "context": finding.context,
        "severity_reason": finding.severity_reason,
        "base_severity": finding.base_severity.value if finding.base_severity else None,
        "details": [list(pair) for pair in finding.details],
    }


def finding_from_json(value: Any) -> Finding:
    return Finding(
        rule_id=value["rule_id"],
        rule_name=value["rule_name"],
        provider=value["provider"],
        severity=Severity(value["severity"]),
        remediation=value["remediation"],
        location=location_from_json(value["location"]),
        secret=value["secret"],
        redacted=value["redacted"],
        fingerprint=value["fingerprint"],
        encoding=tuple(value["encoding"]),
        history=history_from_json(value["history"]),
        introduced_by=commit_from_json(value["introduced_by"]),
        verdict=verdict_from_json(value["verdict"]),
        baselined=bool(value["baselined"]),
        line_text=value["line_text"],
        # absent from the state of audits before file findings named their variables
        variables=variables_from_json(value.get("variables")),
        # absent from the state of audits before severities had reasons
        context=value.get("context"),
        severity_reason=value.get("severity_reason", ""),
        base_severity=Severity(value["base_severity"]) if value.get("base_severity") else None,
        # absent from the state of audits before findings carried details
        details=tuple((str(label), str(text)) for label, text in value.get("details", ())),
    )


def variables_from_json(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def suppressed_to_json(suppressed: Suppressed) -> dict[str, int]:
    return {
        "inline": suppressed.inline,
        "allowlist": suppressed.allowlist,
        "placeholder": suppressed.placeholder,
    }


def suppressed_from_json(value: Any) -> Suppressed:
    # the state of an audit before suppressions had reasons holds one count: the inline
    # markers' (allowlists apply to the merged result, not to a stored repository's)
    if isinstance(value, int):
        return Suppressed(inline=value)
    return Suppressed(value["inline"], value["allowlist"], value["placeholder"])


def result_to_json(result: ScanResult) -> dict[str, Any]:
    """Everything but the rules."""
    return {
        "findings": [finding_to_json(finding) for finding in result.findings],
        "skipped": [[skip.path, skip.reason] for skip in result.skipped],
        "files_scanned": result.files_scanned,
        "bytes_scanned": result.bytes_scanned,
        "suppressed": suppressed_to_json(result.suppressed),
        "elapsed": result.elapsed,
        "commits_scanned": result.commits_scanned,
        "notes": list(result.notes),
    }


def result_from_json(value: Any) -> ScanResult:
    return ScanResult(
        findings=tuple(finding_from_json(item) for item in value["findings"]),
        skipped=tuple(Skipped(path, reason) for path, reason in value["skipped"]),
        files_scanned=value["files_scanned"],
        bytes_scanned=value["bytes_scanned"],
        suppressed=suppressed_from_json(value["suppressed"]),
        elapsed=value["elapsed"],
        commits_scanned=value["commits_scanned"],
        notes=tuple(value["notes"]),
    )
