"""The pipeline: chunks from a source, through the matcher, into findings and a result."""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from scanner.engine import EngineName, Matcher, build_matcher
from scanner.findings import make_findings
from scanner.model import Chunk, Finding, Rule, ScanResult, Skipped
from scanner.rules import RuleSet

Item = str | Chunk | Skipped
Loader = Callable[[str], Chunk | Skipped]
#: Items per task sent to a worker process: large enough that pickling and queueing cost little
#: next to the scan, small enough to keep both cores busy to the end.
BATCH_SIZE = 64


@dataclass(frozen=True)
class ChunkOutcome:
    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    suppressed: int = 0
    size: int = 0


@dataclass(frozen=True)
class Scanner:
    """Everything a scanning process needs; picklable, so worker processes can rebuild it."""

    ruleset: RuleSet
    engine: EngineName
    load: Loader | None = None

    def matcher(self) -> Matcher:
        return build_matcher(self.ruleset.rules, self.ruleset.digest, self.engine)


def scan_chunk(chunk: Chunk, matcher: Matcher, rules: dict[str, Rule]) -> ChunkOutcome:
    result = matcher.scan(chunk.content)
    findings, suppressed = make_findings(chunk, result.matches, rules)
    skipped = tuple(
        Skipped(path=chunk.origin.path, reason=f"rule {rule_id} timed out; partly scanned")
        for rule_id in result.timed_out
    )
    return ChunkOutcome(tuple(findings), skipped, suppressed, len(chunk.content))


def process_item(
    item: Item, load: Loader | None, matcher: Matcher, rules: dict[str, Rule]
) -> ChunkOutcome:
    if isinstance(item, str):
        if load is None:
            raise TypeError(f"a path to scan, but nothing to read it with: {item}")
        item = load(item)
    if isinstance(item, Skipped):
        return ChunkOutcome(skipped=(item,))
    return scan_chunk(item, matcher, rules)


class Worker:
    """Per-process state of a parallel scan, built once by the pool's initializer."""

    current: tuple[Scanner, Matcher, dict[str, Rule]] | None = None

    @classmethod
    def start(cls, scanner: Scanner) -> None:
        cls.current = (scanner, scanner.matcher(), scanner.ruleset.by_id())

    @classmethod
    def run(cls, batch: list[Item]) -> list[ChunkOutcome]:
        assert cls.current is not None, "worker used before its initializer ran"
        scanner, matcher, rules = cls.current
        return [process_item(item, scanner.load, matcher, rules) for item in batch]


def batched(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def outcomes(scanner: Scanner, items: Iterable[Item], jobs: int) -> Iterator[ChunkOutcome]:
    """Serial for one job or a single batch; otherwise one process per job.

    Processes, not threads: per-file work is mostly Python, and threads contending for the GIL
    made a two-job scan slower than a one-job scan.
    """
    batches = batched(items, BATCH_SIZE)
    first = next(batches, [])
    second = next(batches, None)
    all_batches = itertools.chain([first] if second is None else [first, second], batches)
    if jobs == 1 or second is None:
        matcher, rules = scanner.matcher(), scanner.ruleset.by_id()
        for item in itertools.chain.from_iterable(all_batches):
            yield process_item(item, scanner.load, matcher, rules)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if sys.platform == "linux" else "spawn"
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=Worker.start,
        initargs=(scanner,),
    ) as pool:
        for results in pool.map(Worker.run, all_batches):
            yield from results


def run_scan(scanner: Scanner, items: Iterable[Item], jobs: int) -> ScanResult:
    """Scan every item: a chunk as it is, a path once the scanner's loader has read it."""
    started = time.perf_counter()
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    suppressed = scanned = size = 0
    for outcome in outcomes(scanner, items, jobs):
        findings.extend(outcome.findings)
        skipped.extend(outcome.skipped)
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
    )


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
