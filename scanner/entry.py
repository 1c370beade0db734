"""The `keyleak` command's entry point, and the one place where outcomes become exit codes.

The pre-commit hook runs `keyleak staged`, with no options, on every commit. That one command
line runs without click: importing click and declaring every command's options would be about a
fifth of the hook's time. Its settings are the `staged` command's defaults (a test holds the two
equal); every other command line goes through the click CLI, `scanner.cli`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from scanner.errors import ExitCode, KeyleakError

#: the hook's command line, as the pre-commit manifest and `keyleak hook install` run it
HOOK_ARGS = ("staged",)
#: the options click hands the `staged` command for HOOK_ARGS
HOOK_OPTIONS: dict[str, Any] = {
    "format_name": "text",
    "output": None,
    "no_redact": False,
    "quiet": False,
    "max_file_size": None,
    "config_file": None,
    "baseline": None,
    "engine": "auto",
    "verify": None,
    "verify_dry_run": None,
    "no_verify_cache": None,
    "verify_timeout": None,
    "verify_concurrency": None,
    "verify_per_provider": None,
    "fail_on": None,
}
#: set when a shell asks click for completions, which only click can answer
COMPLETION_VARIABLE = "_KEYLEAK_COMPLETE"


class State:
    #: `keyleak --debug`: show the traceback of an internal error
    debug = False


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
        from scanner.commands.options import scan_options
        from scanner.commands.staged import scan_staged

        return scan_staged(scan_options(HOOK_OPTIONS, jobs=1))
    except (EOFError, KeyboardInterrupt) as exc:
        # as click does: a blank line ends the terminal's `^C` line, and either is an interrupt
        print(file=sys.stderr)
        raise KeyboardInterrupt from exc
    except BrokenPipeError:
        # click's handling of a closed stdout: status 1, and no second error when Python
        # flushes stdout at exit
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def outcome(command: Callable[[], int]) -> int:
    """Run `command`; map every way it can end to the documented exit codes."""
    try:
        return command()
    except KeyleakError as exc:
        say(f"keyleak: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("keyleak: interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.CLEAN
    except Exception as exc:
        if State.debug:
            import traceback

            traceback.print_exc()
        say(
            f"keyleak: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)"
        )
        return ExitCode.INTERNAL


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
