"""Standard input, scanned as one file (`keyleak scan -`)."""

from __future__ import annotations

import sys

from scanner.errors import KeyleakError
from scanner.model import Chunk, Provenance, Skipped
from scanner.sources.content import as_text

#: the path `keyleak scan -` names standard input by, unless --stdin-name says otherwise
STDIN_NAME = "<stdin>"


def read_stdin(name: str, max_size: int) -> Chunk | Skipped:
    """Standard input's bytes as a file called `name`: binary is skipped, as a binary file is.

    At most `max_size + 1` bytes are ever held: more is an error, not a skip, since a pipe's
    content cannot be read again and a skip would pass unnoticed in a pipeline.
    """
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise KeyleakError("keyleak scan -: there is no standard input")
    try:
        content = stream.read(max_size + 1)
    except OSError as exc:
        raise KeyleakError(f"keyleak scan -: cannot read standard input ({exc.strerror})") from exc
    if len(content) > max_size:
        raise KeyleakError(
            f"standard input is larger than --max-file-size ({max_size} bytes); "
            "raise --max-file-size to scan it"
        )
    text = as_text(content)
    if text is None:
        return Skipped(path=name, reason="binary")
    return Chunk(content=text, origin=Provenance(path=name))
