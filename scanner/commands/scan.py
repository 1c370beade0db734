"""`keyleak scan`: files and directories."""

from __future__ import annotations

import os
from functools import partial

from scanner.config.settings import ScanOptions
from scanner.pipeline.finish import finish
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.sources.worktree import read_file, walk


def scan_paths(paths: tuple[str, ...], options: ScanOptions) -> int:
    config = options.config
    scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
    items = walk(paths or (".",), config.path_allowlist(), config.root)
    result = run_scan(scanner, items, options.jobs)
    target = ", ".join(os.path.abspath(path) for path in paths or (".",))
    return finish(result, options, "file", target)
