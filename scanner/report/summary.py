"""Counting shared by the human-readable formats (and the counts of the machine ones)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from scanner.model import (
    MESSAGE_KINDS,
    Finding,
    ScanResult,
    Severity,
    Suppression,
    VerdictStatus,
)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Every severity, most severe first, zeros included so machine readers see a fixed shape."""
    counts = Counter(finding.severity for finding in findings)
    return {severity.value: counts[severity] for severity in Severity}


def verdict_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Verdicts of verified findings, in VerdictStatus order; unverified ones are not counted."""
    counts = Counter(finding.verdict.status for finding in findings if finding.verdict)
    return {status.value: counts[status] for status in VerdictStatus if counts[status]}


def known_count(findings: Iterable[Finding]) -> int:
    return sum(1 for finding in findings if finding.baselined)


def suppression_counts(result: ScanResult) -> dict[str, int]:
    """Every reason a match was not reported as new, in `Suppression` order, zeros included:
    the dropped ones, and the findings the baseline marked known (still reported)."""
    suppressed = result.suppressed
    return {
        Suppression.INLINE.value: suppressed.inline,
        Suppression.ALLOWLIST.value: suppressed.allowlist,
        Suppression.PLACEHOLDER.value: suppressed.placeholder,
        Suppression.BASELINE.value: known_count(result.findings),
    }


def suppression_parts(result: ScanResult) -> list[str]:
    """The dropped matches, by reason, in words (known findings have a line of their own)."""
    suppressed = result.suppressed
    parts = []
    if suppressed.inline:
        parts.append(f"{suppressed.inline:,} allowed inline")
    if suppressed.allowlist:
        parts.append(f"{suppressed.allowlist:,} allowlisted")
    if suppressed.placeholder:
        count = suppressed.placeholder
        parts.append(f"{count:,} {plural(count, 'placeholder')} ignored")
    return parts


def summary_line(result: ScanResult, subject: str, read_from: str = "") -> str:
    """Everything on one line: the headline with what was allowed and skipped."""
    parts = scan_parts(result, subject, read_from) + exception_parts(result)
    return f"keyleak: {head(result)} ({'; '.join(parts)})"


def headline(result: ScanResult, subject: str, read_from: str = "") -> str:
    """How many secrets, and how much was scanned: the terminal's last line."""
    return f"keyleak: {head(result)} ({'; '.join(scan_parts(result, subject, read_from))})"


def exceptions_line(result: ScanResult) -> str | None:
    """What was allowed inline or skipped, when anything was."""
    parts = exception_parts(result)
    return "keyleak: " + "; ".join(parts) if parts else None


def head(result: ScanResult) -> str:
    count = len(result.findings)
    if not count:
        return "no secrets found"
    # the same path in two repositories of an audit is two files
    places = {(f.location.repository, f.location.path, f.location.kind) for f in result.findings}
    messages = sum(kind in MESSAGE_KINDS for _, _, kind in places)
    files = len(places) - messages
    where = [f"{files:,} {plural(files, 'file')}"] if files or not messages else []
    if messages:
        where.append(f"{messages:,} {plural(messages, 'message')}")
    return f"{count:,} {plural(count, 'secret')} found in {' and '.join(where)}"


def scan_parts(result: ScanResult, subject: str, read_from: str = "") -> list[str]:
    if read_from:
        # nothing was scanned: the findings came from a report
        read = len(result.findings)
        return [
            f"read {read:,} {plural(read, 'finding')} from {read_from}",
            f"{result.elapsed:.2f}s",
        ]
    parts = []
    if result.commits_scanned:
        parts.append(f"{result.commits_scanned:,} {plural(result.commits_scanned, 'commit')}")
    return [
        *parts,
        f"{result.files_scanned:,} {plural(result.files_scanned, subject)} scanned",
        human_size(result.bytes_scanned),
        f"{result.elapsed:.2f}s",
    ]


#: how many left-out paths the summary names before "…"
NAMED_LEFT_OUT = 3


def left_out_parts(result: ScanResult) -> list[str]:
    """What a tree scan left unread on purpose: an ignored `.env` is hygiene, not a leak, but the
    reader must know it was not read. Entries, not files: an ignored directory is one."""
    parts = []
    for paths, what, how in (
        (result.ignored, "ignored by git", "--no-ignore reads them"),
        (result.excluded, "excluded by --exclude", ""),
    ):
        if paths:
            from scanner.util.printable import clean  # names from the scanned tree

            named = ", ".join(clean(path) for path in paths[:NAMED_LEFT_OUT])
            more = ", …" if len(paths) > NAMED_LEFT_OUT else ""
            hint = f"; {how}" if how else ""
            count = len(paths)
            parts.append(f"{count} {plural(count, 'path')} {what} not read ({named}{more}{hint})")
    return parts


def exception_parts(result: ScanResult) -> list[str]:
    parts = suppression_parts(result) + left_out_parts(result)
    if result.skipped:
        parts.append(f"{len(result.skipped):,} skipped: {skip_reasons(result)}")
    return parts


def skip_reasons(result: ScanResult) -> str:
    """How many files were skipped for each reason, reasons in order."""
    reasons = Counter(skip.reason for skip in result.skipped)
    return ", ".join(f"{n:,} {reason}" for reason, n in sorted(reasons.items()))


def breakdown_line(result: ScanResult) -> str | None:
    """Counts per severity, per verdict, and known/new when a baseline marked some findings."""
    findings = result.findings
    if not findings:
        return None
    severities = ", ".join(f"{n:,} {name}" for name, n in severity_counts(findings).items() if n)
    parts = [severities]
    verdicts = verdict_counts(findings)
    if verdicts:
        parts.append("verified: " + ", ".join(f"{n:,} {name}" for name, n in verdicts.items()))
    known = known_count(findings)
    if known:
        parts.append(f"{known:,} known, {len(findings) - known:,} new")
    return "keyleak: " + "; ".join(parts)
