"""The source line around a finding, with every secret on it replaced by its redacted form.

Reports show the offending line so a developer sees at once what to change; the line is built
here, once, already redacted, so no report can print a secret by showing its context. Every
match in the chunk is redacted (inline-allowed ones too), since a line can hold two keys, and so
is every other copy of a matched secret on it, one that no rule matched (`k = "KEY"; o = xKEYzz`).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from scanner.model import Match
from scanner.util.printable import clean

#: characters of context kept either side of the secret: a minified file's line can be megabytes
CONTEXT = 60
#: bytes read either side of a secret: CONTEXT characters of any UTF-8 text
WINDOW = 4 * CONTEXT
NEWLINE = ord("\n")
ELLIPSIS = "…"


class LineContext:
    """Redacted lines of one chunk; `matches` and `labels` (their redacted forms) pair up."""

    def __init__(self, content: bytes, matches: Sequence[Match], labels: Sequence[str]) -> None:
        self._content = content
        spans: list[tuple[int, int, str]] = []
        for match, label in sorted(zip(matches, labels, strict=True), key=lambda p: p[0].start):
            if spans and match.start < spans[-1][1]:
                start, end, first = spans[-1]
                spans[-1] = (start, max(end, match.end), first)
            else:
                spans.append((match.start, match.end, label))
        self._spans = spans
        # longest first, so a secret that holds another is replaced whole
        self._copies = sorted(
            ((match.secret, label.encode()) for match, label in zip(matches, labels, strict=True)),
            key=lambda pair: -len(pair[0]),
        )
        # disjoint and sorted, so the ends are sorted too
        self._ends = [end for _, end, _ in spans]

    def line(self, match: Match, label: str) -> str:
        """The line holding the start of `match`, shown with `label` in its place.

        Only WINDOW bytes either side are looked at, so a file that is one long line with
        many secrets costs no more per finding than a short one.
        """
        content = self._content
        low = max(0, match.start - WINDOW)
        line_start = content.rfind(b"\n", low, match.start) + 1 or low
        before = self._render(line_start, match.start)
        if len(before) > CONTEXT or (line_start > 0 and content[line_start - 1] != NEWLINE):
            before = ELLIPSIS + before[-CONTEXT:]
        after = ""
        if content.find(b"\n", match.start, match.end) < 0:
            high = min(len(content), match.end + WINDOW)
            line_end = content.find(b"\n", match.end, high)
            after = self._render(match.end, high if line_end < 0 else line_end)
            if len(after) > CONTEXT or (line_end < 0 and high < len(content)):
                after = after[:CONTEXT] + ELLIPSIS
        return clean(before + label + after).rstrip()

    def _render(self, start: int, end: int) -> str:
        pieces: list[str] = []
        position = start
        index = bisect.bisect_right(self._ends, start)
        while index < len(self._spans) and self._spans[index][0] < end:
            span_start, span_end, label = self._spans[index]
            if span_start > position:
                pieces.append(self._unmatched(position, span_start))
            pieces.append(label)
            position = max(position, span_end)
            index += 1
        if position < end:
            pieces.append(self._unmatched(position, end))
        return "".join(pieces)

    def _unmatched(self, start: int, end: int) -> str:
        """Text between matches, with any copy of a matched secret in it redacted."""
        data = self._content[start:end]
        for secret, label in self._copies:
            if secret and secret in data:
                data = data.replace(secret, label)
        return decode(data)


def decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")
