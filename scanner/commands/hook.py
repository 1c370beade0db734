"""`keyleak hook install|uninstall`: a plain git hook, for repositories without pre-commit."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click

from scanner import git
from scanner.errors import ExitCode, KeyleakError

MARKER = "# keyleak-managed-hook"
BACKUP_SUFFIX = ".keyleak-backup"


def hook_script() -> str:
    python = shlex.quote(sys.executable)
    # `-P` (Python 3.11+) keeps the current directory off sys.path: git runs hooks from the top of
    # the work tree, and a repository with its own `scanner/` package would otherwise shadow
    # keyleak's (failing every commit, or running that repository's code).
    return f"""#!/bin/sh
{MARKER}
# Scans what is staged for secrets before each commit. Remove with: keyleak hook uninstall
if [ -x {python} ]; then
    exec {python} -P -m scanner staged
fi
if command -v keyleak >/dev/null 2>&1; then
    exec keyleak staged
fi
echo "keyleak: not found; reinstall it, or remove this hook with: keyleak hook uninstall" >&2
exit 1
"""


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(force: bool) -> int:
    hook = git.hooks_dir() / "pre-commit"
    backup = hook.with_name(hook.name + BACKUP_SUFFIX)
    # lexists: a dangling symlink is someone's hook too, and writing through it would create
    # its target wherever it points.
    if os.path.lexists(hook) and not is_ours(hook):
        if not force:
            raise KeyleakError(
                f"{hook} exists and was not written by keyleak; "
                f"use --force to replace it (it will be kept as {backup.name})"
            )
        if os.path.lexists(backup):
            # a second --force would otherwise overwrite the first backup: never lose a hook
            raise KeyleakError(
                f"{backup} already exists; move it or {hook} away, then install again"
            )
        os.replace(hook, backup)
        click.echo(f"kept the previous hook as {backup}")
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(hook_script(), encoding="utf-8")
    hook.chmod(0o755)
    click.echo(f"installed {hook}")
    return ExitCode.CLEAN


def uninstall() -> int:
    hook = git.hooks_dir() / "pre-commit"
    backup = hook.with_name(hook.name + BACKUP_SUFFIX)
    if not hook.exists():
        click.echo("no pre-commit hook installed; nothing to do")
        return ExitCode.CLEAN
    if not is_ours(hook):
        raise KeyleakError(f"{hook} was not written by keyleak; left as it is")
    hook.unlink()
    click.echo(f"removed {hook}")
    if backup.exists():
        os.replace(backup, hook)
        click.echo(f"restored the previous hook from {backup.name}")
    return ExitCode.CLEAN
