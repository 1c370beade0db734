"""One error type for everything a user can cause, and the one place exit codes are defined."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class Terminated(BaseException):
    """SIGTERM (a CI job cancelled, a service stopped), raised so that every `finally` and
    context manager on the way out runs, as for Ctrl-C: temporary copies are removed and worker
    processes stopped. Not an Exception: nothing may take it for an error and carry on."""


class KeyleakError(Exception):
    """An error the user can act on: printed as one line, never as a traceback."""

    exit_code = ExitCode.USAGE


class ConfigError(KeyleakError):
    pass


class RuleError(ConfigError):
    pass


class GitError(KeyleakError):
    pass
