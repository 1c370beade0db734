"""The end of every scan: the allowlists drop findings, the baseline marks the known ones,
verification (when asked) asks providers, the report is written, and the findings that fail the
run by the `--fail-on` policy decide the exit code."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from scanner.config.settings import ScanOptions
from scanner.model import ScanResult, replaced
from scanner.policy.fail_on import exit_code, policy_warning
from scanner.report import ReportOptions
from scanner.report.writer import emit, should_color


def finish(
    result: ScanResult, options: ScanOptions, subject: str, target: str = "", read_from: str = ""
) -> int:
    """Allowlists, baseline, verification and the report; the exit code.

    `subject` names what was scanned for the summary ("file", "staged file", "blob"...); `target`
    says where (the paths or the repository), for the reports that name it; `read_from` names
    the report whose findings were read rather than scanned (`keyleak verify REPORT`).
    """
    started = time.perf_counter()
    to_terminal = options.output in (None, "-")
    report_options = ReportOptions(
        redact=options.redact,
        quiet=options.quiet,
        color=to_terminal and should_color(sys.stdout),
        subject=subject,
        target=target,
        read_from=read_from,
    )
    result = known_and_allowed(result, options)
    result = graded(result, options)
    if options.verify.enabled and result.findings:
        from scanner.verify.runner import verify_result

        result = verify_result(result, result.rules, options.verify)
    if warning := policy_warning(options.fail_on, options.verify.enabled):
        print(f"keyleak: {warning}", file=sys.stderr)
    # verification can take longer than the scan: the time reported is the whole run's
    result = replaced(result, elapsed=result.elapsed + time.perf_counter() - started)
    emit(result, options.format, options.output, report_options)
    if not to_terminal and not options.quiet:
        from scanner.report.summary import summary_line

        # a CI log would otherwise show nothing of a run whose report went to a file
        print(summary_line(result, subject, read_from), file=sys.stderr)
    return exit_code(result.findings, options.fail_on)


def graded(result: ScanResult, options: ScanOptions) -> ScanResult:
    """Each finding's context lowers its severity; then `--min-severity` leaves out the rest."""
    if not result.findings:
        return result
    from scanner.policy.context import apply_context

    result = replaced(result, findings=apply_context(result.findings))
    if options.min_severity is None:
        return result
    from scanner.policy.min_severity import at_least

    return at_least(result, options.min_severity)


def known_and_allowed(result: ScanResult, options: ScanOptions) -> ScanResult:
    """The config's allowlists drop findings; then the baseline marks the known ones.

    The baseline is found (and a missing one named explicitly is an error) on every run, but
    read only when there is a finding to compare with it: a clean commit imports neither the
    allowlist nor the baseline code.
    """
    config = options.config
    path = Path(options.baseline) if options.baseline is not None else config.baseline_file()
    if path is not None and not path.is_file():
        from scanner.policy.baseline import BaselineError
        from scanner.redaction import masked_path  # a key pasted as the file name stays hidden

        raise BaselineError(
            f"{masked_path(str(path))}: no such baseline (create one: keyleak baseline create)"
        )
    if not result.findings:
        return result
    from scanner.policy.allowlist import allowlist_of, apply_allowlist

    result = apply_allowlist(result, allowlist_of(config), config.root)
    if path is None or not result.findings:
        return result
    from scanner.policy.baseline import load, mark

    return mark(result, load(path), config.root)
