"""Reasons to drop a match: inline markers and rule paths (the config's allowlists, which drop
findings, are `scanner.allowlist`, imported only when there is a finding).

Inline markers are keyleak's own `keyleak:allow` and, so that a team can switch tools without
touching its annotations, the markers of gitleaks, detect-secrets, TruffleHog, Kingfisher and
Betterleaks. A marker silences the matches on its own line; a match spanning several lines
(a PEM block) is silenced by a marker on any line it spans, its BEGIN or END line in practice.
"""

from __future__ import annotations

import functools
import re

from scanner.model import Rule

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
    if not markers:
        return False
    line_start = content.rfind(b"\n", 0, start) + 1
    line_end = content.find(b"\n", max(end, start + 1) - 1)
    if line_end < 0:
        line_end = len(content)
    return any(content.find(marker, line_start, line_end) >= 0 for marker in markers)


@functools.lru_cache(maxsize=256)
def compiled_path_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def rule_applies_to(rule: Rule, path: str) -> bool:
    """A rule with a `path` regex (gitleaks' `path`) reports only in files whose path matches."""
    return rule.path is None or compiled_path_pattern(rule.path).search(path) is not None
