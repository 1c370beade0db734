"""The one place where every way a command can end becomes an exit code and, at most, one line
on stderr: errors the user can act on, interrupts, a closed pipe, and bugs (a traceback only
with --debug)."""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from scanner.errors import ExitCode, KeyleakError, Terminated
from scanner.util.streams import discard

#: errors of a write that no retry or bug fix can help: the disk or the quota is full
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class State:
    #: `keyleak --debug`: show the traceback of an internal error
    debug = False


def outcome(command: Callable[[], int]) -> int:
    """Run `command`; map every way it can end to the documented exit codes."""
    owner = os.getpid()

    def terminated(number: int, _: object) -> None:
        if os.getpid() != owner:
            # a forked worker: its parent stops it, and it has nothing of its own to clean up
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
        raise Terminated

    if threading.current_thread() is not threading.main_thread():
        # only the main thread may handle signals (a command run from a thread, in tests)
        return flushed(ended(command))
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        return flushed(ended(command))
    except Terminated:
        # cleaned up on the way out; now end as SIGTERM ends a process, for whoever sent it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def ended(command: Callable[[], int]) -> int:
    try:
        return command()
    except KeyleakError as exc:
        from scanner.redaction import masked_message
        from scanner.util.printable import escaped

        say(f"keyleak: error: {escaped(masked_message(str(exc)))}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("keyleak: interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader of our output stopped reading: not an error, and nothing more to say
        discard(sys.stdout)
        return ExitCode.CLEAN
    except Exception as exc:
        if isinstance(exc, OSError) and (exc.errno in DISK_FULL or not writable(sys.stdout)):
            # output that cannot be written (a full disk, a closed stream) is the user's to
            # fix, not a bug in keyleak
            say(f"keyleak: error: cannot write output: {exc.strerror or exc}")
            return ExitCode.USAGE
        if State.debug:
            import traceback

            traceback.print_exc()
        from scanner.redaction import masked_message

        say(
            f"keyleak: internal error: {type(exc).__name__}: {masked_message(str(exc))} "
            "(rerun with --debug for details)"
        )
        return ExitCode.INTERNAL


def flushed(code: int) -> int:
    """Write what is still buffered now, while a failure can still set the exit code: a clean
    or dirty verdict whose output was lost must not read as one."""
    stream = sys.stdout
    if stream is None:
        return code
    try:
        stream.flush()
    except BrokenPipeError:
        discard(stream)
    except (OSError, ValueError) as exc:
        discard(stream)
        reason = getattr(exc, "strerror", None) or exc
        say(f"keyleak: error: cannot write to standard output: {reason}")
        return ExitCode.USAGE if code in (ExitCode.CLEAN, ExitCode.FINDINGS) else code
    return code


def writable(stream: TextIO | None) -> bool:
    """Whether what `stream` holds can still be written out: if not, it is pointed at
    /dev/null."""
    if stream is None:
        return True
    try:
        stream.flush()
    except (OSError, ValueError):
        discard(stream)
        return False
    return True


def say(message: str) -> None:
    """One line on stderr, if stderr can still be written; the exit code tells either way."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        print(message, file=stream, flush=True)
    except (OSError, ValueError):
        discard(stream)
