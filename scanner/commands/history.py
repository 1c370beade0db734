"""`keyleak history`: audit every blob a repository's history holds, or the lines a range adds."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from scanner import git
from scanner.commands.scan import configured_scanner, report
from scanner.config.settings import ScanOptions
from scanner.errors import KeyleakError
from scanner.match.file_rules import is_file_rule, per_path_key
from scanner.model import Chunk, Commit, Finding, Location, ScanResult, Skipped
from scanner.report.summary import human_size
from scanner.scan import Scanner, outcomes
from scanner.sources import history as source
from scanner.util.progress import Progress, wanted

SHALLOW_NOTE = (
    "shallow clone: history is truncated; secrets older than the oldest commit present are "
    "attributed to it"
)


@dataclass(frozen=True)
class HistoryOptions:
    repo: str = "."
    revisions: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    max_blob_size: int = 10 * 1024 * 1024
    progress: bool = True


def split_arguments(arguments: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """`[REPO] [REV...]`: the first argument is the repository when it is a directory."""
    if arguments and os.path.isdir(arguments[0]):
        return arguments[0], arguments[1:]
    return ".", arguments


def run_history(options: ScanOptions, history: HistoryOptions) -> int:
    repo = history.repo
    if not os.path.isdir(repo):
        raise KeyleakError(f"{repo}: no such directory")
    git.git_dir(repo)
    started = time.perf_counter()
    result = scan_ranges(options, history) if history.ranges else audit(options, history)
    result = replace(result, elapsed=time.perf_counter() - started)
    if wanted(history.progress):
        # the bar vanishes when done: this line says what it did
        print(summary(result), file=sys.stderr)
    target = " ".join((os.path.abspath(repo), *history.revisions, *history.ranges))
    return report(result, options, "blob" if not history.ranges else "changed file", target)


def summary(result: ScanResult) -> str:
    return (
        f"keyleak: history: {result.commits_scanned:,} commits, {result.files_scanned:,} "
        f"{'blob' if result.files_scanned == 1 else 'blobs'}, "
        f"{human_size(result.bytes_scanned)} in {result.elapsed:.2f}s"
    )


@dataclass
class BlobScan:
    """What scanning every blob found, findings and skips named by object id."""

    found: dict[str, list[Finding]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    suppressed: int = 0
    scanned: int = 0
    size: int = 0


def audit(options: ScanOptions, history: HistoryOptions) -> ScanResult:
    """Every unique blob reachable from the revisions (all refs by default) read and scanned
    once, then attributed to commits, paths and refs."""
    from scanner.history import attribute

    repo = history.repo
    revisions = history.revisions or source.ALL
    log = git.CommitLog(revisions, repo)
    # started only if a file rule (a committed `.env`) names a path: its finding quotes the file
    first_versions = git.BlobReader(repo)
    try:
        scanner = configured_scanner(options)
        listing = source.BlobListing(repo, revisions, history.max_blob_size)
        scan = scan_blobs(scanner, repo, listing, options.jobs, wanted(history.progress))
        head = git.resolve_commit("HEAD", repo)
        attribution = attribute(
            log.commits(),
            scan.found,
            scan.skipped,
            head,
            head_blobs=git.tree_blobs(head, repo) if head else None,
            tips=git.ref_tips(repo),
            rules=scanner.ruleset.by_id(),
            # the full audit lists the object store, which cannot show what is missing from it
            stored=listing.listed if revisions == source.ALL else None,
            read=first_versions.read,
            markers=scanner.markers,
        )
    finally:
        first_versions.close()
        log.close()
    return ScanResult(
        findings=attribution.findings,
        skipped=attribution.skipped,
        files_scanned=scan.scanned,
        bytes_scanned=scan.size,
        suppressed=scan.suppressed,
        elapsed=0.0,
        commits_scanned=attribution.commits,
        notes=notes(repo),
        rules=scanner.ruleset.used_by(attribution.findings),
    )


def scan_blobs(
    scanner: Scanner, repo: str, listing: source.BlobListing, jobs: int, show: bool
) -> BlobScan:
    """Every listed blob read and scanned by the workers, which start on the first batches
    while git is still listing the rest; each batch reports back only what it found and how
    far it got."""
    from scanner import blobscan

    scan = BlobScan()
    blobs = listing.blobs()
    # closed, git's listing stops at once should the scan stop early
    with contextlib.closing(blobs):
        batches = blobscan.batches(blobs)
        # a single batch is not worth starting processes for
        first = list(itertools.islice(batches, 2))
        with (
            blobscan.workers(scanner, repo, jobs if len(first) > 1 else 1) as workers,
            Progress(listing.objects, listing.size, show) as progress,
        ):
            for outcome in workers.run(itertools.chain(first, batches)):
                progress.expect(listing.objects, listing.size)
                progress.advance(outcome.read, outcome.objects)
                for finding in outcome.findings:
                    scan.found.setdefault(finding.location.path, []).append(finding)
                for skip in outcome.skipped:
                    scan.skipped.setdefault(skip.path, skip.reason)
                scan.suppressed += outcome.suppressed
                scan.scanned += outcome.scanned
                scan.size += outcome.size
    scan.skipped.update(dict.fromkeys(listing.too_big, source.TOO_BIG))
    return scan


def notes(repo: str) -> tuple[str, ...]:
    return (SHALLOW_NOTE,) if git.is_shallow(repo) else ()


def scan_ranges(options: ScanOptions, history: HistoryOptions) -> ScanResult:
    """The lines each commit of the ranges adds; one finding per secret, at the first commit
    that added it. A secret the same commit also deletes somewhere was moved, not added."""
    scanner = configured_scanner(options)
    rules = scanner.ruleset.by_id()
    # outcomes() keeps the order of its items: each chunk's commit waits here for its outcome
    owners: deque[tuple[git.LoggedCommit, bytes]] = deque()
    commits: list[int] = [0]

    def items() -> Iterator[Chunk | Skipped]:
        for commit, chunks, deleted in source.range_chunks(
            history.repo, history.ranges, history.max_blob_size
        ):
            commits[0] += 1
            for chunk in chunks:
                owners.append((commit, deleted))
                yield chunk

    findings: dict[str, Finding] = {}
    skipped: list[Skipped] = []
    suppressed = scanned = size = 0
    for outcome in outcomes(scanner, items(), options.jobs):
        commit, deleted = owners.popleft()
        skipped.extend(outcome.skipped)
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
    return ScanResult(
        findings=tuple(findings.values()),
        skipped=tuple(skipped),
        files_scanned=scanned,
        bytes_scanned=size,
        suppressed=suppressed,
        elapsed=0.0,
        commits_scanned=commits[0],
        notes=notes(history.repo),
        rules=scanner.ruleset.used_by(findings.values()),
    )


def added_by(finding: Finding, commit: git.LoggedCommit) -> Finding:
    location: Location = replace(finding.location, commit=commit.sha, kind="commit")
    author = Commit(commit.sha, commit.author_name, commit.author_email, commit.date)
    return replace(finding, location=location, introduced_by=author)
