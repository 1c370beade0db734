"""Files keyleak reads from a private copy, named in messages as the user knows them.

A range scan writes its base revision's config files to a private temporary directory; a
message about one of them names it `<revision>:<path>` (what `git show` opens), not the
directory, which is gone by the time anyone reads the message.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

#: (directory with a trailing separator, what stands for it in messages)
ALIASES: list[tuple[str, str]] = []


@contextlib.contextmanager
def aliased(directory: str, revision: str) -> Iterator[None]:
    """For as long as it lasts, `shown` names the files under `directory` `<revision>:<path>`."""
    # a message may name the directory as given or resolved (/tmp is a link on some systems)
    entries = [
        (os.path.join(path, ""), f"{revision}:")
        for path in {directory, os.path.realpath(directory)}
    ]
    ALIASES.extend(entries)
    try:
        yield
    finally:
        for entry in entries:
            ALIASES.remove(entry)


def shown(text: str) -> str:
    """`text` with every file under an aliased directory named as its revision holds it."""
    for prefix, name in ALIASES:
        text = text.replace(prefix, name)
    return text
