"""Confirmed matches become findings: where each one is, its fingerprint, its redacted form."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping

from scanner.match.checksums import JWT_CHECK
from scanner.match.file_rules import is_file_rule
from scanner.match.putty import PUTTY_RULE
from scanner.match.putty import judged as judged_key
from scanner.model import Chunk, Finding, Location, Match, Rule, Severity
from scanner.pipeline.line_context import LineContext
from scanner.policy.inline import INLINE_MARKERS, inline_allowed, marker_at
from scanner.redaction import fingerprint, masked, redact, vendor_prefix
from scanner.util.printable import clean


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
    from scanner.policy.demo import demo_reason  # only a chunk with matches needs it

    findings: list[Finding] = []
    suppressed = 0
    index = LineIndex(chunk)
    all_matches = list(matches)
    labels = [
        redact(match.secret.decode("utf-8", "replace"), vendor_prefix(rules[match.rule_id]))
        for match in all_matches
    ]
    # an encoded secret's line shows what the file holds there, the encoded text (redacted):
    # the decoded key was never written on it
    line_labels = [
        redact(chunk.content[match.start : match.end].decode("utf-8", "replace"))
        if match.encoding
        else label
        for match, label in zip(all_matches, labels, strict=True)
    ]
    # a file rule's match is the file's name, not text of it: nothing on a line to redact
    in_text = [not is_file_rule(rules[match.rule_id]) for match in all_matches]
    context = LineContext(
        chunk.content,
        [match for match, keep in zip(all_matches, in_text, strict=True) if keep],
        [label for label, keep in zip(line_labels, in_text, strict=True) if keep],
    )
    for position, (match, label, line_label) in enumerate(
        zip(all_matches, labels, line_labels, strict=True)
    ):
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
        demo = None if match.encoding else demo_reason(chunk.content, match.start, match.end)
        severity, details = judged(rule, match.secret)
        findings.append(
            Finding(
                rule_id=rule.id,
                rule_name=rule.name,
                provider=rule.provider,
                severity=Severity.INFO if demo else severity,
                severity_reason=demo or "",
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
                line_text=context.line(match, line_label) if in_text[position] else "",
                encoding=match.encoding,
                line_marker=marker.decode() if marker is not None else "",
                variables=None if in_text[position] else assigned_names(chunk.content),
                details=details,
            )
        )
    return findings, suppressed


def judged(rule: Rule, secret: bytes) -> tuple[Severity, tuple[tuple[str, str], ...]]:
    """The finding's severity and details: what the secret says about itself can lower or raise
    its rule's severity (a JWT's expiry, against the clock of the scan; whether a PuTTY key
    needs a passphrase)."""
    if rule.checksum == JWT_CHECK:
        from scanner.match.jwt import judged as judged_token

        return judged_token(secret, rule.severity, time.time())
    if rule.id == PUTTY_RULE:
        return judged_key(secret, rule.severity)
    return rule.severity, ()


#: at most this many of a file's variable names are kept: enough to say what it holds
MAX_VARIABLES = 20
#: `NAME=value` or `export NAME=value` at the start of a line, as shells and dotenv read them
#: (compiled on first use, by `re`'s cache: most runs never meet a `.env`)
ASSIGNMENT = rb"^[ \t]*(?:export[ \t]+)?([A-Za-z_][\w.]*)[ \t]*="


def assigned_names(content: bytes) -> tuple[str, ...]:
    """The names a `.env`-style file assigns (`NAME=value`, `export NAME=value`), in order, each
    once; never a value. A name that could be a key pasted in the wrong place is masked."""
    names: dict[str, None] = {}
    for found in re.finditer(ASSIGNMENT, content, re.MULTILINE):
        names.setdefault(masked(clean(found.group(1).decode("ascii"))), None)
        if len(names) == MAX_VARIABLES:
            break
    return tuple(names)
