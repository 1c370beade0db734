"""Local mirrors of remote repositories, kept in the audit's cache directory.

A mirror is a bare repository holding the remote's branches and tags; the first audit clones it
and later ones fetch only when the remote's refs moved. The remote's URL is never written into
the mirror (its credentials would be stored with it): every fetch is given the URL anew.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from scanner import git
from scanner.errors import GitError
from scanner.org.targets import Target


def mirror_path(cache_dir: Path, target: Target) -> Path:
    return cache_dir / "mirrors" / f"{target.slug}.git"


@contextlib.contextmanager
def locked(mirror: Path) -> Iterator[None]:
    """Hold the mirror's lock: two audits (or two tasks) never fetch or read it at once."""
    import fcntl

    mirror.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(mirror.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def update(target: Target, mirror: Path, fetch: bool, timeout: float = git.NETWORK_TIMEOUT) -> None:
    """Clone the mirror if it is new; else, with `fetch`, bring it up to the remote's refs;
    each network step stopped after `timeout` seconds without a word from the remote.

    Asking for the remote's refs first costs one round trip and spares the fetch when nothing
    moved, which, audit after audit, is most repositories.
    """
    new = not (mirror / "HEAD").is_file()
    if not new and not fetch:
        return
    try:
        if new:
            git.init_bare(mirror)
        remote, head = git.remote_refs(target.location, timeout)
        if new or remote != mirror_refs(mirror):
            git.fetch_mirror(mirror, target.location, timeout)
        if head is not None:
            git.set_head(mirror, head)
    except GitError as exc:
        if new:
            # a half-made mirror would pass for an empty repository at the next audit
            shutil.rmtree(mirror, ignore_errors=True)
        raise GitError(f"{'cloning' if new else 'fetching'} {target.url}: {exc}") from exc


def mirror_refs(mirror: Path) -> dict[str, str]:
    return {
        name: oid
        for name, oid in git.refs(mirror).items()
        if name.startswith(("refs/heads/", "refs/tags/"))
    }
