"""One error type for everything a user can cause, and the one place exit codes are defined."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class KeyleakError(Exception):
    """An error the user can act on: printed as one line, never as a traceback."""

    exit_code = ExitCode.USAGE


class ConfigError(KeyleakError):
    pass


class RuleError(ConfigError):
    pass


class GitError(KeyleakError):
    pass
