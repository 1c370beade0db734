"""A repository's history as chunks: each unique blob once, or the lines a range of commits adds.

Blobs are named by their object id (a chunk's path is the id) until attribution
(`scanner.history`) tells which paths and commits they belong to. They are read in bulk, in
one stream per `git cat-file --batch` process, never all held at once.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from scanner import git
from scanner.model import Chunk, Provenance, Skipped
from scanner.sources import as_text, looks_binary
from scanner.sources.staged import parse_added_lines

#: How a Git LFS pointer file starts (the LFS specification): the content lives elsewhere.
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
#: LFS pointers are small; a larger blob starting like one is ordinary text.
LFS_POINTER_MAX = 1024
#: the revisions of a full audit: every ref
ALL = ("--all",)
TOO_BIG = "larger than --max-blob-size"
LFS = "Git LFS pointer"


@dataclass(frozen=True)
class BlobList:
    """The blobs to read, and those skipped unread for their size."""

    oids: tuple[str, ...]
    sizes: tuple[int, ...]
    too_big: tuple[str, ...]

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)


def list_blobs(repo: str, revisions: tuple[str, ...], max_size: int) -> BlobList:
    oids: list[str] = []
    sizes: list[int] = []
    too_big: list[str] = []
    listing = git.stored_blobs(repo) if revisions == ALL else git.list_blobs(revisions, repo)
    for oid, size in listing:
        if size > max_size:
            too_big.append(oid)
        else:
            oids.append(oid)
            sizes.append(size)
    return BlobList(tuple(oids), tuple(sizes), tuple(too_big))


def blob_items(
    repo: str, blobs: BlobList, streams: int, advance: Callable[[int], None]
) -> Iterator[Chunk | Skipped]:
    """Every listed blob as a chunk (or skipped), read through `streams` cat-file processes.

    Two processes on two cores read faster than one (git spends its time inflating); each gets
    a contiguous half of the list, which keeps objects that are deltas of each other together.
    """
    for oid, content in interleave(repo, blobs.oids, streams):
        advance(len(content))
        yield blob_item(oid, content)


def interleave(repo: str, oids: tuple[str, ...], streams: int) -> Iterator[tuple[str, bytes]]:
    share = -(-len(oids) // max(1, streams)) or 1
    readers: list[Generator[tuple[str, bytes], None, None]] = [
        git.read_blobs(oids[i : i + share], repo) for i in range(0, len(oids), share)
    ]
    try:
        while readers:
            for reader in list(readers):
                item = next(reader, None)
                if item is None:
                    readers.remove(reader)
                else:
                    yield item
    finally:
        for reader in readers:
            reader.close()


def blob_item(oid: str, content: bytes) -> Chunk | Skipped:
    """A blob's text, as a chunk named by its object id; binary and LFS pointers are skipped."""
    if len(content) <= LFS_POINTER_MAX and content.startswith(LFS_POINTER):
        return Skipped(path=oid, reason=LFS)
    text = as_text(content)
    if text is None:
        return Skipped(path=oid, reason="binary")
    return Chunk(content=text, origin=Provenance(path=oid, kind="blob"))


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
            content = b"\n".join(added.lines)
            if len(content) > max_size:
                items.append(Skipped(path=path, reason=TOO_BIG))
            elif looks_binary(content):
                items.append(Skipped(path=path, reason="binary"))
            elif content.startswith(LFS_POINTER) and len(content) <= LFS_POINTER_MAX:
                items.append(Skipped(path=path, reason=LFS))
            else:
                origin = Provenance(
                    path=path, kind="commit", line_numbers=tuple(added.line_numbers)
                )
                items.append(Chunk(content=content, origin=origin))
        yield commit, items, deleted_lines(patch)


def deleted_lines(patch: bytes) -> bytes:
    return b"\n".join(
        line[1:]
        for line in patch.split(b"\n")
        if line.startswith(b"-") and not line.startswith(b"--- ")
    )
