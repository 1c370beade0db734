"""The pipeline: chunks from a source, through the matcher, into findings and a result."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from scanner.engine import Matcher
from scanner.findings import make_findings
from scanner.model import Chunk, Finding, Rule, ScanResult, Skipped


@dataclass(frozen=True)
class ChunkOutcome:
    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    suppressed: int = 0
    size: int = 0


def scan_chunk(chunk: Chunk, matcher: Matcher, rules: Mapping[str, Rule]) -> ChunkOutcome:
    result = matcher.scan(chunk.content)
    findings, suppressed = make_findings(chunk, result.matches, rules)
    skipped = tuple(
        Skipped(path=chunk.origin.path, reason=f"rule {rule_id} timed out; partly scanned")
        for rule_id in result.timed_out
    )
    return ChunkOutcome(tuple(findings), skipped, suppressed, len(chunk.content))


def run_scan(
    items: Iterable[str | Chunk | Skipped],
    matcher: Matcher,
    rules: Mapping[str, Rule],
    jobs: int,
    load: Callable[[str], Chunk | Skipped] | None = None,
) -> ScanResult:
    """Scan every item: a chunk as it is, a path once `load` has read it, a skip as recorded.

    Reading and matching run on `jobs` threads: file reads and Hyperscan scans release the GIL.
    """
    started = time.perf_counter()

    def process(item: str | Chunk | Skipped) -> ChunkOutcome:
        if isinstance(item, Skipped):
            return ChunkOutcome(skipped=(item,))
        if isinstance(item, str):
            if load is None:
                raise TypeError(f"a path to scan, but nothing to read it with: {item}")
            chunk = load(item)
        else:
            chunk = item
        if isinstance(chunk, Skipped):
            return ChunkOutcome(skipped=(chunk,))
        return scan_chunk(chunk, matcher, rules)

    findings: list[Finding] = []
    skipped: list[Skipped] = []
    suppressed = scanned = size = 0
    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes: Iterable[ChunkOutcome] = list(pool.map(process, items))
    else:
        outcomes = map(process, items)
    for outcome in outcomes:
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
