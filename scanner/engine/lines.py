"""Line-local rules (`filters = ["line"]`): confirmed only on the lines that hold a keyword.

A generic rule's regex starts with a case-insensitive alternation of names, which the `regex`
module runs at a few MB/s over a whole file. Its matches never span a newline and always contain
one of the rule's keywords, so running it on just the lines that contain a keyword finds exactly
the same matches, at a small fraction of the cost.
"""

from __future__ import annotations

LINE_FILTER = "line"


class LastWindows:
    """The windows of the last chunk asked about: the generic rules share one keyword list, so
    the second and later rules confirmed on a chunk reuse the first one's windows."""

    def __init__(self) -> None:
        self.entry: tuple[bytes, tuple[bytes, ...], list[tuple[int, int]]] | None = None

    def get(self, content: bytes, keywords: tuple[bytes, ...]) -> list[tuple[int, int]] | None:
        entry = self.entry  # one read: another thread may replace it, never half-way
        if entry is not None and entry[0] is content and entry[1] == keywords:
            return entry[2]
        return None


LAST = LastWindows()


def keyword_lines(content: bytes, keywords: tuple[bytes, ...]) -> list[tuple[int, int]]:
    """(start, end) of every run of consecutive lines containing a keyword (lowercase)."""
    cached = LAST.get(content, keywords)
    if cached is not None:
        return cached
    windows = find_keyword_lines(content, keywords)
    LAST.entry = (content, keywords, windows)
    return windows


def find_keyword_lines(content: bytes, keywords: tuple[bytes, ...]) -> list[tuple[int, int]]:
    lowered = content.lower()
    starts: set[int] = set()
    for keyword in keywords:
        at = lowered.find(keyword)
        while at >= 0:
            line_start = lowered.rfind(b"\n", 0, at) + 1
            starts.add(line_start)
            line_end = lowered.find(b"\n", at)
            if line_end < 0:
                break
            at = lowered.find(keyword, line_end)
    windows: list[tuple[int, int]] = []
    for start in sorted(starts):
        end = content.find(b"\n", start)
        end = len(content) if end < 0 else end
        if windows and windows[-1][1] + 1 == start:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows
