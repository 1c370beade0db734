"""Line-local rules (`hints = ["line"]`): confirmed only on the lines that hold a keyword.

A generic rule's regex starts with a case-insensitive alternation of names, which the `regex`
module runs at a few MB/s over a whole file. Its matches never span a newline and always contain
one of the rule's keywords, so running it on just the lines that contain a keyword finds exactly
the same matches, at a small fraction of the cost.

Two more hints go further, for rules whose every match starts at a known kind of place: with
`keyword-start` the regex is tried only where one of the rule's keywords starts, with
`line-start` only at the starts of the keyword lines. Tried at those places in order, each past
the end of the last match, a regex finds what scanning the windows position by position finds,
without running its leading alternation at every byte in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

LINE_HINT = "line"
KEYWORD_START = "keyword-start"
LINE_START = "line-start"


class KeywordLines:
    """Where a chunk's keywords are: every occurrence's start, sorted, and the runs of lines
    holding them as (start, end) windows."""

    __slots__ = ("positions", "windows")

    def __init__(self, content: bytes, positions: list[int]) -> None:
        positions.sort()
        self.positions = positions
        self.windows = line_windows(content, positions)


#: the keyword lines of a chunk: `keyword_lines` or an engine's own
LineFinder = Callable[[bytes, tuple[bytes, ...]], KeywordLines]


class LastLines:
    """The keyword lines of the last chunk asked about: the generic rules share one keyword
    list, so the second and later rules confirmed on a chunk reuse the first one's."""

    def __init__(self) -> None:
        self.entry: tuple[bytes, tuple[bytes, ...], KeywordLines] | None = None

    def get(self, content: bytes, keywords: tuple[bytes, ...]) -> KeywordLines | None:
        entry = self.entry  # one read: another thread may replace it, never half-way
        if entry is not None and entry[0] is content and entry[1] == keywords:
            return entry[2]
        return None


LAST = LastLines()


def keyword_lines(content: bytes, keywords: tuple[bytes, ...]) -> KeywordLines:
    """Every occurrence of the (lowercase) keywords, case-insensitively, and their lines."""
    cached = LAST.get(content, keywords)
    if cached is not None:
        return cached
    found = KeywordLines(content, keyword_positions(content, keywords))
    LAST.entry = (content, keywords, found)
    return found


def keyword_positions(content: bytes, keywords: tuple[bytes, ...]) -> list[int]:
    lowered = content.lower()
    positions: list[int] = []
    for keyword in keywords:
        at = lowered.find(keyword)
        while at >= 0:
            positions.append(at)
            at = lowered.find(keyword, at + 1)
    return positions


def line_windows(content: bytes, positions: Iterable[int]) -> list[tuple[int, int]]:
    """(start, end) of every run of consecutive lines holding one of the (sorted) `positions`."""
    windows: list[tuple[int, int]] = []
    line_end = -1
    for at in positions:
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


class OnLines:
    """A line finder's keyword lines, less those where no match ends: `ends`, where a rule's
    matches may end (`hyperscan_matcher.compile_combined`). A match of a line-local rule lies on
    one line, and a line without any end holds none: the same matches, on fewer lines."""

    __slots__ = ("ends", "find")

    def __init__(self, find: LineFinder, ends: list[int]) -> None:
        self.find = find
        self.ends = ends

    def __call__(self, content: bytes, keywords: tuple[bytes, ...]) -> KeywordLines:
        # the keywords looked for on those lines alone: a keyword never spans a newline, and a
        # line's start is where a keyword starting a word may start, as after the newline
        positions: list[int] = []
        for start in sorted(line_starts_at(content, self.ends)):
            end = content.find(b"\n", start)
            line = content[start:] if end < 0 else content[start:end]
            positions.extend(start + at for at in self.find(line, keywords).positions)
        return KeywordLines(content, positions)


def line_starts_at(content: bytes, ends: list[int]) -> set[int]:
    """The starts of the lines holding these offsets (one at a newline, or at the end of the
    text, belongs to the line it ends)."""
    starts: set[int] = set()
    line_end = -1
    for end in sorted(ends):
        if end <= line_end:
            continue
        starts.add(content.rfind(b"\n", 0, end) + 1)
        line_end = content.find(b"\n", end)
        if line_end < 0:
            break
    return starts
