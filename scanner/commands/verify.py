"""`keyleak verify`: verdicts for the keys of a JSON report (written with --no-redact), or for
whatever keys a text holds (one per line on stdin, say)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from typing import Any

from scanner.config.settings import ScanOptions
from scanner.errors import ConfigError
from scanner.model import (
    NOTHING_SUPPRESSED,
    Chunk,
    Finding,
    Location,
    Provenance,
    Rule,
    ScanResult,
    Severity,
    SourceKind,
)
from scanner.pipeline.finish import finish
from scanner.pipeline.run import Scanner, run_scan
from scanner.redaction import fingerprint, redact, vendor_prefix
from scanner.rules import load_rules


def verify_input(source: str | None, options: ScanOptions) -> int:
    label = "<stdin>" if source in (None, "-") else str(source)
    text = read_input(source, label)
    ruleset = load_rules()
    items = report_items(text, label)
    if items is None:
        result = run_scan(Scanner(ruleset, options.engine), [chunk_of(text, label)], jobs=1)
    else:
        findings = tuple(finding_from_item(item, ruleset.by_id(), label) for item in items)
        result = ScanResult(
            findings=findings,
            skipped=(),
            files_scanned=0,
            bytes_scanned=0,
            suppressed=NOTHING_SUPPRESSED,
            elapsed=0.0,
            rules=ruleset.used_by(findings),
        )
    verify = dataclasses.replace(options.verify, enabled=True)
    read_from = "" if items is None else label
    return finish(result, dataclasses.replace(options, verify=verify), "input", read_from=read_from)


#: the most `keyleak verify` reads: a report of tens of thousands of findings fits
INPUT_CAP = 256 << 20


def read_input(source: str | None, label: str) -> str:
    from scanner.util.small_file import read_at_most

    try:
        if label == "<stdin>":
            data = read_at_most(sys.stdin.buffer, INPUT_CAP)
        else:
            with open(label, "rb") as handle:
                data = read_at_most(handle, INPUT_CAP)
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read: {exc.strerror}") from None
    return data.decode("utf-8", "replace")


def chunk_of(text: str, label: str) -> Chunk:
    return Chunk(text.encode("utf-8"), Provenance(path=label))


def report_items(text: str, label: str) -> list[dict[str, Any]] | None:
    """The finding objects of a keyleak JSON or JSON Lines report; None for any other text."""
    try:
        document = parse_json(text, label)
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            objects = [parse_json(line, label) for line in lines]
        except ValueError:
            return None
        finding_like = all(isinstance(o, dict) and "rule_id" in o for o in objects)
        return objects if objects and finding_like else None
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        return [item for item in document["findings"] if isinstance(item, dict)]
    return None


def parse_json(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        # the parser recurses once per level; no report is this deep
        raise ConfigError(f"{label}: nested too deeply to read as JSON") from None


def finding_from_item(item: dict[str, Any], rules: Mapping[str, Rule], label: str) -> Finding:
    rule_id, secret = item.get("rule_id"), item.get("secret")
    if not isinstance(rule_id, str) or not isinstance(secret, str):
        raise ConfigError(f"{label}: not a keyleak report (a finding lacks rule_id or secret)")
    if item.get("redacted") is not False:
        raise ConfigError(f"{label}: its secrets are redacted; write the report with --no-redact")
    rule = rules.get(rule_id)
    where: Any = item.get("location")
    where = where if isinstance(where, dict) else {}
    line = int(where.get("line") or 0)
    return Finding(
        rule_id=rule_id,
        rule_name=str(item.get("rule_name") or (rule.name if rule else rule_id)),
        provider=str(item.get("provider") or (rule.provider if rule else "")),
        severity=severity_of(item.get("severity"), rule),
        remediation=str(item.get("remediation") or (rule.remediation if rule else "")),
        location=Location(
            path=str(where.get("path") or label),
            line=line,
            column=int(where.get("column") or 0),
            end_line=int(where.get("end_line") or line),
            kind=source_kind(where.get("kind")),
            commit=where.get("commit") if isinstance(where.get("commit"), str) else None,
        ),
        secret=secret,
        redacted=redact(secret, vendor_prefix(rule) if rule else ""),
        fingerprint=fingerprint(rule_id, secret.encode("utf-8")),
        baselined=item.get("baselined") is True,
        # the report's severity is already graded: its context must not lower it again
        context=context if (context := item.get("context")) in CONTEXTS else None,
        severity_reason=str(item.get("severity_reason") or ""),
        base_severity=severity_of(base, rule) if (base := item.get("base_severity")) else None,
    )


#: the contexts a report may name (scanner.policy.context)
CONTEXTS = ("test", "docs", "example")


def severity_of(value: object, rule: Rule | None) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        return rule.severity if rule else Severity.HIGH


def source_kind(value: object) -> SourceKind:
    """A report's location kind; a file's when it names none keyleak knows."""
    try:
        return SourceKind(str(value or SourceKind.FILE))
    except ValueError:
        return SourceKind.FILE
