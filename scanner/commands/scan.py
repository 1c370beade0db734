"""`keyleak scan` (files and directories) and `keyleak staged` (what a commit would add)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import partial

from scanner.engine import EngineName
from scanner.errors import ExitCode
from scanner.model import ScanResult
from scanner.output import emit, should_color
from scanner.report import ReportOptions
from scanner.rules import load_rules
from scanner.scan import Scanner, run_scan


@dataclass(frozen=True)
class ScanOptions:
    format: str = "text"
    output: str | None = None
    redact: bool = True
    max_file_size: int = 10 * 1024 * 1024
    jobs: int = 1
    engine: EngineName = "auto"


def report(result: ScanResult, options: ScanOptions, subject: str) -> int:
    to_terminal = options.output in (None, "-")
    report_options = ReportOptions(
        redact=options.redact,
        color=to_terminal and should_color(sys.stdout),
        subject=subject,
    )
    emit(result, options.format, options.output, report_options)
    return ExitCode.FINDINGS if result.findings else ExitCode.CLEAN


def scan_paths(paths: tuple[str, ...], options: ScanOptions) -> int:
    from scanner.sources.worktree import read_file, walk

    scanner = Scanner(
        load_rules(), options.engine, load=partial(read_file, max_size=options.max_file_size)
    )
    result = run_scan(scanner, walk(paths or (".",)), options.jobs)
    return report(result, options, "file")


def scan_staged(options: ScanOptions) -> int:
    from scanner import git
    from scanner.sources.staged import staged_chunks

    diff = git.staged_diff()
    chunks = staged_chunks(diff, options.max_file_size)
    result = run_scan(Scanner(load_rules(), options.engine), chunks, jobs=1)
    return report(result, options, "staged file")
