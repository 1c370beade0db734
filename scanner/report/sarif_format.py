"""SARIF 2.1.0, for GitHub code scanning and other SARIF readers.

Secrets are ALWAYS redacted here, whatever --no-redact says: a SARIF file is uploaded and kept
by code-scanning services and shown to everyone who can read alerts, so a full key in it would
be a second leak. Baselined findings stay in the log, suppressed, so dashboards keep counting
them instead of closing them as fixed.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from pathlib import PureWindowsPath
from typing import Any, TextIO
from urllib.parse import quote

from scanner import __version__
from scanner.model import Finding, Rule, ScanResult, Severity, SourceKind, severity_text
from scanner.report import ReportOptions
from scanner.report.json_format import (
    commit_object,
    count_object,
    history_object,
    repository_objects,
    skipped_objects,
    verdict_object,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/keyleak/keyleak"
#: GitHub maps security-severity to its levels: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
#: the key of partialFingerprints; bump its /vN if the value's recipe ever changes
FINGERPRINT_KEY = "keyleakSecretAtPath/v1"


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    rules = rules_used(result)
    index = {rule.id: position for position, rule in enumerate(rules)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keyleak",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [descriptor(rule) for rule in rules],
                    }
                },
                "invocations": [invocation(result)],
                "columnKind": "unicodeCodePoints",
                "results": [sarif_result(f, index[f.rule_id]) for f in result.findings],
                "properties": run_properties(result),
            }
        ],
    }
    json.dump(log, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def rules_used(result: ScanResult) -> list[Rule]:
    """One rule per rule id found, described from the rule set when the result carries it.

    A result built without its rules (e.g. read back from another report) still gets a
    descriptor per rule, made from what its findings know.
    """
    known = {rule.id: rule for rule in result.rules}
    rules: dict[str, Rule] = {}
    for finding in result.findings:
        if finding.rule_id not in rules:
            rules[finding.rule_id] = known.get(finding.rule_id) or rule_from(finding)
    return sorted(rules.values(), key=lambda rule: rule.id)


def rule_from(finding: Finding) -> Rule:
    return Rule(
        id=finding.rule_id,
        name=finding.rule_name,
        provider=finding.provider,
        description=finding.rule_name,
        regex="",
        keywords=(),
        severity=finding.severity,
        remediation=finding.remediation,
        examples=(),
        negative_examples=(),
    )


def descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": rule.description or rule.name},
        "help": {
            "text": f"{rule.description} To fix: {rule.remediation}",
            "markdown": (
                f"{rule.description}\n\n**To fix:** {rule.remediation}\n\n"
                "A false positive can be marked with a `keyleak:allow` comment on its line."
            ),
        },
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
            "tags": ["security", "secret", f"provider/{rule.provider}", "external/cwe/cwe-798"],
        },
    }


def sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location = finding.location
    region: dict[str, Any] = {
        "startLine": location.line,
        "startColumn": location.column,
        "endLine": location.end_line,
    }
    physical: dict[str, Any] = {"artifactLocation": artifact(location.path), "region": region}
    if finding.line_text:
        physical["contextRegion"] = {
            "startLine": location.line,
            "endLine": location.line,
            "snippet": {"text": finding.line_text},
        }
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL[finding.severity],
        "message": {"text": message(finding)},
        "locations": [{"physicalLocation": physical, **logical_location(finding)}],
        "partialFingerprints": {FINGERPRINT_KEY: location_fingerprint(finding)},
        "baselineState": "unchanged" if finding.baselined else "new",
        "properties": result_properties(finding),
    }
    if finding.baselined:
        result["suppressions"] = [
            {"kind": "external", "justification": "known: listed in the keyleak baseline"}
        ]
    elif finding.inline_marker:
        # a marker the scanned range added itself: shown to the reviewer, never accepted
        result["suppressions"] = [
            {
                "kind": "inSource",
                "status": "underReview",
                "justification": f"inline marker added by this range: {finding.inline_marker}",
            }
        ]
    return result


def logical_location(finding: Finding) -> dict[str, Any]:
    """A message's finding is in no file of the checkout (its artifact is a pseudo-path): the
    commit or the tag whose message holds it, by name."""
    location, history = finding.location, finding.history
    if location.kind is SourceKind.COMMIT_MESSAGE and location.commit:
        name, what = location.commit, "commit"
    elif location.kind is SourceKind.TAG_MESSAGE and history is not None and history.refs:
        name, what = history.refs[0], "tag"
    else:
        return {}
    logical = {"name": name, "fullyQualifiedName": f"{what} {name} message", "kind": "object"}
    return {"logicalLocations": [logical]}


def artifact(path: str) -> dict[str, str]:
    """A relative URI against the checkout (%SRCROOT%), or a file URI for an absolute path."""
    if PureWindowsPath(path).is_absolute():
        return {"uri": PureWindowsPath(path).as_uri()}
    if posixpath.isabs(path):
        return {"uri": "file://" + quote(path)}
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": quote(posix, safe="/"), "uriBaseId": "%SRCROOT%"}


def location_fingerprint(finding: Finding) -> str:
    """The secret (its fingerprint) at a path: moving lines keeps an alert, a new file is new."""
    data = f"{finding.fingerprint}\0{finding.location.path}".encode()
    return hashlib.sha256(data).hexdigest()


def message(finding: Finding) -> str:
    text = f"{finding.rule_name} found: {finding.redacted}"
    if finding.verdict:
        text += f" (verified: {finding.verdict.status.value.replace('_', ' ')})"
    if finding.baselined:
        text += " (known: in the baseline)"
    return text + f". {finding.remediation}"


def result_properties(finding: Finding) -> dict[str, Any]:
    location = finding.location
    properties: dict[str, Any] = {
        "provider": finding.provider,
        "severity": finding.severity.value,
        "secret": finding.redacted,
        "redacted": True,
        "fingerprint": finding.fingerprint,
        "locationKind": location.kind,
        "encoding": list(finding.encoding),
        "baselined": finding.baselined,
    }
    if finding.details:
        properties["details"] = dict(finding.details)
    optional = {
        "context": finding.context,
        "severityReason": severity_text(finding) or None,
        "repository": location.repository,
        "commit": location.commit,
        "notebookCell": (
            {"cell": location.cell, "line": location.cell_line}
            if location.cell is not None
            else None
        ),
        "verdict": verdict_object(finding.verdict),
        "introducedBy": commit_object(finding.introduced_by),
        "history": history_object(finding.history),
    }
    properties.update({key: value for key, value in optional.items() if value is not None})
    return properties


def invocation(result: ScanResult) -> dict[str, Any]:
    run: dict[str, Any] = {"executionSuccessful": True}
    notifications = [{"level": "warning", "message": {"text": note}} for note in result.notes]
    # an audit's repositories that could not be read
    notifications += [
        {"level": "error", "message": {"text": f"{repository.name}: {repository.error}"}}
        for repository in result.repositories
        if repository.status == "failed"
    ]
    if notifications:
        run["toolExecutionNotifications"] = notifications
    return run


def run_properties(result: ScanResult) -> dict[str, Any]:
    """The JSON report's counts under SARIF's camelCase names, then the files left unscanned."""
    counts = {camel_case(name): value for name, value in count_object(result).items()}
    properties = {**counts, "skipped": skipped_objects(result)}
    if result.repositories:
        properties["repositories"] = [
            {camel_case(name): value for name, value in repository.items()}
            for repository in repository_objects(result)
        ]
    return properties


def camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)
