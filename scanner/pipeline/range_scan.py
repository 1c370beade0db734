"""What a range of commits adds: the lines each commit adds, one finding per secret, at the first
commit that added it."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from scanner import git
from scanner.config.settings import ScanOptions
from scanner.match.file_rules import is_file_rule, per_path_key
from scanner.model import (
    NOTHING_SUPPRESSED,
    Chunk,
    Finding,
    Location,
    ScanResult,
    Skipped,
    SourceKind,
)
from scanner.pipeline.attribution import as_commit
from scanner.pipeline.history_scan import HistoryOptions, notes
from scanner.pipeline.messages import MessageScan, range_message_findings
from scanner.pipeline.run import configured_scanner, outcomes
from scanner.sources.commits import range_chunks


def scan_ranges(options: ScanOptions, history: HistoryOptions) -> ScanResult:
    """The lines each commit of the ranges adds; one finding per secret, at the first commit
    that added it. A secret the same commit also deletes somewhere was moved, not added."""
    scanner = configured_scanner(options)
    rules = scanner.ruleset.by_id()
    # outcomes() keeps the order of its items: each chunk's commit waits here for its outcome
    owners: deque[tuple[git.LoggedCommit, bytes]] = deque()
    commits: list[int] = [0]

    def items() -> Iterator[Chunk | Skipped]:
        for commit, chunks, deleted in range_chunks(
            history.repo, history.ranges, history.max_blob_size
        ):
            commits[0] += 1
            for chunk in chunks:
                owners.append((commit, deleted))
                yield chunk

    findings: dict[str, Finding] = {}
    skipped: list[Skipped] = []
    suppressed = NOTHING_SUPPRESSED
    scanned = size = 0
    for outcome in outcomes(scanner, items(), options.jobs):
        commit, deleted = owners.popleft()
        skipped.extend(outcome.skipped)
        if outcome.suppressed:
            suppressed += outcome.suppressed
        if outcome.size or not outcome.skipped:
            scanned += 1
            size += outcome.size
        for finding in outcome.findings:
            if is_file_rule(rules[finding.rule_id]):
                # what the commit deletes is lines, not files
                key = per_path_key(finding.fingerprint, finding.location.path)
            elif finding.secret.encode() in deleted:
                continue
            else:
                key = finding.fingerprint
            if key not in findings:
                findings[key] = added_by(finding, commit)
    message_scan = MessageScan(scanner)
    in_messages = range_message_findings(message_scan, range_messages(history))
    every = (*findings.values(), *in_messages)
    return ScanResult(
        findings=every,
        skipped=tuple(skipped),
        files_scanned=scanned,
        bytes_scanned=size,
        suppressed=suppressed + message_scan.suppressed,
        elapsed=0.0,
        commits_scanned=commits[0],
        notes=notes(history.repo),
        rules=scanner.ruleset.used_by(every),
    )


def range_messages(history: HistoryOptions) -> list[git.LoggedCommit]:
    """The messages of the commits whose patches the range scan reads, each commit once."""
    walks = tuple(value for value in history.ranges if ".." in value)
    singles = tuple(value for value in history.ranges if ".." not in value)
    listed = [
        *(git.commit_messages(walks, history.repo) if walks else ()),
        *(git.commit_messages(singles, history.repo, walk=False) if singles else ()),
    ]
    once: dict[str, git.LoggedCommit] = {}
    for commit in listed:
        once.setdefault(commit.sha, commit)
    return list(once.values())


def added_by(finding: Finding, commit: git.LoggedCommit) -> Finding:
    location: Location = replace(finding.location, commit=commit.sha, kind=SourceKind.COMMIT)
    return replace(finding, location=location, introduced_by=as_commit(commit))
