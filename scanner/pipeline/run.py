"""A scan: chunks from a source, through the matcher, into findings and a result; in this process
for one job, else through a pool of worker processes."""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from scanner.config.ruleset import load_ruleset
from scanner.config.settings import EngineName, ScanOptions
from scanner.match import notebooks
from scanner.match.chunk import chunk_matches
from scanner.match.engine import build_matcher
from scanner.match.file_rules import rule_applies_to
from scanner.match.results import Matcher
from scanner.model import (
    NOTHING_SUPPRESSED,
    Chunk,
    Finding,
    Rule,
    ScanResult,
    Skipped,
    Suppressed,
    frozen,
)
from scanner.policy.inline import INLINE_MARKERS
from scanner.rules import RuleSet

if TYPE_CHECKING:  # concurrent.futures imports logging: too slow for the hook path
    from concurrent.futures import Executor, Future

Item = str | Chunk | Skipped
Loader = Callable[[str], Chunk | Skipped]
#: Items per task sent to a worker process: large enough that pickling and queueing cost little
#: next to the scan, small enough to keep both cores busy to the end.
BATCH_SIZE = 64
#: Batches queued per worker: enough that no worker waits for the next, few enough that memory
#: stays bounded however many items a source yields.
IN_FLIGHT_PER_JOB = 4
#: Bytes a listed scan must hold before a second process pays: a helper starts late by its fork
#: and the patterns it compiles for itself, a few tens of milliseconds, which is what matching
#: a few megabytes takes.
SHARED_MIN_BYTES = 4 * 1024 * 1024
#: Bytes a shared scan matches here before the fork: the patterns and keyword databases they
#: need are then built once, and inherited, rather than by each helper (a cold helper took a
#: third longer over its share); a helper starting that much later costs no more.
WARM_BYTES = 1024 * 1024


@frozen
class ChunkOutcome:
    """What scanning one item found, skipped and suppressed, and the bytes it scanned."""

    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    suppressed: Suppressed = NOTHING_SUPPRESSED
    size: int = 0


@frozen
class Scanner:
    """Everything a scanning process needs; picklable, so worker processes can rebuild it."""

    ruleset: RuleSet
    engine: EngineName
    load: Loader | None = None
    #: inline markers that silence a match on their line (none when the config turns them off)
    markers: tuple[bytes, ...] = INLINE_MARKERS

    def matcher(self) -> Matcher:
        return build_matcher(self.ruleset.rules, self.ruleset.digest, self.engine)

    def volume_matcher(self) -> Matcher:
        """A matcher ready for far more than a commit's worth of text: a parallel scan's, or a
        spawned worker's. The code that confirms candidates and makes findings is loaded with
        it, which a clean commit never needs, so that forked workers share it rather than each
        importing it (10 ms each)."""
        from scanner.match import confirm  # noqa: F401
        from scanner.pipeline import findings  # noqa: F401
        from scanner.policy import placeholders  # noqa: F401

        matcher = self.matcher()
        matcher.expect_volume()
        return matcher


def scan_chunk(
    chunk: Chunk,
    matcher: Matcher,
    rules: dict[str, Rule],
    markers: tuple[bytes, ...] = INLINE_MARKERS,
) -> ChunkOutcome:
    findings: list[Finding] = []
    inline = placeholders = 0
    timed_out: dict[str, None] = {}
    # a notebook is scanned cell by cell; any other chunk is its own only part
    parts, unread = notebooks.split_cells(chunk)
    for part in parts:
        result = chunk_matches(part, matcher, rules)
        # a rule's `path` is a setting about where to look: applied here, not in the matcher;
        # a history blob's paths are not known yet, and the walk that learns them applies it
        path = part.origin.path
        matches = (
            result.matches
            if part.origin.blob is not None
            else [m for m in result.matches if rule_applies_to(rules[m.rule_id], path)]
        )
        timed_out.update(dict.fromkeys(result.timed_out))
        placeholders += result.placeholders
        if not matches:  # most chunks: skip building a line index for nothing
            continue
        # most chunks have no match: a clean commit never imports what makes findings
        from scanner.pipeline.findings import make_findings

        part_findings, silenced = make_findings(part, matches, rules, markers)
        findings.extend(notebooks.file_column(chunk.content, f) for f in part_findings)
        inline += silenced
    skipped = tuple(
        Skipped(chunk.origin.path, f"rule {rule_id} timed out; partly scanned", chunk.origin.blob)
        for rule_id in timed_out
    )
    if unread is not None:
        skipped += (Skipped(chunk.origin.path, unread, chunk.origin.blob),)
    suppressed = (
        Suppressed(inline=inline, placeholder=placeholders)
        if inline or placeholders
        else NOTHING_SUPPRESSED
    )
    return ChunkOutcome(tuple(findings), skipped, suppressed, len(chunk.content))


def process_item(
    item: Item,
    load: Loader | None,
    matcher: Matcher,
    rules: dict[str, Rule],
    markers: tuple[bytes, ...] = INLINE_MARKERS,
) -> ChunkOutcome:
    if isinstance(item, str):
        if load is None:
            raise TypeError(f"a path to scan, but nothing to read it with: {item}")
        item = load(item)
    if isinstance(item, Skipped):
        return ChunkOutcome(skipped=(item,))
    return scan_chunk(item, matcher, rules, markers)


class Worker:
    """Per-process state of a parallel scan, built once by the pool's initializer."""

    current: tuple[Scanner, Matcher, dict[str, Rule]] | None = None

    @classmethod
    def start(cls, scanner: Scanner, matcher: Matcher | None) -> None:
        """`matcher`: the parent's, shared by a forked worker; None: build one (spawn)."""
        if matcher is None:
            matcher = scanner.volume_matcher()
        cls.current = (scanner, matcher, scanner.ruleset.by_id())

    @classmethod
    def run(cls, batch: list[Item]) -> list[ChunkOutcome]:
        assert cls.current is not None, "worker used before its initializer ran"
        scanner, matcher, rules = cls.current
        return [process_item(item, scanner.load, matcher, rules, scanner.markers) for item in batch]


def batched(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def outcomes(scanner: Scanner, items: Iterable[Item], jobs: int) -> Iterator[ChunkOutcome]:
    """Serial for one job or a single batch; otherwise one process per job. A list (a walk
    done, files named) is shared with forked copies of this process, where there are forks.

    Processes, not threads: per-file work is mostly Python, and threads contending for the GIL
    made a two-job scan slower than a one-job scan.
    """
    if isinstance(items, list) and jobs > 1 and sys.platform == "linux":
        yield from listed_outcomes(scanner, items, jobs)
        return
    batches = batched(items, BATCH_SIZE)
    first = next(batches, [])
    second = next(batches, None)
    all_batches = itertools.chain([first] if second is None else [first, second], batches)
    if jobs == 1 or second is None:
        yield from serially(scanner, itertools.chain.from_iterable(all_batches))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fork = sys.platform == "linux"
    # built once, here: forked workers share it, and databases not yet in the cache are
    # compiled once rather than by every worker at the same time
    matcher = scanner.volume_matcher()
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
        initializer=Worker.start,
        initargs=(scanner, matcher if fork else None),
    ) as pool:
        yield from in_order(pool, all_batches, window=IN_FLIGHT_PER_JOB * jobs)


def serially(scanner: Scanner, items: Iterable[Item]) -> Iterator[ChunkOutcome]:
    """Each item's outcome, scanned in this process with a commit-sized matcher."""
    matcher, rules = scanner.matcher(), scanner.ruleset.by_id()
    for item in items:
        yield process_item(item, scanner.load, matcher, rules, scanner.markers)


def listed_outcomes(scanner: Scanner, items: list[Item], jobs: int) -> list[ChunkOutcome]:
    """The outcomes of a list of items, scanned by this process and `jobs - 1` forked helpers
    once there are enough bytes to pay for them, else by this process alone."""
    if not volume_reaches(items, SHARED_MIN_BYTES):
        return list(serially(scanner, items))
    from scanner.pipeline.forked import forked_map

    matcher, rules = scanner.volume_matcher(), scanner.ruleset.by_id()
    head: list[ChunkOutcome] = []
    warmed = 0
    for item in items:
        if warmed >= WARM_BYTES:
            break
        head.append(process_item(item, scanner.load, matcher, rules, scanner.markers))
        warmed += head[-1].size
    rest = items[len(head) :]
    if not rest:
        return head

    def scanned(item: Item) -> ChunkOutcome | int:
        outcome = process_item(item, scanner.load, matcher, rules, scanner.markers)
        # most files: only their size, cheap to send back from a helper
        plain = not (outcome.findings or outcome.skipped or outcome.suppressed)
        return outcome.size if plain else outcome

    return head + [
        ChunkOutcome(size=outcome) if isinstance(outcome, int) else outcome
        for outcome in forked_map(scanned, rest, jobs - 1)
    ]


def volume_reaches(items: Iterable[Item], enough: int) -> bool:
    """Whether the items hold `enough` bytes: files by their size on disk, counted only until
    there are enough."""
    total = 0
    for item in items:
        if isinstance(item, str):
            try:
                total += os.stat(item).st_size
            except OSError:  # the loader will say why
                continue
        elif isinstance(item, Chunk):
            total += len(item.content)
        if total >= enough:
            return True
    return False


def in_order(pool: Executor, batches: Iterable[list[Item]], window: int) -> Iterator[ChunkOutcome]:
    """Each batch's outcomes, in order, with at most `window` batches in flight.

    `Executor.map` submits every batch before yielding the first result (before Python 3.14),
    which would hold a whole history's blobs in memory at once.
    """
    pending: deque[Future[list[ChunkOutcome]]] = deque()
    for batch in batches:
        pending.append(pool.submit(Worker.run, batch))
        if len(pending) >= window:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def run_scan(scanner: Scanner, items: Iterable[Item], jobs: int) -> ScanResult:
    """Scan every item: a chunk as it is, a path once the scanner's loader has read it."""
    started = time.perf_counter()
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    suppressed = NOTHING_SUPPRESSED
    scanned = size = 0
    for outcome in outcomes(scanner, items, jobs):
        findings.extend(outcome.findings)
        skipped.extend(outcome.skipped)
        if outcome.suppressed:  # most items: nothing to add
            suppressed += outcome.suppressed
        if outcome.size or not outcome.skipped:
            scanned += 1
            size += outcome.size
    findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
    return ScanResult(
        findings=tuple(findings),
        skipped=tuple(skipped),
        files_scanned=scanned,
        bytes_scanned=size,
        suppressed=suppressed,
        elapsed=time.perf_counter() - started,
        rules=scanner.ruleset.used_by(findings),
    )


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def warn(message: str) -> None:
    from scanner.util.shown_paths import shown  # a warning is rare: not on every commit

    print(f"keyleak: warning: {shown(message)}", file=sys.stderr, flush=True)


def configured_scanner(options: ScanOptions, load: Loader | None = None) -> Scanner:
    """A Scanner with the config's rules (extra files, gitleaks rules, enable/disable) and its
    inline-marker setting."""
    config = options.config
    ruleset = load_ruleset(config, warn)
    markers = INLINE_MARKERS if config.inline_ignores else ()
    return Scanner(ruleset, options.engine, load=load, markers=markers)
