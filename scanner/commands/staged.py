"""`keyleak staged`: what the next commit would add, read from git's index. The pre-commit hook
runs it on every commit (see scanner.entry for its fast path).

The pre-commit framework runs the same hook in other ways too, handing it file names, and the
hook tells them apart by its environment (checked against pre-commit 4 and git 2.39):

- `git commit` runs its pre-commit hook with `GIT_INDEX_FILE` set (`.git/index`, or the
  temporary index of `commit -a` and `commit PATH`); pre-commit then names the staged files.
  pre-commit sets no variable of its own that says "in a commit" (`PRE_COMMIT=1` is set in
  every mode), so `GIT_INDEX_FILE` is the signal, checked against the diff: names that are not
  all staged changes mean someone ran pre-commit on files with that variable exported, and
  they are scanned whole (except while a merge is concluded: pre-commit then names what the
  merge touches, staged or not). Here the lines the commit adds are scanned, as without names.
- `pre-commit run --all-files` (pre-commit.ci, most CI jobs), `--files F...` and a plain
  `pre-commit run` name files outside a commit: they are scanned whole, from the work tree,
  which is what pre-commit hands every hook (it stashes unstaged changes only for a plain
  `run`, so `--all-files` checks the files as they are on disk, as in a CI checkout).
- `--from-ref A --to-ref B` and the pre-push stage set `PRE_COMMIT_FROM_REF` and
  `PRE_COMMIT_TO_REF`: the lines the commits of A..B add are scanned, as
  `keyleak history --range A..B` does, under A's config. The names are not needed: a key
  added and removed again inside the range is in no file at B, yet it is pushed.
- A push whose history the remote has none of (a first push) comes without refs, as if
  `--all-files`, with `PRE_COMMIT_REMOTE_NAME` and `PRE_COMMIT_LOCAL_BRANCH` set: every blob of
  that branch's history is scanned, as `keyleak history . BRANCH` does, since all of it is sent.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from typing import Any

from scanner import git_early
from scanner.config.settings import ScanOptions
from scanner.errors import GitError
from scanner.pipeline.finish import finish
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.sources.staged_diff import staged_chunks


def run_staged(options: dict[str, Any], names: Sequence[str] = ()) -> int:
    """The hook's command: `options` named as the CLI's, `names` the files pre-commit handed
    over (none when run by hand or by `keyleak hook install`'s hook)."""
    from_ref, to_ref = os.environ.get(git_early.FROM_REF), os.environ.get(git_early.TO_REF)
    if from_ref and to_ref:
        return scan_pushed(options, ranges=(f"{from_ref}..{to_ref}",))
    local_branch = os.environ.get(git_early.LOCAL_BRANCH)
    if os.environ.get(git_early.REMOTE_NAME) and local_branch:
        return scan_pushed(options, revisions=(local_branch,))
    from scanner.commands.options import scan_options

    if names and "GIT_INDEX_FILE" not in os.environ:
        return scan_handed_files(scan_options(options, jobs=1), names)
    return scan_staged(scan_options(options, jobs=1), names)


def scan_staged(options: ScanOptions, names: Sequence[str] = ()) -> int:
    diff = git_early.staged_diff()  # started by `scanner.entry` during a commit
    if diff is None:
        # not for files named outside a commit (`scan_handed_files`)
        from scanner import git

        diff = git.staged_diff()
    if not diff:
        no_bare_repository()
    only = frozenset(names) if names else None
    # concluding a merge, pre-commit names every file the merge touches, staged or not, and a
    # conflict resolved to our side adds nothing: the staged lines are what the commit adds
    if only is not None and not all_staged(only, diff) and not concluding_merge():
        return scan_handed_files(options, names)
    chunks = staged_chunks(diff, options.max_file_size, options.config.path_allowlist(), only)
    scanner = configured_scanner(options)
    started()
    result = run_scan(scanner, chunks, jobs=1)
    return finish(result, options, "staged file")


def started() -> None:
    """Start-up is over. What it made (modules, the rule set) lives as long as the process, so
    collections leave it alone from now on (`scanner.entry.run_hook` paused the collector while
    it was made, and thaws it when the hook ends)."""
    gc.freeze()
    gc.enable()


def all_staged(names: frozenset[str], diff: bytes) -> bool:
    from scanner.sources.diff import changed_paths

    # renames are looked for only when needed: most commits have none, and finding them costs
    # two more passes over the diff
    return any(
        names <= {os.fsdecode(path) for path in changed_paths(diff, renames)}
        for renames in (False, True)
    )


def concluding_merge() -> bool:
    from scanner import git

    return git.concluding_merge()


def no_bare_repository() -> None:
    """A bare repository has no index to commit from: its diff is empty, which must not pass
    for a clean commit. Asked only when nothing is staged, so a commit pays nothing for it."""
    from scanner import git

    if git.is_bare():
        raise GitError("a bare repository has no staged changes to scan (no work tree)")


def scan_handed_files(options: ScanOptions, names: Sequence[str]) -> int:
    from functools import partial

    from scanner.pipeline.run import default_jobs
    from scanner.sources.named_files import handed_files, read_file

    config = options.config
    scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
    started()
    items = list(handed_files(names, config.path_allowlist(), config.root))
    # a handful of files is scanned sooner here than a pool of workers can start
    jobs = default_jobs() if len(items) > 64 else 1
    return finish(run_scan(scanner, items, jobs), options, "file")


def scan_pushed(
    options: dict[str, Any], ranges: tuple[str, ...] = (), revisions: tuple[str, ...] = ()
) -> int:
    """What a push sends, as `keyleak history` scans it: the lines `ranges` add, under the
    base's config, or every blob of `revisions`' history."""
    from scanner.commands.history import history_command

    started()
    return history_command(options, ranges=ranges, revisions=revisions, progress=False)
