"""One repository's audit, as a task any executor can run: in this process, in a local worker
process, or on a Dask worker on another machine.

Everything the task needs travels in its job (picklable, and free of open files or clients),
and everything it learns comes back in its outcome. The decision to skip an unchanged
repository is taken here, after the fetch, from the ref tips and the signature the last audit
recorded, which the client hands over; the client alone reads and writes the state.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from scanner import __version__, git
from scanner.config.ruleset import load_ruleset
from scanner.config.settings import ScanOptions
from scanner.errors import KeyleakError
from scanner.model import ScanResult
from scanner.org import mirror, task_events
from scanner.org.targets import Target
from scanner.pipeline.history_scan import HistoryOptions, scan_history

#: bump when what an audit finds changes for the same rules, so that every repository is
#: scanned again rather than reported from an older audit
SIGNATURE_FORMAT = 2  # 2: commit and tag messages are scanned

Tips = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Previous:
    """What the last audit of a repository recorded: its ref tips and scan signature."""

    tips: Tips
    signature: str


@dataclass(frozen=True)
class AuditJob:
    """Everything one repository's audit needs."""

    target: Target
    #: where mirrors are kept (on the machine that runs the task)
    cache_dir: str
    options: ScanOptions
    max_blob_size: int
    previous: Previous | None = None
    #: fetch mirrors that already exist (a missing one is cloned either way)
    fetch: bool = True
    #: seconds a remote may stay silent before its clone or fetch is given up
    network_timeout: float = git.NETWORK_TIMEOUT
    #: blob worker processes of this repository's scan: the jobs no other repository uses
    scan_jobs: int = 1


@dataclass(frozen=True)
class RepositoryOutcome:
    """How one repository's audit went: `status` is "scanned" (with its `result`),
    "unchanged" (tips and signature as recorded: the stored result stands) or "failed"."""

    status: str
    error: str = ""
    tips: Tips = ()
    signature: str = ""
    result: ScanResult | None = None
    elapsed: float = 0.0


def audit_repository(job: AuditJob) -> RepositoryOutcome:
    """Mirror (or open) the repository, then audit its history unless nothing changed since
    the last audit. A repository that cannot be fetched or scanned is a failed outcome with
    its error, never an exception."""
    started = time.perf_counter()
    target = job.target
    try:
        with repository(job) as repo:
            tips = ref_tips(repo)
            signature = scan_signature(job)
            if job.previous == Previous(tips, signature):
                elapsed = time.perf_counter() - started
                return RepositoryOutcome(
                    "unchanged", tips=tips, signature=signature, elapsed=elapsed
                )
            history = HistoryOptions(
                repo=repo,
                max_blob_size=job.max_blob_size,
                progress=False,
                watch=task_events.reporter(target.name),
            )
            result = scan_history(replace(job.options, jobs=job.scan_jobs), history)
    except (KeyleakError, OSError) as exc:
        return RepositoryOutcome(
            "failed", error=target.scrub(describe(exc)), elapsed=time.perf_counter() - started
        )
    elapsed = time.perf_counter() - started
    return RepositoryOutcome(
        "scanned",
        tips=tips,
        signature=signature,
        result=replace(result, elapsed=elapsed),
        elapsed=elapsed,
    )


def describe(error: KeyleakError | OSError) -> str:
    if isinstance(error, KeyleakError) or not error.strerror:
        return str(error)
    return f"{error.filename}: {error.strerror}" if error.filename else error.strerror


@contextlib.contextmanager
def repository(job: AuditJob) -> Iterator[str]:
    """The repository to read: a local one in place, a remote one's mirror, up to date and
    locked for as long as it is read."""
    target = job.target
    if not target.remote:
        if not os.path.isdir(target.location):
            raise KeyleakError(f"{target.name}: no such directory")
        git.git_dir(target.location)
        yield target.location
        return
    path = mirror.mirror_path(Path(job.cache_dir), target)
    with mirror.locked(path):
        mirror.update(target, path, job.fetch, job.network_timeout)
        yield str(path)


def ref_tips(repo: str) -> Tips:
    """Every ref and the commit HEAD is at: what must not move for a repository to be unchanged."""
    tips = dict(git.refs(repo))
    head = git.resolve_commit("HEAD", repo)
    if head is not None:
        tips["HEAD"] = head
    return tuple(sorted(tips.items()))


def scan_signature(job: AuditJob) -> str:
    """What else decides the findings: keyleak's version, the rules, the options that change
    what is read or reported."""
    ruleset = load_ruleset(job.options.config, lambda _: None)
    parts = {
        "format": SIGNATURE_FORMAT,
        "keyleak": __version__,
        "rules": ruleset.digest,
        "inline_ignores": job.options.config.inline_ignores,
        "max_blob_size": job.max_blob_size,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]
