"""What a commit would add: each staged file's added lines as a chunk, with their line numbers in
the index. The diff is read from git (`scanner.git.staged_diff`) and parsed by `sources.diff`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanner.model import Chunk, Provenance, Skipped, SourceKind
from scanner.sources.content import lines_as_text
from scanner.sources.diff import parse_added_lines

if TYPE_CHECKING:  # the hook imports globs only when the config has a path allowlist
    from scanner.config.globs import GlobSet


def staged_chunks(
    diff: bytes, max_size: int, allowlist: GlobSet | None = None
) -> Iterator[Chunk | Skipped]:
    """Each file's added lines as a chunk; `allowlist` globs (root-relative, as git's paths are)
    skip files."""
    for added in parse_added_lines(diff):
        path = os.fsdecode(added.path)
        if allowlist is not None and allowlist.matches(path):
            yield Skipped(path=path, reason="path allowlist")
            continue
        size = sum(len(line) + 1 for line in added.lines)
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
