"""Files and directories on disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from scanner.config.globs import GlobSet, root_relative
from scanner.errors import KeyleakError
from scanner.model import Chunk, Provenance, Skipped
from scanner.sources.content import as_text

SKIPPED_DIRECTORIES = frozenset({".git"})
ALLOWLISTED = "path allowlist"


def walk(
    paths: Sequence[str], allowlist: GlobSet | None = None, root: Path | None = None
) -> Iterator[str | Skipped]:
    """Every regular file below `paths`, in a stable order.

    Symlinks met during the walk are not followed: a link inside the tree points at something
    scanned in its own right, and one pointing out of the tree must never be read. Paths given
    explicitly are taken as the user named them. Paths the config's `allowlist` (globs relative
    to `root`) matches are skipped, a matching directory as a whole.
    """
    seen: set[str] = set()
    for path in paths:
        if not os.path.lexists(path):
            raise KeyleakError(f"{path}: no such file or directory")
        relative = root_relative(path, root or Path.cwd()) if allowlist else None
        is_dir = os.path.isdir(path)
        if allowlist and relative and allowlist.matches(relative, is_dir):
            yield Skipped(path=path, reason=ALLOWLISTED)
        elif is_dir:
            yield from walk_directory(path, seen, allowlist, relative)
        elif path not in seen:
            seen.add(path)
            yield named_file(path)


def named_file(path: str) -> str | Skipped:
    """A path the user named: followed if a symlink, but only ever opened if a regular file.

    Opening a device can have side effects (a tape rewinds) and a FIFO can block forever.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        return Skipped(path=path, reason=f"unreadable ({exc.strerror})")
    return path if stat.S_ISREG(info.st_mode) else Skipped(path=path, reason="not a regular file")


def handed_files(
    names: Sequence[str], allowlist: GlobSet | None = None, root: Path | None = None
) -> Iterator[str | Skipped]:
    """The files a tool handed over by name (pre-commit's list), each at most once: only
    regular files are scanned, and a symlink is never followed, since in a repository under
    audit it may point at anything on the machine. A name that is gone, a directory (a
    submodule), a FIFO or a device is listed as skipped, never an error."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        try:
            info = os.lstat(name)
        except FileNotFoundError:
            yield Skipped(path=name, reason="no such file (deleted?)")
            continue
        except OSError as exc:
            yield Skipped(path=name, reason=f"unreadable ({exc.strerror})")
            continue
        relative = root_relative(name, root or Path.cwd()) if allowlist else None
        if allowlist and relative and allowlist.matches(relative, stat.S_ISDIR(info.st_mode)):
            yield Skipped(path=name, reason=ALLOWLISTED)
        elif stat.S_ISLNK(info.st_mode):
            yield Skipped(path=name, reason="symlink")
        elif not stat.S_ISREG(info.st_mode):
            yield Skipped(path=name, reason="not a regular file")
        else:
            yield name


def walk_directory(
    root: str, seen: set[str], allowlist: GlobSet | None = None, relative: str | None = None
) -> Iterator[str | Skipped]:
    """The files below `root`, depth first, each folder in name order. A stack of listings, not
    recursion: a tree a thousand folders deep must not exhaust Python's recursion limit."""
    stack = [listing(root, seen, allowlist, relative)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, Folder):
            stack.append(listing(item.path, seen, allowlist, item.relative))
        else:
            yield item


class Folder(NamedTuple):
    """A folder `listing` met, for the walk to list next."""

    path: str
    relative: str | None


def listing(
    root: str, seen: set[str], allowlist: GlobSet | None, relative: str | None
) -> Iterator[str | Skipped | Folder]:
    """One folder's files, and its folders to descend into."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        yield Skipped(path=root, reason=f"unreadable directory ({exc.strerror})")
        return
    for entry in entries:
        path = entry.name if root == os.curdir else entry.path
        if path in seen:
            continue
        seen.add(path)
        inner = None if relative is None else f"{relative}/{entry.name}" if relative else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if allowlist and inner is not None and allowlist.matches(inner, is_dir):
                yield Skipped(path=path, reason=ALLOWLISTED)
            elif entry.is_symlink():
                yield Skipped(path=path, reason="symlink")
            elif is_dir:
                if entry.name not in SKIPPED_DIRECTORIES:
                    yield Folder(path, inner)
            elif entry.is_file(follow_symlinks=False):
                yield path
            else:
                yield Skipped(path=path, reason="not a regular file")
        except OSError as exc:
            yield Skipped(path=path, reason=f"unreadable ({exc.strerror})")


def read_file(path: str, max_size: int) -> Chunk | Skipped:
    """The file's bytes, unless it is not a regular file, too large, binary or unreadable.

    Opened non-blocking so that a file replaced by a FIFO after the walk cannot hang the scan.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return Skipped(path=path, reason="vanished during the scan")
    except OSError as exc:
        return Skipped(path=path, reason=f"unreadable ({exc.strerror})")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return Skipped(path=path, reason="not a regular file")
        if info.st_size > max_size:
            return Skipped(path=path, reason="larger than --max-file-size")
        content = read_all(fd, info.st_size, max_size)
    except OSError as exc:
        return Skipped(path=path, reason=f"unreadable ({exc.strerror})")
    finally:
        os.close(fd)
    if len(content) > max_size:
        return Skipped(path=path, reason="larger than --max-file-size")
    text = as_text(content)
    if text is None:
        return Skipped(path=path, reason="binary")
    return Chunk(content=text, origin=Provenance(path=path))


def read_all(fd: int, expected: int, max_size: int) -> bytes:
    """Up to `max_size + 1` bytes of an open regular file `expected` bytes long.

    One read of the size fstat gave, not a buffered read of `max_size + 1`: that allocated (and
    mapped, and unmapped) ten megabytes for every file, and cost more system time than the
    reading. A regular file's read returns less only at its end; a file that grew since the
    fstat is read on to `max_size + 1`, so the caller still sees that it is too large.
    """
    content = os.read(fd, expected + 1)
    if len(content) <= expected:
        return content
    parts = [content]
    size = len(content)
    while size <= max_size:
        more = os.read(fd, max_size + 1 - size)
        if not more:
            break
        parts.append(more)
        size += len(more)
    return b"".join(parts)
