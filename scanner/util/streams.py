"""Standard streams that can no longer be written (a closed pipe, a full disk)."""

from __future__ import annotations

import contextlib
import os
from typing import TextIO


def discard(stream: TextIO | None) -> None:
    """Point the stream's descriptor at /dev/null: what is still buffered, and whatever is
    written later, goes nowhere instead of failing again, at the interpreter's final flush too
    (which would print "Exception ignored" and change the exit status)."""
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
