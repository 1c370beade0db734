"""`keyleak scan`: files and directories, or standard input (`-`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from scanner.config.settings import ScanOptions
from scanner.model import Chunk, Skipped
from scanner.pipeline.finish import finish
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.sources.named_files import read_file
from scanner.sources.stdin import STDIN_NAME, read_stdin
from scanner.sources.worktree import Filters, walk

if TYPE_CHECKING:
    from scanner.config.globs import GlobSet

STDIN = "-"


def scan_command(paths: tuple[str, ...], options: dict[str, Any]) -> int:
    """`keyleak scan PATHS...` with its options (named as `SCAN_COMMAND_OPTIONS` name them)."""
    from scanner.commands.options import scan_options
    from scanner.pipeline.run import default_jobs

    anchor = next((path for path in paths if path != STDIN), None)
    settings = scan_options(options, options["jobs"] or default_jobs(), anchor)
    return scan_paths(
        paths,
        settings,
        ignore=not options["no_ignore"],
        exclude=options["exclude"],
        stdin_name=options["stdin_name"],
    )


def scan_paths(
    paths: tuple[str, ...],
    options: ScanOptions,
    *,
    ignore: bool = True,
    exclude: tuple[str, ...] = (),
    stdin_name: str = STDIN_NAME,
) -> int:
    """Scan `paths` (`-` is standard input, read as a file called `stdin_name`); `ignore`:
    leave out what git ignores, in a work tree; `exclude`: gitignore-style globs, relative to
    each directory named, of paths left unread."""
    config = options.config
    filters = Filters(config.path_allowlist(), excludes(exclude), ignore)
    targets = paths or (".",)
    walking = scanned_items(targets, options, filters, stdin_name)
    # the first item starts git listing the files, which it does while the rules load
    first = next(walking, None)
    scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
    # listed in full: a list is shared by the processes of a parallel scan, none of them idle
    items = [] if first is None else [first, *walking]
    result = run_scan(scanner, items, options.jobs)
    result = dataclasses.replace(
        result,
        ignored=tuple(sorted(filters.left_out.ignored)),
        excluded=tuple(sorted(filters.left_out.excluded)),
    )
    target = ", ".join(stdin_name if path == STDIN else os.path.abspath(path) for path in targets)
    return finish(result, options, "file", target)


def excludes(globs: tuple[str, ...]) -> GlobSet | None:
    if not globs:
        return None
    from scanner.config.globs import compile_globs, validate
    from scanner.errors import KeyleakError

    for glob in globs:
        problem = validate(glob)
        if ".." in glob.split("/"):
            # globs are matched below each directory named: one that climbs out matches nothing,
            # and an exclusion that silently excludes nothing reads more than the user meant
            problem = "a pattern cannot climb out of the directory scanned ('..')"
        if problem is not None:
            raise KeyleakError(f"--exclude {glob!r}: {problem}")
    return compile_globs(globs)


def scanned_items(
    paths: tuple[str, ...], options: ScanOptions, filters: Filters, stdin_name: str
) -> Iterator[str | Chunk | Skipped]:
    """Standard input if `-` is named, then the walk of the other paths (findings are sorted by
    path whatever the order they are found in)."""
    if STDIN in paths:
        yield read_stdin(stdin_name, options.max_file_size)
    named = tuple(path for path in paths if path != STDIN)
    if named:
        yield from walk(named, root=options.config.root, filters=filters)
