"""Line-local rules (`filters = ["line"]`): confirmed only on the lines that hold a keyword.

A generic rule's regex starts with a case-insensitive alternation of names, which the `regex`
module runs at a few MB/s over a whole file. Its matches never span a newline and always contain
one of the rule's keywords, so running it on just the lines that contain a keyword finds exactly
the same matches, at a small fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

LINE_FILTER = "line"
#: the lines of a chunk holding one of these keywords: `keyword_lines` or an engine's own
LineFinder = Callable[[bytes, tuple[bytes, ...]], list[tuple[int, int]]]


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
    positions: list[int] = []
    for keyword in keywords:
        at = lowered.find(keyword)
        while at >= 0:
            positions.append(at)
            line_end = lowered.find(b"\n", at)
            if line_end < 0:
                break
            at = lowered.find(keyword, line_end)
    return line_windows(content, positions)


def line_windows(content: bytes, positions: Iterable[int]) -> list[tuple[int, int]]:
    """(start, end) of every run of consecutive lines holding one of `positions`."""
    windows: list[tuple[int, int]] = []
    line_end = -1
    for at in sorted(positions):
        if at <= line_end:
            continue
        start = content.rfind(b"\n", 0, at) + 1
        line_end = content.find(b"\n", at)
        line_end = len(content) if line_end < 0 else line_end
        if windows and windows[-1][1] + 1 == start:
            windows[-1] = (windows[-1][0], line_end)
        else:
            windows.append((start, line_end))
    return windows
