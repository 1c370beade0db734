"""`keyleak audit`: many repositories' histories, one report, resumable across runs."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scanner import git
from scanner.config.project import PYPROJECT, Config, build, parse, read_bytes
from scanner.config.settings import ScanOptions
from scanner.errors import ExitCode, GitError
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


@contextlib.contextmanager
def audit_config(explicit: str | None) -> Iterator[Config]:
    """The audit's config: `--config FILE` only, its paths relative to FILE's repository (else
    its directory). Never one found from the current directory, which is often one of the
    audited clones: an audited repository's config, `.gitleaksignore` and baseline are data,
    and would let it allowlist its own keys. Without FILE the root is an empty directory."""
    if explicit is None:
        with tempfile.TemporaryDirectory(prefix="keyleak-audit-") as directory:
            yield Config(root=Path(directory))
        return
    path = Path(explicit).absolute()
    try:
        root = git.toplevel(path.parent)
    except GitError:
        root = path.parent
    table_name = "tool.keyleak" if path.name == PYPROJECT else None
    document = parse(read_bytes(path, explicit), explicit, table_name)
    yield build(root, explicit, document, table_name, trusted=True)
