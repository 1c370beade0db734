"""What the commits of a range add: per commit, each file's added lines as a chunk, and the lines
it deletes (a secret the same commit deletes elsewhere was moved, not added)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

from scanner import git
from scanner.model import Chunk, Provenance, Skipped, SourceKind
from scanner.sources.blobs import LFS, LFS_POINTER, LFS_POINTER_MAX, TOO_BIG
from scanner.sources.content import lines_as_text
from scanner.sources.diff import deleted_lines, parse_added_lines


def range_chunks(
    repo: str, ranges: tuple[str, ...], max_size: int
) -> Iterator[tuple[git.LoggedCommit, list[Chunk | Skipped], bytes]]:
    """Per commit of the ranges: the files' added lines as chunks, and its deleted lines.

    `A..B` expressions are walked together (what a push of several refs adds); a lone revision
    is that one commit, never a walk, since git would combine `C^!` with the others as sets.
    """
    walks = tuple(value for value in ranges if ".." in value)
    singles = tuple(value for value in ranges if ".." not in value)
    patches = itertools.chain(
        git.range_patches(walks, repo) if walks else (),
        git.range_patches(singles, repo, walk=False) if singles else (),
    )
    seen: set[str] = set()
    for commit, patch in patches:
        if commit.sha in seen:
            continue
        seen.add(commit.sha)
        items: list[Chunk | Skipped] = []
        for added in parse_added_lines(patch):
            path = os.fsdecode(added.path)
            raw = b"\n".join(added.lines)
            # UTF-16 lines decoded as the hook decodes them: a Windows file is text here too
            lines = lines_as_text(added.lines) if len(raw) <= max_size else None
            content = raw if lines is added.lines or lines is None else b"\n".join(lines)
            if len(raw) > max_size:
                items.append(Skipped(path=path, reason=TOO_BIG))
            elif lines is None:
                items.append(Skipped(path=path, reason="binary"))
            elif content.startswith(LFS_POINTER) and len(content) <= LFS_POINTER_MAX:
                items.append(Skipped(path=path, reason=LFS))
            else:
                origin = Provenance(
                    path=path, kind=SourceKind.COMMIT, line_numbers=tuple(added.line_numbers)
                )
                items.append(Chunk(content=content, origin=origin))
        yield commit, items, deleted_lines(patch)
