"""What a commit would add: each staged file's added lines as a chunk, with their line numbers in
the index. The diff is read from git (`scanner.git.staged_diff`) and parsed by `sources.diff`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.model import Chunk, Provenance, Skipped, SourceKind
from scanner.sources.content import lines_as_text
from scanner.sources.diff import header_values, parse_added_lines, unquote_path

if TYPE_CHECKING:  # the hook imports globs only when the config has a path allowlist
    from scanner.config.globs import GlobSet


UNMERGED = b"* Unmerged path "


def staged_chunks(
    diff: bytes,
    max_size: int,
    allowlist: GlobSet | None = None,
    only: frozenset[str] | None = None,
) -> Iterator[Chunk | Skipped]:
    """Each file's added lines as a chunk; `allowlist` globs (root-relative, as git's paths are)
    skip files, and so does `only` (the file names pre-commit handed the hook) when given."""
    yield from unmerged(diff)
    for added in parse_added_lines(diff):
        path = os.fsdecode(added.path)
        if only is not None and path not in only:
            continue
        if allowlist is not None and allowlist.matches(path):
            yield Skipped(path=path, reason="path allowlist")
            continue
        size = sum(map(len, added.lines)) + len(added.lines)
        lines = lines_as_text(added.lines) if size <= max_size else None
        if size > max_size:
            yield Skipped(path=path, reason="larger than --max-file-size")
        elif lines is None:
            yield Skipped(path=path, reason="binary")
        else:
            content = b"\n".join(lines)
            yield Chunk(
                content=content,
                origin=Provenance(
                    path=path, kind=SourceKind.STAGED, line_numbers=tuple(added.line_numbers)
                ),
            )


def unmerged(diff: bytes) -> Iterator[Skipped]:
    """The conflicted paths of a merge being resolved: git shows no content for an unmerged
    entry (its stages 1 to 3), only a `* Unmerged path` line, so they are listed as not
    scanned. A content line always starts with `+`, `-` or a space: the search cannot be fooled.
    """
    for name in header_values(diff, UNMERGED):
        path = os.fsdecode(unquote_path(name))
        yield Skipped(path=path, reason="unmerged (a conflict being resolved)")
