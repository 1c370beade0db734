"""`keyleak audit`: many repositories' histories, one report, resumable across runs."""

from __future__ import annotations

from scanner.config.settings import ScanOptions
from scanner.errors import ExitCode
from scanner.org.coordinator import AuditOptions, audit_organisation
from scanner.pipeline.finish import finish


def run_audit(options: ScanOptions, audit: AuditOptions) -> int:
    """Exit 1 when findings fail the run, else 2 when a repository could not be audited."""
    result = audit_organisation(options, audit)
    count = len(result.repositories)
    code = finish(
        result, options, "blob", f"{count} {'repository' if count == 1 else 'repositories'}"
    )
    if code == ExitCode.CLEAN and any(r.status == "failed" for r in result.repositories):
        return ExitCode.USAGE
    return code
