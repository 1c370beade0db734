"""The commit hook's diff, started before the hook imports anything else.

During `git commit` the hook's one git command (`git diff --cached`, `scanner.git.staged_diff`)
depends only on the command line, the environment and the current directory, so
`scanner.entry` starts it first and git works on the other core while Python imports the
rules and Hyperscan. It is spawned without the `subprocess` module (`os.posix_spawnp` and two
pipes), which a commit whose diff succeeds then never imports.

Its output serves only a caller asking for exactly that command, from the same directory with
the same environment, and only if git succeeded. Otherwise the process is ended and reaped,
and `scanner.git` runs the command as it always has, so failures read as before; every other
git is `scanner.git`'s. The constants below are the ones `scanner.git` builds its commands from.
"""

from __future__ import annotations

import os

#: Every git keyleak starts. A repository's own config may name a program as its file system
#: monitor, which any command that reads the index (diff --cached, ls-files, check-ignore) would
#: start: a scanned repository never runs anything.
GIT = ("git", "-c", "core.quotePath=true", "-c", "core.fsmonitor=false")
#: `git diff` options that make its output independent of the user's configuration.
STABLE_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--ignore-submodules=all",
)
#: the staged diff's arguments after GIT (see `scanner.git.staged_diff`)
STAGED_DIFF = ("diff", "--cached", *STABLE_DIFF_OPTIONS, "--text", "-U0", "-M", "--diff-filter=d")
#: A local git command never reaches the network: a partial clone's missing object is not
#: fetched from its promisor remote (GIT_NO_LAZY_FETCH, git 2.44 and later), and no transport
#: is allowed to try (an empty GIT_ALLOW_PROTOCOL, for the gits before it).
LOCAL_ONLY = {"GIT_NO_LAZY_FETCH": "1", "GIT_ALLOW_PROTOCOL": ""}
#: pre-commit's push stages set one of these pairs (`scanner.commands.staged.run_staged`)
FROM_REF, TO_REF = "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"
REMOTE_NAME, LOCAL_BRANCH = "PRE_COMMIT_REMOTE_NAME", "PRE_COMMIT_LOCAL_BRANCH"
#: as `subprocess` restores them in its children (Python ignores SIGPIPE, git must not); the
#: numbers are POSIX's on Linux and macOS, spelt out to spare importing `signal`
SIGPIPE, SIGXFSZ, SIGKILL = 13, 25, 9


def environment() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", **LOCAL_ONLY}


def in_commit() -> bool:
    """`git commit` runs the hook with GIT_INDEX_FILE set; in a push stage the hook reads the
    pushed commits instead, and no staged diff."""
    environ = os.environ
    if "GIT_INDEX_FILE" not in environ:
        return False
    pushing = ((FROM_REF, TO_REF), (REMOTE_NAME, LOCAL_BRANCH))
    return not any(environ.get(first) and environ.get(second) for first, second in pushing)


class Started:
    """A git started here: what it was asked, where, and its pipes."""

    __slots__ = ("command", "cwd", "env", "err", "out", "pid")

    def __init__(
        self, command: tuple[str, ...], cwd: str, env: dict[str, str], pid: int, out: int, err: int
    ) -> None:
        self.command, self.cwd, self.env = command, cwd, env
        self.pid, self.out, self.err = pid, out, err


#: the one git this module has running, until it is taken or discarded
running: Started | None = None


def start_staged_diff() -> None:
    """Start the staged diff, unless it cannot start (git missing, no current directory, no
    `posix_spawnp`): then nothing is started, and `scanner.git` runs it and reports what fails."""
    global running
    if running is not None or not hasattr(os, "posix_spawnp"):  # Windows has none
        return
    command = (*GIT, *STAGED_DIFF)
    env = environment()
    try:
        cwd = os.getcwd()
        out, out_end = os.pipe()
    except OSError:
        return
    try:
        err, err_end = os.pipe()
    except OSError:
        os.close(out)
        os.close(out_end)
        return
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out_end, 1),
        (os.POSIX_SPAWN_DUP2, err_end, 2),
    ]
    try:
        pid = os.posix_spawnp(
            command[0], command, env, file_actions=actions, setsigdef=(SIGPIPE, SIGXFSZ)
        )
    except OSError:
        os.close(out)
        os.close(err)
        return
    finally:
        os.close(out_end)
        os.close(err_end)
    running = Started(command, cwd, env, pid, out, err)


def staged_diff() -> bytes | None:
    """The staged diff's output if it was started here, from this directory with this
    environment, and git succeeded; else None, and the caller runs it as usual."""
    global running
    started, running = running, None
    if started is None:
        return None
    if (started.command, started.cwd, started.env) != (
        (*GIT, *STAGED_DIFF),
        current_directory(),
        environment(),
    ):
        end(started)
        return None
    try:
        output = read_both(started.out, started.err)
    except BaseException:
        stop(started.pid)
        raise
    _, status = os.waitpid(started.pid, 0)
    return output if os.waitstatus_to_exitcode(status) == 0 else None


def discard() -> None:
    """End and reap a git started here that nobody took (every way the hook ends)."""
    global running
    started, running = running, None
    if started is not None:
        end(started)


def end(started: Started) -> None:
    for descriptor in (started.out, started.err):
        os.close(descriptor)
    stop(started.pid)


def stop(pid: int) -> None:
    os.kill(pid, SIGKILL)  # one that has ended is still there to signal until it is reaped
    os.waitpid(pid, 0)


def current_directory() -> str | None:
    try:
        return os.getcwd()
    except OSError:
        return None


def read_both(out: int, err: int) -> bytes:
    """Read git's stdout to its end, and its stderr alongside, lest a full stderr pipe stall
    git; both pipes are closed after. What git says on stderr is dropped: the command is run
    again, by `scanner.git`, if it failed."""
    import select

    chunks: list[bytes] = []
    open_ends = [out, err]
    try:
        while open_ends:
            readable, _, _ = select.select(open_ends, [], [])
            for descriptor in readable:
                data = os.read(descriptor, 1 << 20)
                if not data:
                    open_ends.remove(descriptor)
                elif descriptor == out:
                    chunks.append(data)
    finally:
        os.close(out)
        os.close(err)
    return b"".join(chunks)
