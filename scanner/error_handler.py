"""The one place where every way a command can end becomes an exit code and, at most, one line
on stderr: errors the user can act on, interrupts, a closed pipe, and bugs (a traceback only
with --debug)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from scanner.errors import ExitCode, KeyleakError


class State:
    #: `keyleak --debug`: show the traceback of an internal error
    debug = False


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
