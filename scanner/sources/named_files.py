"""Files read by name: the ones a tool hands over (pre-commit's list of a commit's files) and
each file a scan reads whole.

Kept apart from the directory walk (`scanner.sources.worktree`), whose module brings
dataclasses and path globs with it: `pre-commit run --files F` reads its few files on the
hook's fast path, and pays only for what reading them needs.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.model import Chunk, Provenance, Skipped
from scanner.sources.content import as_text

if TYPE_CHECKING:
    from scanner.config.globs import GlobSet

ALLOWLISTED = "path allowlist"


def handed_files(
    names: Sequence[str], allowlist: GlobSet | None = None, root: Path | None = None
) -> Iterator[str | Skipped]:
    """The files a tool handed over by name (pre-commit's list), each at most once: only
    regular files are scanned, and a symlink is never followed, since in a repository under
    audit it may point at anything on the machine. A name that is gone, a directory (a
    submodule), a FIFO or a device is listed as skipped, never an error."""
    seen: set[str] = set()
    linked: dict[str, bool] = {}
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
        relative = None
        if allowlist:  # the globs' module only for a config that has an allowlist
            from scanner.config.globs import root_relative

            relative = root_relative(name, root or Path.cwd())
        if allowlist and relative and allowlist.matches(relative, stat.S_ISDIR(info.st_mode)):
            yield Skipped(path=name, reason=ALLOWLISTED)
        elif stat.S_ISLNK(info.st_mode) or through_symlink(os.path.dirname(name), linked):
            yield Skipped(path=name, reason="symlink")
        elif not stat.S_ISREG(info.st_mode):
            yield Skipped(path=name, reason="not a regular file")
        else:
            yield name


def through_symlink(directory: str, linked: dict[str, bool], base: str = "") -> bool:
    """Whether reaching `directory` (relative to `base`, if given) follows a symlink: lstat
    follows every link but the last component's, so `link/file` is a regular file wherever
    `link` points. `linked` remembers each directory's answer, so that a listing of many files
    costs one lstat per directory."""
    pending: list[str] = []
    found = False
    while directory:
        known = linked.get(directory)
        if known is not None:
            found = known
            break
        pending.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:  # the root
            break
        directory = parent
    for path in reversed(pending):
        found = found or os.path.islink(os.path.join(base, path))
        linked[path] = found
    return found


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
