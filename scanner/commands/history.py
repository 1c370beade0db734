"""`keyleak history`: every blob a repository's history holds, or the lines a range adds."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

from scanner import git
from scanner.config.settings import ScanOptions
from scanner.errors import KeyleakError
from scanner.model import ScanResult
from scanner.pipeline.finish import finish
from scanner.pipeline.history_scan import HistoryOptions, scan_history
from scanner.pipeline.range_scan import scan_ranges
from scanner.report.summary import human_size
from scanner.util.progress import wanted


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
    # shown as the user named them; git is handed only the commits they resolve to
    target = " ".join((os.path.abspath(repo), *history.revisions, *history.ranges))
    history = replace(
        history,
        revisions=tuple(git.resolve_revision(name, repo) for name in history.revisions),
        ranges=tuple(git.resolve_revision(name, repo) for name in history.ranges),
    )
    started = time.perf_counter()
    result = scan_ranges(options, history) if history.ranges else scan_history(options, history)
    result = replace(result, elapsed=time.perf_counter() - started)
    if wanted(history.progress):
        # the bar vanishes when done: this line says what it did
        print(summary(result), file=sys.stderr)
    return finish(result, options, "blob" if not history.ranges else "changed file", target)


def summary(result: ScanResult) -> str:
    return (
        f"keyleak: history: {result.commits_scanned:,} commits, {result.files_scanned:,} "
        f"{'blob' if result.files_scanned == 1 else 'blobs'}, "
        f"{human_size(result.bytes_scanned)} in {result.elapsed:.2f}s"
    )
