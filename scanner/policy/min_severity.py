"""`--min-severity`: the findings less severe than asked are left out of the report and the exit
code, and counted in a note, so a filtered report never reads as a clean one."""

from __future__ import annotations

from dataclasses import replace

from scanner.model import ScanResult, Severity, severity_rank


def at_least(result: ScanResult, min_severity: str) -> ScanResult:
    floor = severity_rank(Severity(min_severity))
    kept = tuple(f for f in result.findings if severity_rank(f.severity) <= floor)
    left_out = len(result.findings) - len(kept)
    if not left_out:
        return result
    noun = "finding" if left_out == 1 else "findings"
    note = f"{left_out:,} {noun} below --min-severity {min_severity} not reported"
    return replace(result, findings=kept, notes=(*result.notes, note))
