"""Every repository's part of an audit merged into one result, in the order they were given."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from scanner.model import NOTHING_SUPPRESSED, Finding, RepositoryStatus, Rule, ScanResult, Skipped
from scanner.org.targets import Target


@dataclass(frozen=True)
class Audited:
    """One repository as the report shows it: `result` is this audit's scan, or for an
    unchanged repository the stored scan of the audit that last read it."""

    target: Target
    status: str
    error: str = ""
    result: ScanResult | None = None
    elapsed: float = 0.0


def merge(
    audited: Sequence[Audited], rules: Callable[[], Sequence[Rule]], elapsed: float
) -> ScanResult:
    """One result: every repository's findings, skips and notes, each naming its repository;
    counts of work done (commits, blobs, bytes) only for the repositories scanned this time.
    `rules` is asked only when a stored result's findings need rules this audit did not load.
    """
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    notes: list[str] = []
    used: dict[str, Rule] = {}
    files = size = commits = 0
    suppressed = NOTHING_SUPPRESSED
    for entry in audited:
        result = entry.result
        if result is None:
            continue
        name = entry.target.name
        for finding in result.findings:
            location = replace(finding.location, repository=name)
            findings.append(replace(finding, location=location))
        skipped += [replace(skip, path=f"{name}/{skip.path}") for skip in result.skipped]
        notes += [f"{name}: {note}" for note in result.notes]
        suppressed += result.suppressed
        used.update((rule.id, rule) for rule in result.rules)
        if entry.status == "scanned":
            files += result.files_scanned
            size += result.bytes_scanned
            commits += result.commits_scanned
    if any(finding.rule_id not in used for finding in findings):
        used.update((rule.id, rule) for rule in rules() if rule.id not in used)
    wanted = {finding.rule_id for finding in findings}
    return ScanResult(
        findings=tuple(findings),
        skipped=tuple(skipped),
        files_scanned=files,
        bytes_scanned=size,
        suppressed=suppressed,
        elapsed=elapsed,
        commits_scanned=commits,
        notes=tuple(notes),
        rules=tuple(rule for rule_id, rule in sorted(used.items()) if rule_id in wanted),
        repositories=tuple(status(entry) for entry in audited),
    )


def status(entry: Audited) -> RepositoryStatus:
    """A repository's line of the report; its count of findings is `recount`'s to fill in."""
    result = entry.result
    return RepositoryStatus(
        name=entry.target.name,
        url=entry.target.url,
        status=entry.status,
        error=entry.error,
        commits=result.commits_scanned if result else 0,
        blobs=result.files_scanned if result else 0,
        bytes=result.bytes_scanned if result else 0,
        elapsed=entry.elapsed,
    )


def recount(result: ScanResult) -> ScanResult:
    """Each repository's count of findings as the report shows them (after the allowlists)."""
    counts = Counter(finding.location.repository for finding in result.findings)
    statuses = tuple(replace(r, findings=counts[r.name]) for r in result.repositories)
    return replace(result, repositories=statuses)
