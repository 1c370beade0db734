"""`keyleak history`: every blob a repository's history holds, or the lines a range adds."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scanner import git
from scanner.commands.options import scan_options
from scanner.config.project import Config
from scanner.config.settings import ScanOptions
from scanner.errors import KeyleakError
from scanner.model import ScanResult
from scanner.pipeline.finish import finish
from scanner.pipeline.history_scan import HistoryOptions, scan_history
from scanner.pipeline.range_scan import scan_ranges
from scanner.pipeline.run import default_jobs
from scanner.report.summary import human_size
from scanner.util.progress import wanted


def split_arguments(arguments: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """`[REPO] [REV...]`: the first argument is the repository when it is a directory."""
    if arguments and os.path.isdir(arguments[0]):
        return arguments[0], arguments[1:]
    return ".", arguments


@dataclass(frozen=True)
class RangeTrust:
    """Which config a range scan applies (None: the one found as every command finds it), what
    the range changes of it, and whether the inline markers it adds are reported, not obeyed."""

    config: Config | None = None
    notices: tuple[str, ...] = ()
    report_markers: bool = False


def range_ends(ranges: tuple[str, ...]) -> tuple[str, str]:
    """The base of the first range and the head of the last (a lone REV: its parent, itself)."""
    first, last = ranges[0], ranges[-1]
    base = (first.split("..", 1)[0] or "HEAD") if ".." in first else f"{first}^"
    head = last.rsplit("..", 1)[1].lstrip(".") if ".." in last else last
    return base, head or "HEAD"


@contextlib.contextmanager
def range_config(
    repo: str, ranges: tuple[str, ...], explicit: str | None, head_config: bool
) -> Iterator[RangeTrust]:
    """A range scan applies its base's config (written to a private directory for as long as
    the scan runs); `--config FILE` and `--head-config` are the user's choice of another."""
    if not ranges:
        yield RangeTrust()
        return
    from scanner.config.revision import Snapshot, materialize, snapshot
    from scanner.errors import ConfigError
    from scanner.pipeline.range_trust import config_changes
    from scanner.redaction import masked
    from scanner.util.shown_paths import aliased, shown

    base_name, head_name = range_ends(ranges)
    base_sha, head_sha = git.resolve_commit(base_name, repo), git.resolve_commit(head_name, repo)
    # messages name a revision's files `<commit>:<path>`, as `git show` opens them
    base_label = base_sha[:12] if base_sha else base_name
    chosen = explicit is not None or head_config
    notices: list[str] = []
    try:
        # a lone root commit has no base: nothing configured before it
        base = snapshot(repo, base_sha, base_label) if base_sha else Snapshot(base_name)
    except ConfigError as exc:
        if not chosen:
            raise
        # the config the user chose applies: a base that cannot be read is only told of
        base = Snapshot(base_label)
        notices = [f"the base's config cannot be read: {masked(str(exc))}"]
    if head_sha:
        try:
            notices += config_changes(base, snapshot(repo, head_sha, head_sha[:12]))
        except ConfigError as exc:
            notices += [f"the range's config cannot be read: {masked(str(exc))}"]
    notices = [f"the range changes keyleak's config: {notice}" for notice in notices]
    if chosen:
        which = (
            f"--config {explicit}" if explicit is not None else "the work tree's (--head-config)"
        )
        yield RangeTrust(None, (f"config applied: {which}", *notices))
        return
    lead = (
        f"config applied: the base revision {base_name}'s (--head-config applies the work tree's)"
    )
    with (
        tempfile.TemporaryDirectory(prefix="keyleak-base-config-") as directory,
        aliased(directory, base_label),
    ):
        try:
            config = materialize(base, Path(directory))
            report_markers = config.inline_ignores
            # markers are read after the scan, so that the range's own ones do not silence a key
            config = replace(config, inline_ignores=False)
            yield RangeTrust(config, (lead, *notices), report_markers)
        except KeyleakError as exc:
            # the message is printed after the directory is gone: name the revision's file
            exc.args = (shown(str(exc)),)
            raise


def history_command(
    options: dict[str, Any],
    repo: str = ".",
    revisions: tuple[str, ...] = (),
    ranges: tuple[str, ...] = (),
    *,
    head_config: bool = False,
    jobs: int | None = None,
    max_blob_size: int | None = None,
    progress: bool = True,
) -> int:
    """`keyleak history` from its options (named as the CLI's), under the config `range_config`
    chooses; the pre-push hook scans what a push sends through it too."""
    with range_config(repo, ranges, options["config_file"], head_config) as trust:
        settings = scan_options(options, jobs or default_jobs(), anchor=repo, config=trust.config)
        history = HistoryOptions(
            repo=repo,
            revisions=revisions,
            ranges=ranges,
            max_blob_size=max_blob_size or settings.max_file_size,
            progress=progress,
        )
        return run_history(settings, history, trust)


def run_history(
    options: ScanOptions, history: HistoryOptions, trust: RangeTrust = RangeTrust()
) -> int:
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
    result = with_trust(result, options, trust)
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


def with_trust(result: ScanResult, options: ScanOptions, trust: RangeTrust) -> ScanResult:
    """The range's changes to the config, and its inline markers, as notes every report shows,
    and on stderr when the report goes elsewhere."""
    notices = list(trust.notices)
    if trust.report_markers:
        from scanner.pipeline.range_trust import mark_inline

        result, markers = mark_inline(result)
        notices += markers
    if not notices:
        return result
    if options.format != "text" or options.output not in (None, "-"):
        for notice in notices:
            print(f"keyleak: notice: {notice}", file=sys.stderr)
    return replace(result, notes=(*result.notes, *notices))
