"""`keyleak baseline create | update | check`: write, refresh and audit the known-secrets file.

Only these commands write a baseline; scanning commands (the hook included) only read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import click

from scanner.config.globs import root_relative
from scanner.config.project import DEFAULT_BASELINE
from scanner.config.settings import ScanOptions
from scanner.errors import ExitCode, KeyleakError
from scanner.model import ScanResult
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.policy import baseline
from scanner.policy.allowlist import allowlist_of, apply_allowlist
from scanner.sources.named_files import ALLOWLISTED, read_file
from scanner.sources.worktree import Filters, walk
from scanner.util.printable import clean

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


#: why a file was skipped when it can hold no finding in any scan (the path allowlist drops its
#: findings anyway; a link's target, if in the tree, is scanned as itself): an entry naming it
#: can still be judged. Any other reason (too large, unreadable, vanished, a rule that timed
#: out) means a secret may be in what was not read.
NOTHING_HIDDEN = frozenset({ALLOWLISTED, "symlink", "not a regular file", "binary", "submodule"})


def current_scan(options: ScanOptions, command: BaselineOptions) -> ScanResult:
    """What a scan (of the work tree, or of the whole history) finds, after the allowlists."""
    config = options.config
    if command.from_history:
        result = history_result(options)
    else:
        scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
        # what `keyleak scan` reads: a baseline records what scans report, and no more
        filters = Filters(config.path_allowlist(), ignore=True)
        items = walk(tree_paths(options, command), root=config.root, filters=filters)
        result = replace(
            run_scan(scanner, items, options.jobs),
            ignored=tuple(sorted(filters.left_out.ignored)),
        )
    return apply_allowlist(result, allowlist_of(config), config.root)


def tree_paths(options: ScanOptions, command: BaselineOptions) -> tuple[str, ...]:
    root = options.config.root
    here = Path.cwd().resolve() == root.resolve()
    return command.paths or ((os.curdir,) if here else (str(root),))


def coverage(
    options: ScanOptions, command: BaselineOptions, existing: baseline.Baseline, result: ScanResult
) -> baseline.Coverage:
    """What the scan judged: the paths it covered, less what it could not read."""
    root = options.config.root
    unread = [skip for skip in result.skipped if skip.reason not in NOTHING_HIDDEN]
    if command.from_history:
        # history paths are git's, relative to the root; a blob never named has none
        return baseline.Coverage(None, tuple(skip.path for skip in unread))
    if existing.from_history:
        return baseline.JUDGES_NOTHING
    scanned = [root_relative(path, root) for path in tree_paths(options, command)]
    # what git ignores was not read: an entry from before scans honoured .gitignore stays
    left_out = [path.rstrip("/") for path in result.ignored]
    relative = [root_relative(path, root) for path in [skip.path for skip in unread] + left_out]
    return baseline.Coverage(
        None if "" in scanned else tuple(path for path in scanned if path is not None),
        tuple(path for path in relative if path is not None),
    )


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
    findings = current_scan(options, command).findings
    created = baseline.build(
        findings, options.config.root, command.scope, from_history=command.from_history
    )
    baseline.save(created, path)
    click.echo(
        f"keyleak: wrote {path}: {len(created.entries):,} "
        f"{'entry' if len(created.entries) == 1 else 'entries'} for {len(findings):,} "
        f"{'finding' if len(findings) == 1 else 'findings'}"
    )
    union_hint(path, options.config.root)
    return ExitCode.CLEAN


def update(options: ScanOptions, command: BaselineOptions) -> int:
    existing = baseline.load(target(options, BaselineOptions()))
    path = target(options, command)
    scan = current_scan(options, command)
    result = baseline.update(
        existing,
        scan.findings,
        options.config.root,
        command.scope,
        coverage(options, command, existing, scan),
        command.from_history,
    )
    baseline.save(result.baseline, path)
    click.echo(
        f"keyleak: updated {path}: {len(result.added):,} added, {len(result.pruned):,} pruned, "
        f"{len(result.baseline.entries):,} in all"
    )
    for entry, finding in result.added:
        location = f"{clean(finding.location.path)}:{finding.location.line}"
        click.echo(f"  added: {entry.rule_id} {location} {clean(finding.redacted)}")
    for entry in result.pruned:
        click.echo(f"  pruned: {describe(entry)}")
    if result.unjudged:
        click.echo(
            f"keyleak: kept {len(result.unjudged):,} unmatched entries this scan could not judge: "
            f"{why_unjudged(existing, command)}"
        )
    return ExitCode.CLEAN


def describe(entry: baseline.Entry) -> str:
    """An entry as messages show it: never a secret, which the baseline does not hold."""
    scope = f" path={clean(entry.path)}" if entry.path is not None else ""
    return f"{entry.rule_id} {entry.fingerprint[:16]}{scope}"


def why_unjudged(existing: baseline.Baseline, command: BaselineOptions) -> str:
    if existing.from_history and not command.from_history:
        return (
            "the baseline was made from the history, which a scan of the work tree cannot "
            "judge (use --from-history)"
        )
    return (
        "their files were not all scanned, or not all read (paths given; a file too large "
        "or unreadable)"
    )


def check(options: ScanOptions, command: BaselineOptions) -> int:
    """List entries that match no current finding; exit 1 when there are any."""
    path = target(options, command)
    existing = baseline.load(path)
    scan = current_scan(options, command)
    judged = coverage(options, command, existing, scan)
    stale = baseline.stale(existing, scan.findings, options.config.root, judged)
    for entry in stale:
        click.echo(f"{path}: stale: {describe(entry)}")
    total = len(existing.entries)
    if stale:
        click.echo(
            f"keyleak: {len(stale):,} of {total:,} baseline entries match nothing any more "
            "(`keyleak baseline update` prunes them)"
        )
        return ExitCode.FINDINGS
    matched = {existing.entry_for(finding, options.config.root) for finding in scan.findings}
    unjudged = [entry for entry in existing.entries if entry not in matched]
    if unjudged:
        click.echo(
            f"keyleak: no stale entry; {len(unjudged):,} of {total:,} match nothing this scan "
            f"could judge: {why_unjudged(existing, command)}"
        )
    else:
        click.echo(f"keyleak: all {total:,} baseline entries still match")
    return ExitCode.CLEAN
