"""The `keyleak` command's entry point.

The pre-commit hook runs `keyleak staged`, with no options, on every commit. That one command
line runs without click: importing click and declaring every command's options would be about a
fifth of the hook's time. Its settings are the defaults of the options `scanner.commands.options`
declares for click; every other command line goes through the click CLI, `scanner.cli`. Either
way `scanner.error_handler` turns how the command ended into the exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from scanner.error_handler import outcome

#: the hook's command line, as the pre-commit manifest and `keyleak hook install` run it
HOOK_ARGS = ("staged",)
#: set when a shell asks click for completions, which only click can answer
COMPLETION_VARIABLE = "_KEYLEAK_COMPLETE"


def main(argv: Sequence[str] | None = None) -> None:
    """Run keyleak with `argv` (default: the process's arguments) and exit with its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if tuple(args) == HOOK_ARGS and COMPLETION_VARIABLE not in os.environ:
        sys.exit(int(outcome(run_hook)))
    from scanner.cli import run_cli

    sys.exit(int(outcome(lambda: run_cli(args))))


def run_hook() -> int:
    """`keyleak staged` with its defaults, as click would run it."""
    try:
        from scanner.commands.options import HOOK_OPTIONS, scan_options
        from scanner.commands.staged import scan_staged

        return scan_staged(scan_options(HOOK_OPTIONS, jobs=1))
    except (EOFError, KeyboardInterrupt) as exc:
        # as click does: a blank line ends the terminal's `^C` line, and either is an interrupt
        print(file=sys.stderr)
        raise KeyboardInterrupt from exc
