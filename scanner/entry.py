"""The `keyleak` command's entry point.

The pre-commit hook runs `keyleak staged`, with no options, on every commit: bare (the hook
`keyleak hook install` writes) or followed by `--` and the file names the pre-commit framework
hands it. Those command lines run without click: importing click and declaring every command's
options would be about a fifth of the hook's time. Its settings are the defaults of the options
`scanner.commands.options` declares for click; every other command line goes through the click
CLI, `scanner.cli`. Either way `scanner.error_handler` turns how the command ended into the
exit code.
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
    if is_hook(args) and COMPLETION_VARIABLE not in os.environ:
        # after `--` every argument is a file name, even one that starts with `-`
        names = args[len(HOOK_ARGS) + 1 :]
        sys.exit(int(outcome(lambda: run_hook(names))))
    from scanner.cli import run_cli

    sys.exit(int(outcome(lambda: run_cli(args))))


def is_hook(args: list[str]) -> bool:
    """`keyleak staged`, or `keyleak staged -- FILE...`."""
    count = len(HOOK_ARGS)
    return tuple(args[:count]) == HOOK_ARGS and (len(args) == count or args[count] == "--")


def run_hook(names: Sequence[str] = ()) -> int:
    """`keyleak staged [-- FILE...]` with its defaults, as click would run it."""
    try:
        from scanner.commands.options import HOOK_OPTIONS
        from scanner.commands.staged import run_staged

        return run_staged(HOOK_OPTIONS, names)
    except (EOFError, KeyboardInterrupt) as exc:
        # as click does: a blank line ends the terminal's `^C` line, and either is an interrupt
        print(file=sys.stderr)
        raise KeyboardInterrupt from exc
