"""Reasons to drop a match before it becomes a finding."""

from __future__ import annotations

INLINE_ALLOW_MARKER = b"keyleak:allow"


def inline_allowed(content: bytes, start: int, end: int) -> bool:
    """True when a line the match spans carries the `keyleak:allow` marker."""
    line_start = content.rfind(b"\n", 0, start) + 1
    line_end = content.find(b"\n", max(end, start + 1) - 1)
    if line_end < 0:
        line_end = len(content)
    return content.find(INLINE_ALLOW_MARKER, line_start, line_end) >= 0
