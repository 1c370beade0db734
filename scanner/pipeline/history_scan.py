"""A repository's history audited: every unique blob reachable from the revisions (all refs by
default) read and scanned once by the blob workers, then attributed to commits, paths and refs."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from scanner import git
from scanner.config.settings import ScanOptions
from scanner.model import NOTHING_SUPPRESSED, Finding, NamedTuple, ScanResult, Suppressed
from scanner.pipeline import blob_workers
from scanner.pipeline.attribution import attribute
from scanner.pipeline.messages import CommitMessages, MessageScan, tag_findings
from scanner.pipeline.read_ahead import Background, ReadAhead
from scanner.pipeline.run import Scanner, configured_scanner
from scanner.sources import blobs
from scanner.util.progress import Progress, wanted

Watch = Callable[[str, int, int], None]

#: commits walked between two reports to a watcher: frequent enough for a bar, too rare to cost
COMMIT_STEP = 1000
#: bytes of memory the commits read ahead while the blobs are scanned may hold, about: the whole
#: log of 20,000 commits that change 47,000 paths (35 MB), or of 345 releases' 73,000 (33 MB)
READ_AHEAD_BYTES = 40 << 20

SHALLOW_NOTE = (
    "shallow clone: history is truncated; secrets older than the oldest commit present are "
    "attributed to it"
)


@dataclass(frozen=True)
class HistoryOptions:
    """What a history scan reads: a repository, its revisions (all refs when none), or ranges."""

    repo: str = "."
    revisions: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    max_blob_size: int = 10 * 1024 * 1024
    progress: bool = True
    #: told of the work done as it is done, besides the bar: ("blobs", objects read, objects
    #: listed so far) after each batch, ("commits", walked, 0) every COMMIT_STEP commits, and
    #: ("commits", n, n) once the walk is over
    watch: Watch | None = None


@dataclass
class BlobScan:
    """What scanning every blob found, findings and skips named by object id."""

    found: dict[str, list[Finding]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    suppressed: Suppressed = NOTHING_SUPPRESSED
    scanned: int = 0
    size: int = 0


def scan_history(options: ScanOptions, history: HistoryOptions) -> ScanResult:
    """Every unique blob reachable from the revisions (all refs by default) read and scanned
    once, then attributed to commits, paths and refs."""
    repo = history.repo
    revisions = history.revisions or blobs.ALL
    log = git.CommitLog(revisions, repo)
    # started only if a file rule (a committed `.env`) names a path: its finding quotes the file
    first_versions = git.BlobReader(repo)
    every_ref = revisions == blobs.ALL
    # listing some revisions' blobs needs to know it; listing the object store does not, and
    # the walk asks later: read with the refs, meanwhile
    partial = False if every_ref else git.is_partial_clone(repo)
    ahead: ReadAhead[git.LoggedCommit] | None = None
    # read while the workers scan, as the log is
    refs = Background(lambda: read_refs(repo, every_ref))
    try:
        scanner = configured_scanner(options)
        listing = blobs.BlobListing(repo, revisions, history.max_blob_size, partial)
        show = wanted(history.progress)
        message_scan = MessageScan(scanner)
        commit_messages = CommitMessages(message_scan)
        # parsed, their messages scanned, while the workers scan the blobs
        ahead = ReadAhead(commit_messages.through(log.commits()), weight, READ_AHEAD_BYTES)
        scan = scan_blobs(
            scanner,
            repo,
            listing,
            options.jobs,
            show,
            history.watch,
            meanwhile=lambda: start(ahead, refs),
        )
        head, tips, held, tags, shallow, promisor = refs.result()
        partial = partial or promisor
        attribution = attribute(
            counted(iter(ahead), history.watch) if history.watch else iter(ahead),
            scan.found,
            scan.skipped,
            head,
            head_blobs=git.tree_blobs(head, repo) if head else None,
            tips=tips,
            held_by_refs=held,
            rules=scanner.ruleset.by_id(),
            # the full audit lists the object store, which cannot show what is missing from it
            stored=listing.listed if every_ref else None,
            # what a partial clone lacks is not scanned, and said so; elsewhere it is an error
            absent=blobs.NOT_FETCHED if partial else None,
            read=first_versions.read,
            markers=scanner.markers,
            messages=commit_messages.found,
        )
        tagged = tag_findings(message_scan, tags)
    finally:
        first_versions.close()
        log.close()
        if ahead is not None:  # after the log is closed: the thread may be waiting for git
            ahead.stop()
        refs.stop()
    findings = (*attribution.findings, *tagged)
    return ScanResult(
        findings=findings,
        skipped=attribution.skipped,
        files_scanned=scan.scanned,
        bytes_scanned=scan.size,
        suppressed=scan.suppressed + message_scan.suppressed,
        elapsed=0.0,
        commits_scanned=attribution.commits,
        notes=(SHALLOW_NOTE,) if shallow else (),
        rules=scanner.ruleset.used_by(findings),
    )


def scan_blobs(
    scanner: Scanner,
    repo: str,
    listing: blobs.BlobListing,
    jobs: int,
    show: bool,
    watch: Watch | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> BlobScan:
    """Every listed blob read and scanned by the workers, which start on the first batches
    while git is still listing the rest; each batch reports back only what it found and how
    far it got. `meanwhile` is called once worker processes scan (never when this process
    does: it would take turns with the scan), to start work of this process's own."""
    scan = BlobScan()
    read = 0
    listed = listing.blobs()
    # closed, git's listing stops at once should the scan stop early
    with contextlib.closing(listed):
        batches = blob_workers.batches(listed)
        # a single batch is not worth starting processes for
        first = list(itertools.islice(batches, 2))
        with (
            blob_workers.workers(scanner, repo, jobs if len(first) > 1 else 1) as workers,
            Progress(listing.objects, listing.size, show) as progress,
        ):
            # after the forks: a thread running while a process forks could leave a lock held
            if meanwhile is not None and isinstance(workers, blob_workers.Pool):
                meanwhile()
            for outcome in workers.run(itertools.chain(first, batches)):
                progress.expect(listing.objects, listing.size)
                progress.advance(outcome.read, outcome.objects)
                if watch is not None:
                    read += outcome.objects
                    watch("blobs", read, listing.objects)
                for finding in outcome.findings:
                    assert finding.location.blob is not None
                    scan.found.setdefault(finding.location.blob, []).append(finding)
                for skip in outcome.skipped:
                    assert skip.blob is not None
                    scan.skipped.setdefault(skip.blob, skip.reason)
                if outcome.suppressed:
                    scan.suppressed += outcome.suppressed
                scan.scanned += outcome.scanned
                scan.size += outcome.size
    scan.skipped.update(dict.fromkeys(listing.too_big, blobs.TOO_BIG))
    scan.skipped.update(dict.fromkeys(listing.absent, blobs.NOT_FETCHED))
    return scan


def weight(commit: git.LoggedCommit) -> int:
    """The bytes a parsed commit holds, about (measured with tracemalloc): 450 per change."""
    return 700 + 450 * len(commit.changes) + len(commit.message)


def counted(commits: Iterator[git.LoggedCommit], watch: Watch) -> Iterator[git.LoggedCommit]:
    """`commits`, their number told to `watch` as they are walked."""
    walked = 0
    for walked, commit in enumerate(commits, start=1):
        if walked % COMMIT_STEP == 0:
            watch("commits", walked, 0)
        yield commit
    watch("commits", walked, walked)


def notes(repo: str) -> tuple[str, ...]:
    return (SHALLOW_NOTE,) if git.is_shallow(repo) else ()


def start(*threads: ReadAhead[git.LoggedCommit] | Background[Refs]) -> None:
    for thread in threads:
        thread.start()


class Refs(NamedTuple):
    """What the refs tell attribution: HEAD's commit, each ref's tip, the blobs refs hold
    outside commits, the annotated tags' messages, whether the clone is shallow, and whether
    objects may be missing by design (a partial clone)."""

    head: str | None
    tips: list[tuple[str, str]]
    held: list[tuple[str, str, str]]
    tags: list[git.TagMessage]
    shallow: bool
    partial: bool


def read_refs(repo: str, every_ref: bool) -> Refs:
    return Refs(
        git.resolve_commit("HEAD", repo),
        git.ref_tips(repo),
        git.ref_held_blobs(repo),
        # a tag's message is a ref's, not a commit's: read with every ref, not with some revisions
        git.tag_messages(repo) if every_ref else [],
        git.is_shallow(repo),
        # a full audit's listing did not need to know; some revisions' did, and asked
        git.is_partial_clone(repo) if every_ref else False,
    )
