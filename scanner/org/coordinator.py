"""An organisation audit: many repositories' histories, one result, resumable across runs.

The client (this process) expands the targets, hands one task per repository to an executor
(local processes, or a Dask cluster), keeps the state of finished repositories as their
outcomes arrive, and merges their results into one.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.config.settings import ScanOptions
from scanner.errors import KeyleakError
from scanner.git import NETWORK_TIMEOUT
from scanner.model import Rule, ScanResult
from scanner.org import state, task_events
from scanner.org.audit_progress import AuditProgress
from scanner.org.executor import Executor, TaskFailure
from scanner.org.merge import Audited, merge, recount
from scanner.org.targets import Target, collect
from scanner.org.task import AuditJob, Previous, RepositoryOutcome, audit_repository
from scanner.pipeline.finish import known_and_allowed
from scanner.report.summary import human_size
from scanner.util.progress import wanted


@dataclass(frozen=True)
class AuditOptions:
    """What an organisation audit covers and how it runs."""

    targets: tuple[str, ...] = ()
    #: a file listing targets, one per line (`-`: stdin)
    list_file: str | None = None
    jobs: int = 1
    #: a Dask scheduler's address: run the tasks there instead of on local processes
    scheduler: str | None = None
    cache_dir: str | None = None
    max_blob_size: int = 10 * 1024 * 1024
    fetch: bool = True
    progress: bool = True
    #: seconds a remote may stay silent before its clone or fetch is given up
    network_timeout: float = NETWORK_TIMEOUT


def default_cache_dir() -> Path:
    from scanner.util.disk_cache import cache_dir

    return cache_dir() / "audit"


def audit_organisation(options: ScanOptions, audit: AuditOptions) -> ScanResult:
    """Every target audited (or reported unchanged since the last audit, or failed), merged."""
    targets = collect(audit.targets, audit.list_file)
    cache = Path(audit.cache_dir) if audit.cache_dir else default_cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise KeyleakError(f"{cache}: cannot create the cache directory: {exc.strerror}") from exc
    show = wanted(audit.progress)
    started = time.perf_counter()
    audited = audit_all(targets, cache, options, audit, show)
    result = merge(audited, lambda: rules(options), time.perf_counter() - started)
    # each repository's count as the report shows it, after the allowlists
    result = recount(known_and_allowed(result, options))
    if show:
        print(summary(result), file=sys.stderr)
    return result


def audit_all(
    targets: Sequence[Target], cache: Path, options: ScanOptions, audit: AuditOptions, show: bool
) -> list[Audited]:
    """Every target's audit, in input order; each one's state is saved as soon as it is done,
    so that an interrupted audit resumes where it stopped."""
    stored = [state.load(cache, target) for target in targets]
    jobs = [
        AuditJob(
            target=target,
            cache_dir=str(cache),
            options=options,
            max_blob_size=audit.max_blob_size,
            previous=previous.previous if previous else None,
            fetch=audit.fetch,
            network_timeout=audit.network_timeout,
            scan_jobs=scan_jobs(audit, len(targets)),
        )
        for target, previous in zip(targets, stored, strict=True)
    ]
    audited: list[Audited | None] = [None] * len(targets)
    with AuditProgress(len(targets), show) as progress:
        executor = executor_for(audit, progress.inside if show else None)
        try:
            for index, outcome in executor.run(audit_repository, jobs):
                target = targets[index]
                entry = settle(target, outcome, stored[index], cache, progress)
                audited[index] = entry
                progress.done(target.name, entry.status, entry.error)
        finally:
            executor.close()
    missing = [targets[i].name for i, entry in enumerate(audited) if entry is None]
    if missing:
        raise KeyleakError(f"the executor returned no outcome for: {', '.join(missing)}")
    return [entry for entry in audited if entry is not None]


def settle(
    target: Target,
    outcome: RepositoryOutcome | TaskFailure,
    stored: state.Stored | None,
    cache: Path,
    progress: AuditProgress,
) -> Audited:
    """What the report shows of one repository; a fresh scan is saved for the next audit."""
    if isinstance(outcome, TaskFailure):
        return Audited(target, "failed", error=target.scrub(outcome.message))
    if outcome.status == "unchanged" and stored is not None:
        return Audited(target, "unchanged", result=stored.result, elapsed=outcome.elapsed)
    if outcome.status == "scanned" and outcome.result is not None:
        previous = Previous(outcome.tips, outcome.signature)
        try:
            state.save(cache, target, state.Stored(previous, outcome.result))
        except OSError as exc:
            progress.say(f"keyleak: warning: {target.name}: cannot save the audit state: {exc}")
        return Audited(target, "scanned", result=outcome.result, elapsed=outcome.elapsed)
    error = outcome.error or f"unexpected outcome {outcome.status!r}"
    return Audited(target, "failed", error=target.scrub(error), elapsed=outcome.elapsed)


def scan_jobs(audit: AuditOptions, repositories: int) -> int:
    """Blob workers per repository's scan: the local jobs are shared among the repositories
    audited at once, so that one repository audited with `-j 2` is scanned as `history -j 2`
    scans it. A Dask worker's cores are not ours to count: one each there."""
    if audit.scheduler is not None:
        return 1
    return max(1, audit.jobs // max(1, min(audit.jobs, repositories)))


def executor_for(audit: AuditOptions, events: task_events.Sink | None = None) -> Executor:
    """Where the tasks run; `events`, if given, hears of their progress inside their
    repositories (local tasks only)."""
    if audit.scheduler is not None:
        if importlib.util.find_spec("distributed") is None:
            raise KeyleakError(
                "--scheduler runs on Dask, which is not installed: install keyleak[distributed]"
            )
        from scanner.org.dask_executor import DaskExecutor

        return DaskExecutor(audit.scheduler)
    from scanner.org.local_executor import LocalExecutor

    return LocalExecutor(audit.jobs, events)


def rules(options: ScanOptions) -> Sequence[Rule]:
    from scanner.config.ruleset import load_ruleset

    return load_ruleset(options.config, lambda _: None).rules


def summary(result: ScanResult) -> str:
    statuses = [r.status for r in result.repositories]
    counts = ", ".join(
        f"{statuses.count(status):,} {status}"
        for status in ("scanned", "unchanged", "failed")
        if status in statuses
    )
    return (
        f"keyleak: audit: {len(statuses):,} repositories ({counts}): "
        f"{result.commits_scanned:,} commits, {result.files_scanned:,} blobs, "
        f"{human_size(result.bytes_scanned)} in {result.elapsed:.2f}s"
    )
