"""The values that flow between stages: source -> chunk -> match -> finding -> report.

Everything here is a frozen dataclass so that a stage can never change what an earlier stage
produced; stages communicate only through these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Example:
    """A text a rule must match, and the exact secret it must extract from it."""

    text: str
    secret: str


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    provider: str
    description: str
    regex: str
    keywords: tuple[str, ...]
    severity: Severity
    remediation: str
    examples: tuple[Example, ...]
    negative_examples: tuple[str, ...]
    min_entropy: float | None = None
    allow: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Provenance:
    """Where a chunk came from.

    `line_numbers`, when set, maps the chunk's own lines (0-based index) to line numbers in the
    original file: a staged chunk holds only the lines a diff adds, so its line 3 may be the file's
    line 120.
    """

    path: str
    kind: str = "file"
    line_numbers: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Chunk:
    content: bytes
    origin: Provenance


@dataclass(frozen=True)
class Match:
    """A confirmed rule match: `start`/`end` delimit the secret inside the chunk's bytes."""

    rule_id: str
    start: int
    end: int
    secret: bytes


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    end_line: int
    kind: str = "file"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    provider: str
    severity: Severity
    remediation: str
    location: Location
    secret: str
    redacted: str
    fingerprint: str


@dataclass(frozen=True)
class Skipped:
    """A path that was not scanned, and why (size limit, unreadable, binary...)."""

    path: str
    reason: str


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files_scanned: int
    bytes_scanned: int
    suppressed: int
    elapsed: float
