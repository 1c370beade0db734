"""Confirmed matches become findings: where each one is, its fingerprint, its redacted form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from scanner.model import Chunk, Finding, Location, Match, Rule
from scanner.pipeline.line_context import LineContext
from scanner.policy.inline import INLINE_MARKERS, inline_allowed, marker_at
from scanner.redaction import fingerprint, redact, vendor_prefix


class LineIndex:
    """Line and column of byte offsets in one chunk, computed incrementally for sorted offsets."""

    def __init__(self, chunk: Chunk) -> None:
        self._content = chunk.content
        self._line_numbers = chunk.origin.line_numbers
        self._offset = 0
        self._line = 0
        # the last column computed: one long line holding many secrets is walked once
        self._column_offset = 0
        self._column = 1

    def line_of(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 0
        self._line += self._content.count(b"\n", self._offset, offset)
        self._offset = offset
        return self._file_line(self._line)

    def chunk_line(self) -> int:
        """The 1-based line inside the chunk itself of the offset `line_of` saw last."""
        return self._line + 1

    def column_of(self, offset: int) -> int:
        content = self._content
        start, column = self._column_offset, self._column
        if offset < start or content.find(b"\n", start, offset) >= 0:
            start, column = content.rfind(b"\n", 0, offset) + 1, 1
        column += len(content[start:offset].decode("utf-8", "replace"))
        self._column_offset, self._column = offset, column
        return column

    def _file_line(self, index: int) -> int:
        if self._line_numbers is None:
            return index + 1
        return self._line_numbers[index]


def make_findings(
    chunk: Chunk,
    matches: Iterable[Match],
    rules: Mapping[str, Rule],
    markers: tuple[bytes, ...] = INLINE_MARKERS,
) -> tuple[list[Finding], int]:
    """Findings for a chunk's matches, and how many matches inline ignores suppressed."""
    findings: list[Finding] = []
    suppressed = 0
    index = LineIndex(chunk)
    all_matches = list(matches)
    labels = [
        redact(match.secret.decode("utf-8", "replace"), vendor_prefix(rules[match.rule_id]))
        for match in all_matches
    ]
    context = LineContext(chunk.content, all_matches, labels)
    for match, label in zip(all_matches, labels, strict=True):
        # looked for on the whole line, not on line_text's window: a range scan reports the
        # markers it does not honour, and one can sit far along a long line
        marker = marker_at(chunk.content, match.start, match.end)
        if marker is not None and inline_allowed(chunk.content, match.start, match.end, markers):
            suppressed += 1
            continue
        rule = rules[match.rule_id]
        line = index.line_of(match.start)
        cell_line = index.chunk_line() if chunk.origin.cell is not None else None
        column = index.column_of(match.start)
        secret = match.secret.decode("utf-8", "replace")
        findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                provider=rule.provider,
                severity=rule.severity,
                remediation=rule.remediation,
                location=Location(
                    path=chunk.origin.path,
                    line=line,
                    column=column,
                    end_line=index.line_of(max(match.start, match.end - 1)),
                    kind=chunk.origin.kind,
                    cell=chunk.origin.cell,
                    cell_line=cell_line,
                    blob=chunk.origin.blob,
                ),
                secret=secret,
                redacted=label,
                fingerprint=fingerprint(rule.id, match.secret),
                line_text=context.line(match, label),
                encoding=match.encoding,
                line_marker=marker.decode() if marker is not None else "",
            )
        )
    return findings, suppressed
