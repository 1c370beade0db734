"""`keyleak scan` (files and directories) and `keyleak staged` (what a commit would add)."""

from __future__ import annotations

import dataclasses
import os
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.config.project import load_config
from scanner.config.ruleset import load_ruleset
from scanner.config.settings import ScanOptions
from scanner.config.verification import VerifySettings
from scanner.model import ScanResult
from scanner.policy.fail_on import exit_code, policy_warning
from scanner.policy.inline import INLINE_MARKERS
from scanner.report import ReportOptions
from scanner.report.writer import emit, should_color
from scanner.scan import Loader, Scanner, run_scan

if TYPE_CHECKING:
    pass


def verify_settings(options: dict[str, Any], base: VerifySettings | None = None) -> VerifySettings:
    """The --verify options over `base` (the config's), else the defaults."""
    given = {
        # a dry run is a verification that sends nothing; --no-verify overrides the config
        "enabled": True if options["verify_dry_run"] else options["verify"],
        "dry_run": options["verify_dry_run"],
        "use_cache": None if options["no_verify_cache"] is None else not options["no_verify_cache"],
        "timeout": options["verify_timeout"],
        "concurrency": options["verify_concurrency"],
        "per_provider": options["verify_per_provider"],
    }
    chosen = {name: value for name, value in given.items() if value is not None}
    return dataclasses.replace(base, **chosen) if base else VerifySettings(**chosen)


def scan_options(options: dict[str, Any], jobs: int, anchor: str | None = None) -> ScanOptions:
    """The command's settings: its options (named as the CLI's), else the config's (found from
    `anchor`), else the defaults."""
    config = load_config(options["config_file"], anchor)
    return ScanOptions(
        format=options["format_name"],
        output=options["output"],
        redact=not options["no_redact"],
        quiet=options["quiet"],
        max_file_size=config.file_size_limit(options["max_file_size"]),
        jobs=jobs,
        engine=options["engine"],
        verify=verify_settings(options, config.verify),
        fail_on=options["fail_on"] or config.fail_on,
        config=config,
        baseline=options["baseline"],
    )


def report(result: ScanResult, options: ScanOptions, subject: str, target: str = "") -> int:
    to_terminal = options.output in (None, "-")
    report_options = ReportOptions(
        redact=options.redact,
        quiet=options.quiet,
        color=to_terminal and should_color(sys.stdout),
        subject=subject,
        target=target,
    )
    result = known_and_allowed(result, options)
    if options.verify.enabled and result.findings:
        from scanner.verify.runner import verify_result

        result = verify_result(result, result.rules, options.verify)
    if warning := policy_warning(options.fail_on, options.verify.enabled):
        print(f"keyleak: {warning}", file=sys.stderr)
    emit(result, options.format, options.output, report_options)
    return exit_code(result.findings, options.fail_on)


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

        raise BaselineError(f"{path}: no such baseline (create one: keyleak baseline create)")
    if not result.findings:
        return result
    from scanner.policy.allowlist import allowlist_of, apply_allowlist

    result = apply_allowlist(result, allowlist_of(config), config.root)
    if path is None or not result.findings:
        return result
    from scanner.policy.baseline import load, mark

    return mark(result, load(path), config.root)


def warn(message: str) -> None:
    import click  # not on the hook's path unless a config's rules need a warning

    click.echo(f"keyleak: warning: {message}", err=True)


def configured_scanner(options: ScanOptions, load: Loader | None = None) -> Scanner:
    """A Scanner with the config's rules (extra files, gitleaks rules, enable/disable) and its
    inline-marker setting."""
    config = options.config
    ruleset = load_ruleset(config, warn)
    markers = INLINE_MARKERS if config.inline_ignores else ()
    return Scanner(ruleset, options.engine, load=load, markers=markers)


def scan_paths(paths: tuple[str, ...], options: ScanOptions) -> int:
    from scanner.sources.worktree import read_file, walk

    config = options.config
    scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
    items = walk(paths or (".",), config.path_allowlist(), config.root)
    result = run_scan(scanner, items, options.jobs)
    target = ", ".join(os.path.abspath(path) for path in paths or (".",))
    return report(result, options, "file", target)


def scan_staged(options: ScanOptions) -> int:
    from scanner import git
    from scanner.sources.staged import staged_chunks

    diff = git.staged_diff()
    chunks = staged_chunks(diff, options.max_file_size, options.config.path_allowlist())
    result = run_scan(configured_scanner(options), chunks, jobs=1)
    return report(result, options, "staged file")
