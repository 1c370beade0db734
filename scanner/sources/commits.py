"""What the commits of a range add: per commit, each file's added lines as a chunk, and the lines
it deletes (a secret the same commit deletes elsewhere was moved, not added)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator

from scanner import git
from scanner.errors import GitError
from scanner.model import Chunk, Provenance, Skipped, SourceKind
from scanner.sources.blobs import LFS, NOT_FETCHED, TOO_BIG, is_lfs_pointer
from scanner.sources.content import lines_as_text
from scanner.sources.diff import AddedLines, deleted_lines, parse_added_lines


def range_chunks(
    repo: str, ranges: tuple[str, ...], max_size: int
) -> Iterator[tuple[git.LoggedCommit, list[Chunk | Skipped], bytes]]:
    """Per commit of the ranges: the files' added lines as chunks, and its deleted lines.

    `A..B` expressions are walked together (what a push of several refs adds); a lone revision
    is that one commit, never a walk, since git would combine `C^!` with the others as sets.
    """
    walks = tuple(value for value in ranges if ".." in value)
    singles = tuple(value for value in ranges if ".." not in value)
    shown = partial_patches if git.is_partial_clone(repo) else whole_patches
    patches = itertools.chain(
        shown(walks, repo) if walks else (),
        shown(singles, repo, walk=False) if singles else (),
    )
    seen: set[str] = set()
    for commit, not_fetched, patch in patches:
        if commit.sha in seen:
            continue
        seen.add(commit.sha)
        items: list[Chunk | Skipped] = [*not_fetched]
        files: Iterable[AddedLines] = parse_added_lines(patch)
        deleted = deleted_lines(patch)
        if len(commit.parents) > 2:
            deleted = b""
            try:
                files = octopus_added(commit, repo)
            except GitError:  # a partial clone that lacks a side's blobs, as for a merge
                files = []
                items.append(Skipped(path=commit.sha, reason=NOT_FETCHED))
        for added in files:
            path = os.fsdecode(added.path)
            raw = b"\n".join(added.lines)
            # UTF-16 lines decoded as the hook decodes them: a Windows file is text here too
            lines = lines_as_text(added.lines) if len(raw) <= max_size else None
            content = raw if lines is added.lines or lines is None else b"\n".join(lines)
            if len(raw) > max_size:
                items.append(Skipped(path=path, reason=TOO_BIG))
            elif lines is None:
                items.append(Skipped(path=path, reason="binary"))
            elif is_lfs_pointer(content):
                items.append(Skipped(path=path, reason=LFS))
            else:
                origin = Provenance(
                    path=path, kind=SourceKind.COMMIT, line_numbers=tuple(added.line_numbers)
                )
                items.append(Chunk(content=content, origin=origin))
        yield commit, items, deleted


def octopus_added(commit: git.LoggedCommit, repo: str) -> list[AddedLines]:
    """What a merge of three parents or more changed by hand: the lines added against every
    parent. `--remerge-diff` skips such a merge (with only a warning), so a key written into
    one would pass unseen; a line some parent has is that parent's commits' to answer for."""
    first, *others = commit.parents
    elsewhere = [
        {
            (added.path, line)
            for added in parse_added_lines(git.commit_patch(parent, commit.sha, repo))
            for line in added.lines
        }
        for parent in others
    ]
    kept: list[AddedLines] = []
    for added in parse_added_lines(git.commit_patch(first, commit.sha, repo)):
        own = AddedLines(added.path)
        for number, line in zip(added.line_numbers, added.lines, strict=True):
            if all((added.path, line) in lines for lines in elsewhere):
                own.lines.append(line)
                own.line_numbers.append(number)
        if own.lines:
            kept.append(own)
    return kept


def whole_patches(
    ranges: tuple[str, ...], repo: str, walk: bool = True
) -> Iterator[tuple[git.LoggedCommit, list[Skipped], bytes]]:
    """The range's commits with their patches, in a clone that holds every object: nothing is
    left out, so no commit has a path not scanned (the shape `partial_patches` gives)."""
    for commit, patch in git.range_patches(ranges, repo, walk):
        yield commit, [], patch


def partial_patches(
    ranges: tuple[str, ...], repo: str, walk: bool = True
) -> Iterator[tuple[git.LoggedCommit, list[Skipped], bytes]]:
    """The range's commits in a partial clone, which must not fetch what it lacks: each commit's
    patch leaves out the paths whose blob, before or after, is missing, and names them as not
    scanned. The commits and the blobs they change are listed first without reading a blob."""
    commits = git.range_commits(ranges, repo, walk)
    shas = {sha for commit in commits for sha in (commit.sha, *commit.parents)}
    missing = git.missing_objects(sorted(shas), repo)
    for commit in commits:
        absent = [
            change.path
            for change in commit.changes
            if change.old_oid in missing or change.new_oid in missing
        ]
        skipped = [Skipped(path=os.fsdecode(path), reason=NOT_FETCHED) for path in absent]
        try:
            shown = list(git.range_patches([commit.sha], repo, False, absent))
        except GitError:
            if len(commit.parents) < 2:
                raise
            # a merge's remerge needs blobs of both sides and their base, which the clone may
            # lack: the whole merge is then not scanned, and said so
            yield commit, [Skipped(path=commit.sha, reason=NOT_FETCHED)], b""
            continue
        # a commit that changes nothing but the paths left out is not shown at all
        for logged, patch in shown or [(commit, b"")]:
            yield logged, skipped, patch
