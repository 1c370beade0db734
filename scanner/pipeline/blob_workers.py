"""A repository's blobs scanned where they are read: contents never cross a process boundary.

Each worker process runs its own `git cat-file --batch`, asks it for the batches of object ids
it is handed and scans each blob as it arrives; it sends back only findings, skips and counts.
The parent lists objects and hands out batches. Copying every blob from one reading process to
the scanning ones (through pipes, pickled) cost more than reading them.

A batch is a contiguous run of the listing, which is in pack order: objects stored as deltas
of one another mostly land in the same git process, whose delta cache then serves them. Runs are
handed out one at a time to whichever worker is free, so every core stays busy to the end.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from scanner import git
from scanner.errors import GitError
from scanner.model import NOTHING_SUPPRESSED, Finding, Skipped, Suppressed
from scanner.pipeline.run import Scanner, process_item
from scanner.sources.blobs import blob_item

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from scanner.match.results import Matcher
    from scanner.model import Rule

#: Objects per batch: fewer would cost git its delta cache at every boundary; more would leave
#: one core idle longer at the end, and make progress reports coarser.
BATCH_OBJECTS = 512
#: ...and bytes per batch, so a run of large blobs is split up too. Not less: a delta whose base
#: went to the other worker's git is rebuilt from its chain, and with 8 MB a run of large
#: deltified blobs (built HTML docs) cost the gits a quarter more CPU than one git reading it
#: all; with 32 MB, under a tenth (benchmarks/bench_stages.py --history).
BATCH_BYTES = 32 << 20
#: Batches waiting at each worker besides the one it scans: it never waits for the parent.
QUEUED = 1
#: The last batches of a listing, held back until it ends and then each cut in TAIL_PIECES:
#: handed out whole, the last large batch would leave every other worker idle while one scans
#: it; cut finer, the workers end together.
TAIL_BATCHES = 2
TAIL_PIECES = 4
#: Seconds a worker gets to exit once told to stop, before it is killed.
STOP_TIMEOUT = 5.0
#: File descriptors a worker costs this process (its pipe's end, the two of its sentinel) and
#: those its start needs for a moment (the other ends), plus one to spare.
WORKER_DESCRIPTORS = 6
#: ...and those this process keeps free for its own gits once the workers run: the commit log,
#: the refs and tags, HEAD's tree, a first version's blob, each a few pipes and a temporary file.
PARENT_DESCRIPTORS = 24


@dataclass
class BatchOutcome:
    """What scanning one batch found, and how much it read."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    suppressed: Suppressed = NOTHING_SUPPRESSED
    #: blobs scanned (read and not skipped), and their bytes
    scanned: int = 0
    size: int = 0
    #: objects read, and their bytes: the progress made
    objects: int = 0
    read: int = 0


@dataclass(frozen=True)
class Failure:
    """An error raised in a worker, sent to the parent to raise there."""

    error: Exception


@dataclass(frozen=True)
class Unstarted:
    """A worker's answer to each batch when its git could not be started (no file descriptor
    or process left): the batch goes to the others, or this process scans it."""

    reason: str


def batches(blobs: Iterable[tuple[str, int]]) -> Iterator[list[str]]:
    """Contiguous runs of the (id, size) listed, each at most BATCH_OBJECTS ids and (but for a
    lone large blob) BATCH_BYTES bytes; the last TAIL_BATCHES cut finer, unless they are all
    there is (a history that small is over before the cut could matter)."""
    held: deque[list[str]] = deque()
    handed_out = False
    for batch in runs(blobs):
        held.append(batch)
        if len(held) > TAIL_BATCHES:
            yield held.popleft()
            handed_out = True
    for batch in held:
        if handed_out:
            yield from pieces(batch, TAIL_PIECES)
        else:
            yield batch


def pieces(batch: list[str], count: int) -> Iterator[list[str]]:
    """`batch` in `count` contiguous pieces of about the same number of ids (fewer if short)."""
    step = -(-len(batch) // count)
    for start in range(0, len(batch), step):
        yield batch[start : start + step]


def runs(blobs: Iterable[tuple[str, int]]) -> Iterator[list[str]]:
    """Contiguous runs of the (id, size) listed, each at most BATCH_OBJECTS ids and (but for a
    lone large blob) BATCH_BYTES bytes."""
    batch: list[str] = []
    total = 0
    for oid, size in blobs:
        if batch and (len(batch) >= BATCH_OBJECTS or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(oid)
        total += size
    if batch:
        yield batch


def scan_batch(
    oids: Sequence[str],
    reader: git.BlobReader,
    matcher: Matcher,
    rules: dict[str, Rule],
    markers: tuple[bytes, ...],
) -> BatchOutcome:
    outcome = BatchOutcome()
    for oid, content in reader.read(oids):
        outcome.objects += 1
        outcome.read += len(content)
        result = process_item(blob_item(oid, content), None, matcher, rules, markers)
        outcome.findings.extend(result.findings)
        outcome.skipped.extend(result.skipped)
        if result.suppressed:
            outcome.suppressed += result.suppressed
        if result.size or not result.skipped:
            outcome.scanned += 1
            outcome.size += result.size
    return outcome


def next_batch(
    returned: deque[Sequence[str]], tasks: Iterator[Sequence[str]]
) -> Sequence[str] | None:
    """The next batch to hand out: one a worker handed back first."""
    return returned.popleft() if returned else next(tasks, None)


def affordable(jobs: int) -> int:
    """`jobs`, or fewer: as many workers as the file descriptors left allow while keeping
    PARENT_DESCRIPTORS for this process (none: this process scans alone). Each worker costs
    this process descriptors and starts a git of its own, which needs more."""
    try:
        import resource

        limit, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        held = len(os.listdir("/proc/self/fd" if sys.platform == "linux" else "/dev/fd"))
    except (ImportError, OSError):  # no way to tell: the starts below stop where they fail
        return jobs
    if limit == resource.RLIM_INFINITY:
        return jobs
    return max(0, min(jobs, (limit - held - PARENT_DESCRIPTORS) // WORKER_DESCRIPTORS))


def workers(scanner: Scanner, repo: str, jobs: int) -> Serial | Pool:
    """Where the batches are scanned: here for one job, else in `jobs` processes.

    Started before anything else runs threads (the progress bar does): forking a process
    with threads running could copy a lock some thread holds.
    """
    if jobs == 1:
        return Serial(scanner, repo)
    return Pool(scanner, repo, jobs)


class Serial:
    """Batches scanned in this process, through one git."""

    def __init__(self, scanner: Scanner, repo: str) -> None:
        self.scanner = scanner
        self.reader = git.BlobReader(repo)

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reader.close()

    def run(self, tasks: Iterator[Sequence[str]]) -> Iterator[BatchOutcome]:
        matcher, rules = self.scanner.matcher(), self.scanner.ruleset.by_id()
        for oids in tasks:
            yield scan_batch(oids, self.reader, matcher, rules, self.scanner.markers)


def serve(
    connection: Connection,
    inherited: tuple[Connection, ...],
    scanner: Scanner,
    matcher: Matcher | None,
    repo: str,
) -> None:
    """A worker's life: scan each batch received until told to stop (None)."""
    # A terminal's Ctrl-C reaches the whole process group: the parent alone decides what
    # happens, and stops the workers; a worker must not die with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the parent's ends of the pipes, copied by fork: held here, a pipe would never report
    # the parent gone, and a worker whose parent was killed would wait forever
    for end in inherited:
        end.close()
    reader = git.BlobReader(repo)
    try:
        try:
            reader.start()
        except (GitError, OSError) as exc:
            # each batch handed back as it comes, until told to stop: a worker that ended at
            # once, with batches unread in its pipe, would break the pipe for the parent
            declined = Unstarted(str(exc))
            while connection.recv() is not None:
                connection.send(declined)
            return
        if matcher is None:
            matcher = scanner.volume_matcher()
        rules = scanner.ruleset.by_id()
        while (oids := connection.recv()) is not None:
            connection.send(scan_batch(oids, reader, matcher, rules, scanner.markers))
    except (EOFError, ConnectionError):
        pass  # the parent is gone: nobody to report to
    except Exception as exc:  # every other failure is the parent's to report
        with contextlib.suppress(ConnectionError):
            connection.send(Failure(exc))
    finally:
        reader.close()
        connection.close()


class Pool:
    """Worker processes, each with its own git, and the batches handed to each."""

    def __init__(self, scanner: Scanner, repo: str, jobs: int) -> None:
        import multiprocessing

        fork = sys.platform == "linux"
        context = (
            multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
        )
        self.workers: list[tuple[BaseProcess, Connection]] = []
        self.scanner, self.repo = scanner, repo
        # built once, here: forked workers share it, and databases not yet in the cache are
        # compiled once rather than by every worker at the same time
        self.matcher = matcher = scanner.volume_matcher()
        try:
            for _ in range(affordable(jobs)):
                try:
                    ours, theirs = context.Pipe()
                except OSError:  # out of file descriptors: fewer workers, the same blobs
                    break
                inherited = (*(end for _, end in self.workers), ours) if fork else ()
                process = context.Process(
                    target=serve,
                    args=(theirs, inherited, scanner, matcher if fork else None, repo),
                    daemon=True,
                )
                try:
                    process.start()
                except OSError:  # out of descriptors, processes or memory: as above
                    ours.close()
                    break
                finally:
                    theirs.close()
                self.workers.append((process, ours))
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def run(self, tasks: Iterator[Sequence[str]]) -> Iterator[BatchOutcome]:
        """Each batch's outcome, as batches finish (not in the order given). The batches of a
        worker that could not start go to the others; with none left, this process scans."""
        from multiprocessing.connection import wait

        handed: dict[Connection, deque[Sequence[str]]] = {
            connection: deque() for _, connection in self.workers
        }
        returned: deque[Sequence[str]] = deque()
        declining: set[Connection] = set()

        def hand_out(connection: Connection) -> None:
            queue = handed[connection]
            while (
                connection not in declining
                and len(queue) <= QUEUED
                and (oids := next_batch(returned, tasks)) is not None
            ):
                queue.append(oids)
                connection.send(oids)

        for connection in handed:
            hand_out(connection)
        while busy := [connection for connection, queue in handed.items() if queue]:
            for ready in wait(busy):
                connection = cast("Connection", ready)
                reply = self.receive(connection)
                oids = handed[connection].popleft()
                if isinstance(reply, Unstarted):
                    declining.add(connection)
                    returned.append(oids)
                    for other in handed:
                        hand_out(other)
                    continue
                hand_out(connection)
                yield reply
        for _, connection in self.workers:
            connection.send(None)
        for process, _ in self.workers:
            process.join(STOP_TIMEOUT)
        if (left := next_batch(returned, tasks)) is not None:
            # every worker declined: what is left is scanned here
            rules = self.scanner.ruleset.by_id()
            reader = git.BlobReader(self.repo)
            try:
                for batch in itertools.chain((left,), returned, tasks):
                    yield scan_batch(batch, reader, self.matcher, rules, self.scanner.markers)
            finally:
                reader.close()

    @staticmethod
    def receive(connection: Connection) -> BatchOutcome | Unstarted:
        try:
            reply = connection.recv()
        except EOFError:
            raise RuntimeError("a scan worker process died") from None
        if isinstance(reply, Failure):
            raise reply.error
        assert isinstance(reply, BatchOutcome | Unstarted)
        return reply

    def stop(self) -> None:
        """End every worker still running; killed, a worker's git sees its input close and
        ends too."""
        for process, connection in self.workers:
            if process.is_alive():
                process.kill()
            process.join()
            connection.close()
        self.workers = []
