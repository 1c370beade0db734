"""Standard streams that can no longer be written (a closed pipe, a full disk)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, TextIO, cast


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


class Pacified:
    """A standard stream whose reader may stop reading (`| head`) at any write: the closed pipe
    points the stream at /dev/null and the write succeeds, so that the command runs to its end
    and its own exit code stands. Click would instead exit 1, which reads as "secrets found".
    Every other error (a full disk) is raised as before. `buffer` is pacified too, for writers
    (click's among them) that go around the text layer."""

    def __init__(self, stream: IO[Any], owner: TextIO) -> None:
        self._stream = stream
        #: the standard stream whose descriptor a closed pipe sends to /dev/null
        self._owner = owner

    def write(self, data: Any) -> int:
        try:
            return int(self._stream.write(data))
        except BrokenPipeError:
            discard(self._owner)
            return len(data)

    def writelines(self, lines: Iterable[Any]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            discard(self._owner)

    @property
    def buffer(self) -> Pacified:
        return Pacified(cast(TextIO, self._stream).buffer, self._owner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def pacified() -> Iterator[None]:
    """Within: sys.stdout and sys.stderr survive their readers going away (see `Pacified`)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (
        cast(TextIO, Pacified(stream, stream)) if stream is not None else stream for stream in saved
    )
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
