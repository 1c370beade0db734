"""Which findings fail the run (exit 1), by the `--fail-on` policy."""

from __future__ import annotations

from collections.abc import Iterable

from scanner.config.verification import FailOn
from scanner.errors import ExitCode
from scanner.model import LIVE_VERDICTS, Finding, VerdictStatus, informational


def fails(finding: Finding, fail_on: FailOn) -> bool:
    """`any`: every finding; `live`: keys a provider accepted; `unknown-or-live`: every key not
    proven invalid (unverified, skipped, rate-limited and unknown ones included).

    A baselined finding is known and accepted, so it never fails the run; nor does an `info`
    one (demo credentials, a local host), unless only its context lowered it to `info`:
    context lowers, never hides.
    """
    if finding.baselined:
        return False
    if informational(finding):
        return False
    if fail_on == "any":
        return True
    status = finding.verdict.status if finding.verdict is not None else None
    if status in LIVE_VERDICTS:
        return True
    return fail_on == "unknown-or-live" and status is not VerdictStatus.INVALID


def exit_code(findings: Iterable[Finding], fail_on: FailOn) -> ExitCode:
    failing = any(fails(finding, fail_on) for finding in findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN


def policy_warning(fail_on: FailOn, verifying: bool) -> str | None:
    """`live` without verification can fail nothing: say so rather than pass silently."""
    if fail_on == "live" and not verifying:
        return "warning: --fail-on live without --verify: no finding can fail this run"
    return None
