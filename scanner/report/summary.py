"""Counting shared by the human-readable formats."""

from __future__ import annotations

from collections import Counter

from scanner.model import ScanResult


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def summary_line(result: ScanResult, subject: str) -> str:
    count = len(result.findings)
    files = len({f.location.path for f in result.findings})
    if count:
        head = f"{count} {plural(count, 'secret')} found in {files} {plural(files, 'file')}"
    else:
        head = "no secrets found"
    parts = [
        f"{result.files_scanned} {plural(result.files_scanned, subject)} scanned",
        human_size(result.bytes_scanned),
        f"{result.elapsed:.2f}s",
    ]
    if result.suppressed:
        parts.append(f"{result.suppressed} allowed inline")
    if result.skipped:
        reasons = Counter(skip.reason for skip in result.skipped)
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        parts.append(f"{len(result.skipped)} skipped: {detail}")
    return f"keyleak: {head} ({'; '.join(parts)})"
