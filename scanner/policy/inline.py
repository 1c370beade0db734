"""Inline markers: a comment on a secret's line that says it is fine.

Markers are keyleak's own `keyleak:allow` and, so that a team can switch tools without
touching its annotations, the markers of gitleaks, detect-secrets, TruffleHog, Kingfisher and
Betterleaks. A marker silences the matches on its own line; a match spanning several lines
(a PEM block) is silenced by a marker on any line it spans, its BEGIN or END line in practice.
"""

from __future__ import annotations

KEYLEAK_MARKER = b"keyleak:allow"
INLINE_MARKERS: tuple[bytes, ...] = (
    KEYLEAK_MARKER,
    b"gitleaks:allow",
    b"pragma: allowlist secret",
    b"trufflehog:ignore",
    b"kingfisher:ignore",
    b"betterleaks:allow",
)


def inline_allowed(
    content: bytes, start: int, end: int, markers: tuple[bytes, ...] = INLINE_MARKERS
) -> bool:
    """True when a line the match spans carries one of `markers`."""
    return marker_at(content, start, end, markers) is not None


def marker_at(
    content: bytes, start: int, end: int, markers: tuple[bytes, ...] = INLINE_MARKERS
) -> bytes | None:
    """The first of `markers` found on the lines the match spans, anywhere along them."""
    if not markers:
        return None
    line_start = content.rfind(b"\n", 0, start) + 1
    line_end = content.find(b"\n", max(end, start + 1) - 1)
    if line_end < 0:
        line_end = len(content)
    return next((m for m in markers if content.find(m, line_start, line_end) >= 0), None)
