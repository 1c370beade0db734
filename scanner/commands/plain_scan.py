"""`keyleak scan` command lines plain enough to read without click.

A tree scan spent a twentieth of its time importing click and declaring every command's
options. The options are `SCAN_COMMAND_OPTIONS`, the declarations click builds the command
from; this reads a command line made only of paths and of those options in their plainest
form, each value one click would take as it is (`plain_value`). Anything else (help, a value
to check, `--opt=value`, `--`, a repeated option, an option given no value or a value that
starts with `-`...) goes to click, which parses it or says what is wrong with it: this never
rejects a command line, so the two cannot disagree about what is an error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from scanner.commands.options import SCAN_COMMAND_OPTIONS, Option

#: the option kinds read here; the others ("size", "seconds", "on-off") are left to click
PLAIN_KINDS = frozenset({"text", "flag", "choice", "count", "many"})


def plain_scan(args: Sequence[str]) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """The paths and options of `keyleak scan ARGS...` as click would hand them to the command,
    or None where the command line is not plain enough: for click to read."""
    declared = {flag: option for option in SCAN_COMMAND_OPTIONS for flag in option.flags}
    options: dict[str, Any] = {option.name: option.default for option in SCAN_COMMAND_OPTIONS}
    given: set[str] = set()
    paths: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        option = declared.get(arg)
        if option is None or option.kind not in PLAIN_KINDS:
            return None
        if option.name in given and option.kind != "many":
            return None
        given.add(option.name)
        if option.kind == "flag":
            options[option.name] = True
            continue
        value = plain_value(option, next(rest, None))
        if value is None:
            return None
        options[option.name] = (*options[option.name], value) if option.kind == "many" else value
    return tuple(paths), options


def plain_value(option: Option, value: str | None) -> Any:
    """The value click converts `value` of `option` to, or None if click should decide."""
    if value is None or (value.startswith("-") and value != "-"):
        return None
    if option.kind == "choice":
        return value if value in option.choices else None
    if option.kind == "count":
        # decimal digits only: click reads `+2` or `1_0` too, and says what is wrong with `0`
        return int(value) if value.isascii() and value.isdigit() and int(value) >= 1 else None
    return value


def run_plain_scan(args: Sequence[str]) -> int | None:
    """Run `keyleak scan ARGS...` if its command line is plain (`plain_scan`), else None."""
    parsed = plain_scan(args)
    if parsed is None:
        return None
    from scanner.commands.scan import scan_command
    from scanner.util.streams import pacified

    # as `scanner.cli.run_cli` runs a command: streams pacified, an interrupt after a new line
    with pacified():
        try:
            return scan_command(*parsed)
        except (EOFError, KeyboardInterrupt) as exc:
            print(file=sys.stderr)
            raise KeyboardInterrupt from exc
