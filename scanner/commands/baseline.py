"""`keyleak baseline create | update | check`: write, refresh and audit the known-secrets file.

Only these commands write a baseline; scanning commands (the hook included) only read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import click

from scanner.config.project import DEFAULT_BASELINE
from scanner.config.settings import ScanOptions
from scanner.errors import ExitCode, KeyleakError
from scanner.model import Finding, ScanResult
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.policy import baseline
from scanner.policy.allowlist import allowlist_of, apply_allowlist

UNION_HINT = (
    "keyleak: so that branches adding entries never conflict, add this line to .gitattributes: "
    "{name} merge=union"
)


@dataclass(frozen=True)
class BaselineOptions:
    """What a baseline command works on: the paths or the history, where it writes, the scope."""

    paths: tuple[str, ...] = ()
    from_history: bool = False
    output: str | None = None
    scope: baseline.Scope = "any"
    force: bool = False


def target(options: ScanOptions, command: BaselineOptions) -> Path:
    """The baseline file: -o, else --baseline, else the config's, else the default name."""
    config = options.config
    if command.output is not None:
        return Path(command.output)
    if options.baseline is not None:
        return Path(options.baseline)
    return config.baseline or config.root / DEFAULT_BASELINE


def current_findings(options: ScanOptions, command: BaselineOptions) -> tuple[Finding, ...]:
    """What a scan (of the work tree, or of the whole history) finds, after the allowlists."""
    config = options.config
    if command.from_history:
        result = history_result(options)
    else:
        from scanner.sources.worktree import read_file, walk

        here = Path.cwd().resolve() == config.root.resolve()
        paths = command.paths or ((os.curdir,) if here else (str(config.root),))
        scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
        items = walk(paths, config.path_allowlist(), config.root)
        result = run_scan(scanner, items, options.jobs)
    return apply_allowlist(result, allowlist_of(config), config.root).findings


def history_result(options: ScanOptions) -> ScanResult:
    from scanner.pipeline.history_scan import HistoryOptions, scan_history

    return scan_history(
        options,
        HistoryOptions(
            repo=str(options.config.root), max_blob_size=options.max_file_size, progress=False
        ),
    )


def union_hint(path: Path, root: Path) -> None:
    attributes = root / ".gitattributes"
    try:
        text = attributes.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    if "merge=union" not in text or path.name not in text:
        click.echo(UNION_HINT.format(name=path.name), err=True)


def create(options: ScanOptions, command: BaselineOptions) -> int:
    path = target(options, command)
    if path.exists() and not command.force:
        raise KeyleakError(
            f"{path}: already exists (refresh it with `keyleak baseline update`, or --force)"
        )
    findings = current_findings(options, command)
    created = baseline.build(findings, options.config.root, command.scope)
    baseline.save(created, path)
    click.echo(
        f"keyleak: wrote {path}: {len(created.entries)} "
        f"{'entry' if len(created.entries) == 1 else 'entries'} for {len(findings)} "
        f"{'finding' if len(findings) == 1 else 'findings'}"
    )
    union_hint(path, options.config.root)
    return ExitCode.CLEAN


def update(options: ScanOptions, command: BaselineOptions) -> int:
    existing = baseline.load(target(options, BaselineOptions()))
    path = target(options, command)
    findings = current_findings(options, command)
    result = baseline.update(existing, findings, options.config.root, command.scope)
    baseline.save(result.baseline, path)
    click.echo(
        f"keyleak: updated {path}: {len(result.added)} added, {len(result.pruned)} pruned, "
        f"{len(result.baseline.entries)} in all"
    )
    return ExitCode.CLEAN


def check(options: ScanOptions, command: BaselineOptions) -> int:
    """List entries that match no current finding; exit 1 when there are any."""
    path = target(options, command)
    existing = baseline.load(path)
    stale = baseline.stale(existing, current_findings(options, command), options.config.root)
    for entry in stale:
        scope = f" path={entry.path}" if entry.path is not None else ""
        click.echo(f"{path}: stale: {entry.rule_id} {entry.fingerprint[:16]}{scope}")
    total = len(existing.entries)
    if stale:
        click.echo(
            f"keyleak: {len(stale)} of {total} baseline entries match nothing any more "
            "(`keyleak baseline update` prunes them)"
        )
        return ExitCode.FINDINGS
    click.echo(f"keyleak: all {total} baseline entries still match")
    return ExitCode.CLEAN
