"""What a range does to its own judge: the config entries and inline markers it adds.

A range scan applies its base's config, so a pull request cannot allowlist, ignore or baseline
its own key; what it adds to the config is listed for the reviewer instead (`config_changes`),
and a key the range marks inline is reported, carrying its marker (`mark_inline`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scanner.config.revision import GITLEAKS_IGNORE, Snapshot
from scanner.model import Finding, ScanResult
from scanner.redaction import kind_prefix, masked, redact
from scanner.util.printable import clean

#: config keys whose values are secrets or patterns of secrets: shown redacted
SECRET_KEYS = frozenset({"allow.secrets"})


def flatten(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"allow": {"paths": [...]}}` as `{"allow.paths": [...]}`."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def shown(key: str, value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(shown(key, item) for item in value) + "]"
    if key in SECRET_KEYS and isinstance(value, str):
        return repr(redact(value, kind_prefix(value)))
    return masked_text(repr(value))


def masked_text(text: str) -> str:
    """`text` as a notice quotes it: a key pasted where no secret belongs is not shown."""
    return masked(clean(text))


def setting_changes(base: Snapshot, head: Snapshot) -> list[str]:
    where = head.source or base.source
    old, new = flatten(base.document), flatten(head.document)
    notices = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, list | None) and isinstance(after, list | None):
            added = [item for item in after or [] if item not in (before or [])]
            dropped = [item for item in before or [] if item not in (after or [])]
            notices += [f"{where}: {masked_text(key)} adds {shown(key, item)}" for item in added]
            notices += [f"{where}: {masked_text(key)} drops {shown(key, item)}" for item in dropped]
        elif after is None:
            notices.append(f"{where}: {masked_text(key)} removed (base: {shown(key, before)})")
        else:
            base_value = "unset" if before is None else shown(key, before)
            notices.append(
                f"{where}: {masked_text(key)} = {shown(key, after)} (base: {base_value})"
            )
    return notices


def ignore_lines_of(content: bytes | None) -> set[str]:
    from scanner.config.gitleaks import ignore_lines

    return set(ignore_lines(content.decode("utf-8", "replace"))) if content is not None else set()


def baseline_changes(base: Snapshot, head: Snapshot) -> list[str]:
    from scanner.policy.baseline import BaselineError, parse

    name = head.baseline_name()
    before, after = base.files.get(base.baseline_name()), head.files.get(name)
    if after is None or after == before:
        return []
    try:
        known = set(parse(before.decode("utf-8", "replace"), name).entries) if before else set()
        entries = parse(after.decode("utf-8", "replace"), name).entries
    except BaselineError as exc:
        problem = masked_text(str(exc))
        return [f"{masked_text(name)}: changed, and not a baseline keyleak reads ({problem})"]
    return [
        f"{masked_text(name)} adds {masked_text(entry.line())}"
        for entry in entries
        if entry not in known
    ]


def file_changes(base: Snapshot, head: Snapshot) -> list[str]:
    notices = [
        f"{GITLEAKS_IGNORE} adds {masked_text(repr(line))}"
        for line in sorted(
            ignore_lines_of(head.files.get(GITLEAKS_IGNORE))
            - ignore_lines_of(base.files.get(GITLEAKS_IGNORE))
        )
    ]
    notices += baseline_changes(base, head)
    told = {GITLEAKS_IGNORE, base.baseline_name(), head.baseline_name()}
    for name in sorted(head.files.keys() - told):
        if name not in base.files:
            notices.append(f"{masked_text(name)}: added (a file the config reads)")
        elif head.files[name] != base.files[name]:
            notices.append(f"{masked_text(name)}: changed (a file the config reads)")
    return notices


def config_changes(base: Snapshot, head: Snapshot) -> list[str]:
    """Each setting, allowlist, ignore and baseline entry the head's config adds to the base's,
    with the files it reads that the range adds or changes; secret patterns redacted."""
    return setting_changes(base, head) + file_changes(base, head)


def mark_inline(result: ScanResult) -> tuple[ScanResult, list[str]]:
    """Each finding whose line carries an inline marker, which the range added (a range's
    chunks are the lines it adds): it keeps its marker, and is reported."""
    findings: list[Finding] = []
    notices = []
    for finding in result.findings:
        marker = finding.line_marker
        if marker:
            finding = replace(finding, inline_marker=marker)
            location = finding.location
            commit = f" (commit {location.commit[:12]})" if location.commit else ""
            notices.append(
                f"{masked_text(location.path)}:{location.line}: the range adds an inline marker "
                f"({marker}) on the line of {finding.redacted}{commit}: reported, not silenced"
            )
        findings.append(finding)
    return replace(result, findings=tuple(findings)), notices
