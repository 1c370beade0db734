"""Text from a scanned file made safe to show: no control character reaches a terminal, a CSV
cell or an XML report."""

from __future__ import annotations

import functools
import re


@functools.cache
def control_characters() -> re.Pattern[str]:
    """Terminal escapes and other control characters in a scanned file must never reach a
    terminal, a CSV cell or an XML report (XML 1.0 cannot carry most of them at all).

    Compiled on first use: a clean commit shows no line.
    """
    return re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    return control_characters().sub("\ufffd", text.replace("\t", " ").replace("\r", ""))


def escaped(text: str) -> str:
    """`text` with every control character but a line break shown as a Python escape (`\\x1b`):
    an error may quote a value a scanned repository wrote, and the reader must see what it is."""
    return control_characters().sub(
        lambda found: "\n" if found[0] == "\n" else found[0].encode("unicode_escape").decode(),
        text.replace("\t", " "),
    )
