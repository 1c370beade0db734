"""The `keyleak` command's entry point.

The pre-commit hook runs `keyleak staged`, with no options, on every commit: bare (the hook
`keyleak hook install` writes) or followed by `--` and the file names the pre-commit framework
hands it. Those command lines run without click: importing click and declaring every command's
options would be about a fifth of the hook's time. Its settings are the defaults of the options
`scanner.commands.options` declares for click; every other command line goes through the click
CLI, `scanner.cli`. Either way `scanner.error_handler` turns how the command ended into the
exit code.

Two more things are spared. On every commit: the start-up makes some hundred thousand objects
(modules, the rule set) and frees next to none, so the garbage collector, which would walk them
some sixty times over, is paused until the scan starts, and leaves them alone after. And once
any command has its exit code, the process ends without tearing the interpreter down (clearing
every module and freeing every rule costs about a tenth of the hook's time, and of a tree
scan's): exit handlers run and the standard streams are flushed first, as on any exit, and a
thread still running gets the usual ending, which waits for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, NoReturn

from scanner.error_handler import State, outcome

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
        code = int(outcome(lambda: run_hook(names)))
    else:
        code = int(outcome(lambda: run_command(args)))
    if argv is None and ends_alone():
        leave(code)
    sys.exit(code)


def run_command(args: list[str]) -> int:
    """Any command line but the hook's: a plain `keyleak scan` without click
    (`scanner.commands.plain_scan`), the rest through it."""
    if args[:1] == ["scan"] and COMPLETION_VARIABLE not in os.environ:
        from scanner.model import dataclasses_module

        dataclasses_module()  # without `inspect`, a tenth of a scan's imports, as the hook has it
        from scanner.commands.plain_scan import run_plain_scan

        State.debug = False  # as click's group sets it: `--debug` is left to click
        code = run_plain_scan(args[1:])
        if code is not None:
            return code
    from scanner.cli import run_cli

    return run_cli(args)


def ends_alone() -> bool:
    """Nothing runs after keyleak: not a profiler or a coverage tracer (which write their
    results after the command returns), nor a thread the interpreter would wait for."""
    import threading

    if sys.getprofile() is not None or sys.gettrace() is not None:
        return False
    main_thread = threading.main_thread()
    return all(thread.daemon or thread is main_thread for thread in threading.enumerate())


def is_hook(args: list[str]) -> bool:
    """`keyleak staged`, or `keyleak staged -- FILE...`."""
    count = len(HOOK_ARGS)
    return tuple(args[:count]) == HOOK_ARGS and (len(args) == count or args[count] == "--")


def run_hook(names: Sequence[str] = ()) -> int:
    """`keyleak staged [-- FILE...]` with its defaults, as click would run it. The garbage
    collector is paused until the scan starts (`scanner.commands.staged.started`)."""
    import gc

    from scanner import git_early

    if git_early.in_commit():
        git_early.start_staged_diff()
    gc.disable()
    try:
        import_pathlib_alone()
        from scanner.commands.options import HOOK_OPTIONS
        from scanner.commands.staged import run_staged

        return run_staged(HOOK_OPTIONS, names)
    except (EOFError, KeyboardInterrupt) as exc:
        # as click does: a blank line ends the terminal's `^C` line, and either is an interrupt
        print(file=sys.stderr)
        raise KeyboardInterrupt from exc
    finally:
        git_early.discard()
        gc.unfreeze()
        gc.enable()


def import_pathlib_alone() -> None:
    """Import `pathlib` without `urllib.parse` (with the `ipaddress` it imports: about 2.5 ms),
    which it imports only for `Path.as_uri`, which the hook never calls. It gets a stand-in
    whose `quote_from_bytes` imports the real one when first called; nothing else ever sees the
    stand-in. A `pathlib` that asks it for more is imported as usual."""
    if "pathlib" in sys.modules or "urllib.parse" in sys.modules:
        return
    stand_in = ModuleType("urllib.parse")
    stand_in.quote_from_bytes = quote_from_bytes  # type: ignore[attr-defined]
    sys.modules["urllib.parse"] = stand_in
    try:
        import pathlib  # noqa: F401
    except ImportError:
        pass  # left for whoever needs it to import as usual
    finally:
        del sys.modules["urllib.parse"]


def quote_from_bytes(*args: Any, **kwargs: Any) -> str:
    from urllib.parse import quote_from_bytes as quote

    return quote(*args, **kwargs)


def leave(code: int) -> NoReturn:
    """End the process with `code` as the interpreter would, minus its teardown."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            # what could not be written is lost either way; `outcome` already made a lost
            # report on stdout an error
            pass
    os._exit(code)
