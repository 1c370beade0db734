"""`keyleak staged`: what the next commit would add, read from git's index. The pre-commit hook
runs it on every commit (see scanner.entry for its fast path)."""

from __future__ import annotations

from scanner import git
from scanner.config.settings import ScanOptions
from scanner.pipeline.finish import finish
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.sources.staged_diff import staged_chunks


def scan_staged(options: ScanOptions) -> int:
    diff = git.staged_diff()
    chunks = staged_chunks(diff, options.max_file_size, options.config.path_allowlist())
    result = run_scan(configured_scanner(options), chunks, jobs=1)
    return finish(result, options, "staged file")
