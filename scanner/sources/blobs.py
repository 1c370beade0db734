"""A repository's history as blobs: each unique blob once, listed while it is being read.

Blobs are known by their object id (`Provenance.blob`; their path is empty) until attribution
(`scanner.pipeline.attribution`) tells which paths and commits they belong to. They are read in
bulk by the scan workers (`scanner.pipeline.blob_workers`), one at a time, never all held at
once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Generator

from scanner import git
from scanner.model import Chunk, Provenance, Skipped, SourceKind
from scanner.sources.content import as_text

#: How a Git LFS pointer file starts (the LFS specification): the content lives elsewhere.
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
#: LFS pointers are small; a larger blob starting like one is ordinary text.
LFS_POINTER_MAX = 1024
#: a whole pointer, as the specification has it: a file that only starts like one is text, or
#: any file could hide a key under the header
LFS_POINTER_SHAPE = re.compile(
    rb"version https://git-lfs\.github\.com/spec/v1\n"
    rb"(?:ext-[0-9]-[a-z0-9.-]+ sha256:[0-9a-f]{64}\n)*"
    rb"oid sha256:[0-9a-f]{64}\nsize [0-9]+\n?"
)
#: the revisions of a full audit: every ref
ALL = git.ALL_REFS
TOO_BIG = "larger than --max-blob-size"
LFS = "Git LFS pointer"
#: a partial clone's blob that was never fetched: keyleak never fetches, so it is not scanned
NOT_FETCHED = "missing from this partial clone (not fetched)"


class BlobListing:
    """The blobs to read, listed while they are being read; those over the size limit are
    set aside unread. What was listed so far is counted, for progress."""

    def __init__(
        self, repo: str, revisions: tuple[str, ...], max_size: int, partial: bool = False
    ) -> None:
        self.repo = repo
        self.revisions = revisions
        self.max_size = max_size
        #: a partial clone: a blob it lacks is set aside as NOT_FETCHED, never an error
        self.partial = partial
        #: every blob listed, too big or not: in a full audit, what the object store holds
        self.listed: set[str] = set()
        self.too_big: list[str] = []
        #: the blobs a partial clone lacks (a full audit lists the store, so never any)
        self.absent: list[str] = []
        self.objects = 0
        self.size = 0

    def blobs(self) -> Generator[tuple[str, int], None, None]:
        """(id, size) of each blob to read, in the order git lists them."""
        revisions = self.revisions
        listing = (
            git.stored_blobs(self.repo)
            if revisions == ALL
            else git.list_blobs(revisions, self.repo, self.partial)
        )
        # closed, git is waited for even when the reading stops early
        with contextlib.closing(listing):
            for oid, size in listing:
                if size == git.MISSING:
                    self.absent.append(oid)
                    continue
                self.listed.add(oid)
                if size > self.max_size:
                    self.too_big.append(oid)
                else:
                    self.objects += 1
                    self.size += size
                    yield oid, size


def is_lfs_pointer(content: bytes) -> bool:
    return (
        len(content) <= LFS_POINTER_MAX
        and content.startswith(LFS_POINTER)
        and LFS_POINTER_SHAPE.fullmatch(content) is not None
    )


def blob_item(oid: str, content: bytes) -> Chunk | Skipped:
    """A blob's text, as a chunk known by its object id; binary and LFS pointers are skipped."""
    if is_lfs_pointer(content):
        return Skipped(path="", reason=LFS, blob=oid)
    text = as_text(content)
    if text is None:
        return Skipped(path="", reason="binary", blob=oid)
    return Chunk(content=text, origin=Provenance(path="", kind=SourceKind.BLOB, blob=oid))
