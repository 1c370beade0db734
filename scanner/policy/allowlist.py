"""The config's allowlists (and a `.gitleaksignore`): findings that are fine, dropped before the
baseline is consulted. Imported only when a scan has findings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.config.globs import root_relative
from scanner.config.project import Config
from scanner.model import Finding, Location, ScanResult, SourceKind, Suppressed

if TYPE_CHECKING:  # read only when a .gitleaksignore is there (allowlist_of)
    from scanner.config.gitleaks import GitleaksIgnore


def repo_relative(location: Location, root: Path) -> str:
    """A finding's path relative to the repository root, `/`-separated.

    Staged and history findings carry git's root-relative paths already; `scan` reports paths
    as the user named them.
    """
    if location.kind is not SourceKind.FILE:
        return location.path
    relative = root_relative(location.path, root)
    return relative if relative is not None else location.path


@dataclass(frozen=True)
class Allowlist:
    """Findings the config (or a `.gitleaksignore`) says are fine, dropped before the baseline."""

    fingerprints: frozenset[str] = frozenset()
    secrets: re.Pattern[str] | None = None
    ignores: tuple[GitleaksIgnore, ...] = ()

    @classmethod
    def of(
        cls,
        fingerprints: Iterable[str],
        secret_patterns: Iterable[str],
        ignores: Iterable[GitleaksIgnore] = (),
    ) -> Allowlist:
        patterns = [f"(?:{pattern})" for pattern in secret_patterns]
        return cls(
            fingerprints=frozenset(fingerprints),
            secrets=re.compile("|".join(patterns)) if patterns else None,
            ignores=tuple(ignores),
        )

    def __bool__(self) -> bool:
        return bool(self.fingerprints or self.secrets or self.ignores)

    def allows(self, finding: Finding, path: Callable[[], str]) -> bool:
        # the text report shows 16 hex digits of the fingerprint, so those are accepted too
        if (
            finding.fingerprint in self.fingerprints
            or finding.fingerprint[:16] in self.fingerprints
        ):
            return True
        if self.secrets is not None and self.secrets.search(finding.secret):
            return True
        return any(ignore.matches(finding, path()) for ignore in self.ignores)


def apply_allowlist(result: ScanResult, allowlist: Allowlist, root: Path) -> ScanResult:
    """Drop the findings the allowlist covers; they count as suppressed by the allowlist."""
    if not allowlist or not result.findings:
        return result
    kept = [
        finding
        for finding in result.findings
        if not allowlist.allows(finding, functools.partial(repo_relative, finding.location, root))
    ]
    dropped = len(result.findings) - len(kept)
    suppressed = result.suppressed + Suppressed(allowlist=dropped)
    return replace(result, findings=tuple(kept), suppressed=suppressed)


def allowlist_of(config: Config) -> Allowlist:
    """The config's secret allowlist, with a `.gitleaksignore` at the root when there is one."""
    ignore_file = config.root / ".gitleaksignore"
    ignores: tuple[GitleaksIgnore, ...] = ()
    if ignore_file.exists():  # a FIFO or a device there is an error, not "no ignore file"
        from scanner.config.gitleaks import read_ignores

        ignores = tuple(read_ignores(ignore_file))
    return Allowlist.of(config.allow_fingerprints, config.allow_secrets, ignores)
