"""Reading a file that configures a run (a config, rules, a baseline) without trusting its name.

A repository under scan may name `/dev/zero`, a FIFO or a file that keeps growing where a config
is expected: reading it whole would fill memory or block forever. Only a regular file is read,
and no more than its cap.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import BinaryIO

KIND_NAMES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(OSError):
    """Not read: not a regular file, or larger than its cap. An OSError, so that a caller's
    handling of an unreadable file covers it; `strerror` says which."""

    def __str__(self) -> str:
        return str(self.strerror)  # no "[Errno 27]": the errno is only a category here


def read_small_file(path: Path, cap: int) -> bytes:
    """The bytes of the regular file at `path`, at most `cap` of them; raises OSError
    (FileRefused for anything else than a regular file of at most `cap` bytes)."""
    # a first look spares opening a device, which can have effects of its own
    refuse_unless_regular(os.stat(path).st_mode)
    # O_NONBLOCK: a FIFO swapped in after the look must not block the open
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)  # what was opened, whatever the name points to now
        refuse_unless_regular(info.st_mode)
        refuse_over(info.st_size, cap)
        return read_capped(partial(os.read, fd), cap)
    finally:
        os.close(fd)


def refuse_unless_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in KIND_NAMES if test(mode)), "an unknown kind")
    code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
    raise FileRefused(code, f"not a regular file ({kind})")


def refuse_over(size: int, cap: int) -> None:
    if size > cap:
        raise FileRefused(errno.EFBIG, f"larger than the {describe(cap)} limit")


def describe(size: int) -> str:
    """A cap as people write it: 1 MiB, 64 MiB, 512 KiB."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def read_at_most(handle: BinaryIO, cap: int) -> bytes:
    """All of an open stream (stdin, a pipe, a file the user named), at most `cap` bytes: an
    endless one (`/dev/zero`) is refused (FileRefused) instead of filling memory."""
    return read_capped(handle.read, cap)


def read_capped(read: Callable[[int], bytes], cap: int) -> bytes:
    """What `read` gives until it gives nothing, at most `cap` bytes (else FileRefused)."""
    pieces: list[bytes] = []
    total = 0
    # read to cap + 1 at most: a source growing while it is read cannot get past the cap
    while total <= cap and (piece := read(min(cap + 1 - total, 1 << 20))):
        pieces.append(piece)
        total += len(piece)
    refuse_over(total, cap)
    return b"".join(pieces)
