"""The only module that runs git.

Everything goes through `run`, which never lets git take optional locks (a hook must not fight
the `git commit` that started it for `index.lock`) and turns every failure into a GitError.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, NoReturn, cast

from scanner.errors import GitError
from scanner.git_early import GIT, STABLE_DIFF_OPTIONS, STAGED_DIFF, environment
from scanner.model import NamedTuple

#: `git log` ignores `log.showSignature`, with which a repository's own config (an audited one)
#: would have git start its `gpg.program` for each signed commit
NO_SIGNATURES = "--no-show-signature"
#: `git log` naming, never reading, the blobs each commit changes against its first parent
RAW_LOG = (
    "log",
    NO_SIGNATURES,
    "--raw",
    "--no-abbrev",
    "-z",
    "--no-renames",
    "--diff-merges=first-parent",
)
#: How much of a pack a streaming git maps at a time, and keeps of the bases it rebuilt deltas
#: from. By default git maps packs whole (windows of 1 GB, up to 8 GB): reading every object of
#: a history left each reader as large as the pack (1.1 GB). Bounded, reading costs no more CPU.
PACK_WINDOW = "8m"
PACK_LIMIT = "32m"
DELTA_CACHE = "32m"
#: On the command line, they win over a scanned repository's own config.
PACK_MEMORY = (
    "-c",
    f"core.packedGitWindowSize={PACK_WINDOW}",
    "-c",
    f"core.packedGitLimit={PACK_LIMIT}",
    "-c",
    f"core.deltaBaseCacheLimit={DELTA_CACHE}",
)


@contextlib.contextmanager
def starting_git(cwd: Path | str | None) -> Iterator[None]:
    """Why git could not be started, as a GitError."""
    try:
        yield
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    except NotADirectoryError as exc:
        raise GitError(f"{cwd}: not a directory") from exc
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from exc


def run(args: list[str], cwd: Path | str | None = None) -> bytes:
    """git's output, for a command that reads or writes this machine's repositories only."""
    completed = run_completed(args, cwd)
    if completed.returncode != 0:
        raise GitError(describe_failure(completed.stderr))
    return completed.stdout


def run_completed(
    args: list[str], cwd: Path | str | None = None
) -> subprocess.CompletedProcess[bytes]:
    """A local git command run to its end, whatever its exit status (for a caller to whom a
    status other than 0 is an answer, not a failure)."""
    with starting_git(cwd):
        return subprocess.run(
            [*GIT, *args],
            cwd=cwd,
            env=environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )


def describe_failure(stderr: bytes) -> str:
    lines = [
        line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()
    ]
    for line in lines:
        # a partial clone's object, which no local command may fetch (git_early.LOCAL_ONLY)
        unfetched = line.removeprefix("fatal: could not fetch ")
        if unfetched != line and unfetched.endswith(" from promisor remote"):
            oid = unfetched.removesuffix(" from promisor remote")
            return f"object {oid} is missing from this partial clone (keyleak never fetches)"
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    message = (fatal or lines or ["git failed"])[0]
    message = message.removeprefix("fatal: ").removeprefix("error: ")
    if "not a git repository" in message:
        return "not inside a git repository"
    if "dubious ownership" in message:
        return f"git refuses this repository: {message} (see `git config --global safe.directory`)"
    return f"git: {message}"


def staged_diff(cwd: Path | str | None = None) -> bytes:
    """The patch from HEAD (or the empty tree, before the first commit) to the index.

    Only added and changed content matters, so deletions are left out, renames are detected
    (a moved file adds nothing), and no context lines are asked for. `--text` because a
    `binary` or `-diff` attribute must not hide a text file: keyleak sniffs for binary itself.
    """
    try:
        return run(list(STAGED_DIFF), cwd)
    except GitError:
        # Outside a repository `git diff` turns into `git diff --no-index`, which fails with
        # "unknown option `cached'": let rev-parse say what is really wrong, if it can.
        run(["rev-parse", "--git-dir"], cwd)
        raise


def toplevel(cwd: Path | str | None = None) -> Path:
    """The root of the work tree containing `cwd`.

    Git runs hooks at the top of the work tree, so when `cwd` holds a `.git` entry (and no
    GIT_WORK_TREE points elsewhere) it is the answer without starting git.
    """
    start = Path(cwd or os.curdir)
    if "GIT_WORK_TREE" not in os.environ and os.path.lexists(start / ".git"):
        return start.resolve()
    output = run(["rev-parse", "--show-toplevel"], start)
    top = os.fsdecode(output.rstrip(b"\n"))
    if not top:
        raise GitError("not inside a work tree (a bare repository?)")
    return Path(top)


def hooks_dir(cwd: Path | str | None = None) -> Path:
    """Where git looks for hooks: `core.hooksPath` when set, else `.git/hooks`."""
    import git as gitpython  # GitPython is slow to import: only here, never on the hook path.

    try:
        repo = gitpython.Repo(cwd or os.getcwd(), search_parent_directories=True)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError) as exc:
        raise GitError("not inside a git repository") from exc
    with repo.config_reader() as config:
        configured = config.get_value("core", "hooksPath", default="")
    if configured:
        base = Path(repo.working_tree_dir or repo.git_dir)
        return (base / os.path.expanduser(str(configured))).resolve()
    # linked worktrees share the main repository's hooks, not their own .git/worktrees/<name>
    return Path(repo.common_dir) / "hooks"


# --- history: object streams and the commit graph -------------------------------------------

#: One read from a git pipe: large reads keep the per-call cost of Python small next to git's.
PIPE_READ_SIZE = 1 << 20
NULL_OID = "0" * 40
#: the empty file's blob, whose content never needs reading
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


class GitProcess(subprocess.Popen[bytes]):
    """A streamed git process; its stderr goes to a file, never a pipe that could fill up and
    stall git while its stdout is being read."""

    errors: BinaryIO

    def error_text(self) -> bytes:
        self.errors.seek(0)
        return self.errors.read()


def spawn(
    args: list[str],
    cwd: Path | str | None,
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.PIPE,
    env: dict[str, str] | None = None,
) -> GitProcess:
    import tempfile  # not on the hook path, which never streams

    errors = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by finish(), after git exits
    with starting_git(cwd):
        process = GitProcess(
            [*GIT, *PACK_MEMORY, *args],
            cwd=cwd,
            env={**environment(), **(env or {})},
            stdin=stdin,
            stdout=stdout,
            stderr=errors,
            bufsize=0,
        )
    process.errors = errors
    return process


def finish(process: GitProcess, what: str = "") -> None:
    """Wait for a streamed git process; a failure becomes a GitError, prefixed with `what`."""
    if process.stdout is not None:
        process.stdout.close()
    if sys.exc_info()[1] is not None:
        # abandoned mid-stream: closing our end is not enough to stop git when forked scan
        # workers still hold a copy of it, and git would wait forever to write its next block
        process.kill()
    code = process.wait()
    stderr = process.error_text()
    process.errors.close()
    if code == -signal.SIGINT:  # Ctrl-C reached git's process group before ours
        raise KeyboardInterrupt
    # when an interrupt or an earlier error is already on its way out, git dying of the closed
    # pipe is a consequence, and must not replace it
    if code != 0 and sys.exc_info()[1] is None:
        message = describe_failure(stderr)
        raise GitError(f"{what}: {message}" if what else message)


def stream_records(process: GitProcess, separator: bytes) -> Iterator[bytes]:
    """The records of a git process's stdout, split on `separator`, read in large blocks."""
    assert process.stdout is not None
    return records(process.stdout, separator)


def records(stream: IO[bytes], separator: bytes) -> Iterator[bytes]:
    rest = b""
    while block := stream.read(PIPE_READ_SIZE):
        records = (rest + block).split(separator)
        rest = records.pop()
        yield from records
    if rest:
        yield rest


def git_dir(cwd: Path | str | None = None) -> str:
    return os.fsdecode(run(["rev-parse", "--absolute-git-dir"], cwd).rstrip(b"\n"))


def is_bare(cwd: Path | str | None = None) -> bool:
    return run(["rev-parse", "--is-bare-repository"], cwd).strip() == b"true"


def concluding_merge(cwd: Path | str | None = None) -> bool:
    """Whether the next commit concludes a merge: MERGE_HEAD and MERGE_MSG are in the git
    directory (pre-commit's own test)."""
    lines = run(["rev-parse", "--git-path", "MERGE_HEAD", "--git-path", "MERGE_MSG"], cwd)
    return all(os.path.exists(os.fsdecode(path)) for path in lines.splitlines())


def is_shallow(cwd: Path | str | None = None) -> bool:
    return run(["rev-parse", "--is-shallow-repository"], cwd).strip() == b"true"


def is_partial_clone(cwd: Path | str | None = None) -> bool:
    """Whether objects may be missing by design: a promisor remote is configured (a clone made
    with `--filter`), as git itself decides."""
    try:
        if run(["config", "--get", "extensions.partialClone"], cwd).strip():
            return True
    except GitError:
        pass  # not set
    try:
        run(["config", "--type=bool", "--get-regexp", r"^remote\..*\.promisor$", "^true$"], cwd)
    except GitError:
        return False
    return True


def resolve_commit(name: str, cwd: Path | str | None = None) -> str | None:
    """The commit `name` names, or None when it names nothing (an unborn HEAD)."""
    args = ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"]
    try:
        return run(args, cwd).decode().strip() or None
    except GitError:
        return None


def commit_id(name: str, cwd: Path | str | None = None) -> str:
    """The commit a name from the command line names, as its id: a usage error when it names
    none. rev-parse reads it after `--end-of-options`, so `--output=x` is a name, not an option."""
    sha = resolve_commit(name, cwd)
    if sha is None:
        raise GitError(f"{name!r}: unknown revision (it names no commit)")
    return sha


def resolve_revision(expression: str, cwd: Path | str | None = None) -> str:
    """A revision or range from the command line with every commit it names resolved to its id:
    `A`, `^A`, `A^!`, `A^@`, `A..B`, `A...B` (a side left out is HEAD, as in git). What git is
    then handed is ids and these operators only: nothing it could read as an option or a path.
    """
    for operator in ("...", ".."):
        left, found, right = expression.partition(operator)
        if found:
            return commit_id(left or "HEAD", cwd) + operator + commit_id(right or "HEAD", cwd)
    if expression.startswith("^") and len(expression) > 1:
        return "^" + commit_id(expression[1:], cwd)
    if expression.endswith(("^!", "^@")) and len(expression) > 2:
        return commit_id(expression[:-2], cwd) + expression[-2:]
    return commit_id(expression, cwd)


#: the revisions of a full audit: every ref
ALL_REFS = ("--all",)


def revision_arguments(revisions: Sequence[str]) -> list[str]:
    """`--all` as the option it is; any other revisions after `--end-of-options`, so that even
    one not checked by `resolve_revision` is never taken for an option."""
    if tuple(revisions) == ALL_REFS:
        return list(ALL_REFS)
    return ["--end-of-options", *revisions]


#: the size `blob_records` gives a blob a partial clone lacks
MISSING = -1


def list_blobs(
    revisions: Sequence[str], cwd: Path | str | None = None, partial: bool = False
) -> Generator[tuple[str, int], None, None]:
    """(object id, size) of every blob reachable from `revisions` (e.g. `--all`), each once.

    `rev-list --objects` walks the trees; `cat-file --batch-check` adds type and size, so a
    blob over the size limit is skipped without ever being read. In a `partial` clone a blob
    the clone lacks is listed with the size MISSING, never looked for elsewhere; in any other
    repository a missing object is an error.
    """
    walk = spawn(
        [
            "rev-list",
            "--objects",
            "--no-object-names",
            "--filter=object:type=blob",
            # `?<id>` lines, which cat-file answers `?<id> missing` without looking it up
            *(["--missing=print"] if partial else []),
            *revision_arguments(revisions),
        ],
        cwd,
    )
    check = spawn(
        ["cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize)"], cwd, walk.stdout
    )
    try:
        yield from blob_records(line_blocks(check))
    finally:
        try:
            finish(walk, "listing objects")
        finally:
            finish(check, "reading object headers")


def stored_blobs(cwd: Path | str | None = None) -> Generator[tuple[str, int], None, None]:
    """(object id, size) of every blob in the object store, in pack order.

    Cheaper than walking every tree of every commit, and reading in pack order keeps git's
    delta cache warm; a blob no ref reaches is scanned too, but attribution never reports it.
    """
    check = spawn(
        [
            "cat-file",
            "--batch-all-objects",
            "--unordered",
            "--batch-check=%(objecttype) %(objectname) %(objectsize)",
        ],
        cwd,
    )
    try:
        yield from blob_records(line_blocks(check))
    finally:
        finish(check, "listing objects")


def blob_records(blocks: Iterator[bytes]) -> Iterator[tuple[str, int]]:
    """(id, size) of the blobs in blocks of whole `%(objecttype) %(objectname) %(objectsize)`
    lines: one regular expression over each block, not a Python loop over every object (most
    are trees and commits). With the type first, the expression needs no anchor: `blob ` can
    start nowhere but a line, and an unanchored literal start is what `re` finds fastest."""
    import re

    blob = re.compile(rb"blob ([0-9a-f]+) ([0-9]+)")
    missing = re.compile(rb"^([0-9a-f]+) missing$", re.MULTILINE)
    not_fetched = re.compile(rb"^\?([0-9a-f]+) missing$", re.MULTILINE)
    for block in blocks:
        if b" missing\n" in block:
            absent = missing.search(block)
            if absent:
                raise GitError(f"object {absent[1].decode()} is missing from the repository")
            for oid in not_fetched.findall(block):
                yield oid.decode(), MISSING
        for oid, size in blob.findall(block):
            yield oid.decode(), int(size)


def line_blocks(process: GitProcess) -> Iterator[bytes]:
    """A git process's stdout in large blocks, each cut after its last newline."""
    assert process.stdout is not None
    rest = b""
    while block := process.stdout.read(PIPE_READ_SIZE):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        yield block[:cut]
    if rest:
        yield rest


class BlobReader:
    """One `git cat-file --batch` process, asked for objects batch after batch.

    Each scan worker owns one, so blobs go from git straight to the process that scans them.
    At most `AHEAD` ids wait unanswered in git's stdin, so writing them never blocks (the pipe
    holds 64 KB) while git waits for its output to be read: no feeder thread. Not `--buffer`:
    git must hand over a batch's last object before it sees the next batch's ids.
    """

    #: ids written ahead of the object being read: enough that git never waits for the next
    AHEAD = 256

    def __init__(self, cwd: Path | str | None = None) -> None:
        self.cwd = cwd
        self.process: GitProcess | None = None
        self.output: io.BufferedReader | None = None

    def start(self) -> tuple[GitProcess, io.BufferedReader]:
        if self.process is None or self.output is None:
            self.process = spawn(["cat-file", "--batch"], self.cwd, subprocess.PIPE)
            assert self.process.stdout is not None
            enlarge_pipe(self.process.stdout.fileno())
            raw = cast("io.RawIOBase", self.process.stdout)
            self.output = io.BufferedReader(raw, PIPE_READ_SIZE)
        return self.process, self.output

    def read(self, oids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """Each object's id and bytes, in the order given. Read every one before the next call."""
        process, output = self.start()
        written = 0
        for index, oid in enumerate(oids):
            if written - index < self.AHEAD // 2 and written < len(oids):
                end = min(len(oids), index + self.AHEAD)
                self.ask(process, oids[written:end])
                written = end
            header = output.readline()
            fields = header.split()
            if len(fields) == 2 and fields[1] == b"missing":
                self.close()
                raise GitError(f"object {oid} is missing from the repository")
            if len(fields) != 3:
                self.unreadable(oid)
            size = int(fields[2])
            content = output.read(size)
            if len(content) != size or output.read(1) != b"\n":
                self.unreadable(oid)
            yield oid, content

    def ask(self, process: GitProcess, oids: Sequence[str]) -> None:
        assert process.stdin is not None
        data = memoryview("".join(f"{oid}\n" for oid in oids).encode())
        try:
            while data:
                data = data[process.stdin.write(data) or 0 :]
        except BrokenPipeError:
            pass  # git stopped: reading its output says why

    def unreadable(self, oid: str) -> NoReturn:
        """git stopped on this object (a corrupt one): say which, with git's own reason."""
        assert self.process is not None
        process, self.process = self.process, None
        if process.poll() is None:
            process.kill()
        process.wait()
        message = describe_failure(process.error_text())
        self.release(process)
        raise GitError(f"cannot read object {oid}: {message}")

    def close(self) -> None:
        """Stop git at once: whatever it was still to write is not wanted."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        self.release(process)

    def release(self, process: GitProcess) -> None:
        for stream in (process.stdin, self.output, process.errors):
            if stream is not None:
                stream.close()
        self.output = None


def enlarge_pipe(fd: int) -> None:
    """Ask Linux for a 1 MB pipe (default 64 KB): fewer switches between git and the reader."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_READ_SIZE)
    except (ImportError, OSError):
        pass  # another system, or over the unprivileged limit: the default pipe works too


class Change(NamedTuple):
    """One line of `git log --raw`: a path's blob before and after a commit. A tuple, not a
    frozen dataclass: a history has hundreds of thousands, and a tuple is built in a third of
    the time."""

    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    path: bytes


class LoggedCommit(NamedTuple):
    """One commit of the log: its parents, its author, and the blobs it changes (a named tuple,
    like `Change`: the hook creates the class on every commit)."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str
    changes: tuple[Change, ...]
    #: the raw message (`%B`), when the log was asked for it
    message: bytes = b""


def commit_mark() -> bytes:
    """A string to start each commit's header with in `git log` output, new for each run: no
    path, name or patch line can be made to look like one. From `os.urandom`, as `secrets`
    draws it: importing `secrets` loads OpenSSL (3 ms), which nothing else a history needs."""
    return f"\x01keyleak-{os.urandom(8).hex()} ".encode()


def log_format(mark: bytes, separator: str = "%x00", message_end: bytes | None = None) -> str:
    """The header of each commit; with `message_end`, its message follows the date, ended by
    that mark (a message may hold anything, NULs included, but not a mark made for this run)."""
    fields = separator.join(("%an", "%ae", "%aI"))
    message = f"%x00%B{format_text(message_end)}" if message_end is not None else ""
    return f"--format={format_text(mark)}%H %P{separator}{fields}{message}"


def format_text(mark: bytes) -> str:
    return mark.decode().replace(chr(1), "%x01")


class CommitLog:
    """Every commit reachable from some revisions, parents before children, with the blobs it
    changed against its first parent (the whole tree for a root commit).

    One pass, no contents: `--raw` names blobs without reading them, and a merge is compared
    with its first parent only, which is all it changes on the line it lands on. git starts
    walking when this is made and writes to a temporary file (disk, not memory), so the walk
    runs while the blobs are being scanned; `commits()` reads it afterwards, from its end.
    git writes children first: asked for parents first (`--reverse`), it diffs the trees
    against the grain of its delta chains, which cost it a quarter more.
    """

    def __init__(self, revisions: Sequence[str], cwd: Path | str | None = None) -> None:
        import tempfile

        self.mark = commit_mark()
        # messages come with the same walk: a second `git log` would walk the graph again
        self.message_end = commit_mark()
        args = [
            *RAW_LOG,
            "--date-order",
            "--no-textconv",
            "--no-ext-diff",
            "--ignore-submodules=none",
            log_format(self.mark, message_end=self.message_end),
            *revision_arguments(revisions),
            "--",
        ]
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by commits() or close()
        self.process = spawn(args, cwd, stdout=self.output)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.errors.close()
        self.output.close()

    def commits(self) -> Iterator[LoggedCommit]:
        try:
            finish(self.process, "reading the commit graph")
            for record in records_backwards(self.output, self.mark):
                yield logged_commit(record, self.message_end)
        finally:
            self.output.close()


def records_backwards(stream: BinaryIO, mark: bytes) -> Iterator[bytes]:
    """The records of a file that each start with `mark`, last first (each without its mark),
    read in blocks from the end: memory holds a block and one record, not the file."""
    position = stream.seek(0, os.SEEK_END)
    rest = b""
    while position > 0:
        # blocks at least as large as the record still unfinished: a commit that changes a
        # million paths is copied a few times, not once per megabyte
        size = min(max(PIPE_READ_SIZE, len(rest)), position)
        position -= size
        stream.seek(position)
        data = stream.read(size) + rest
        end = len(data)
        while (start := data.rfind(mark, 0, end)) >= 0:
            yield data[start + len(mark) : end]
            end = start
        rest = data[:end]
    if rest:
        raise GitError("the commit log does not start with a commit")


def logged_commit(record: bytes, message_end: bytes | None = None) -> LoggedCommit:
    """A commit from its `git log -z --raw` record: a header of four fields (sha and parents;
    name; email; date), with `message_end` a fifth (the message, up to that mark), then per
    change its raw line (`:100644 100644 <old> <new> M`) and its path, which may hold anything."""
    message = b""
    if message_end is not None:
        header, found, rest = record.partition(message_end)
        if not found:
            raise GitError(f"unexpected output from git log: {record[:200]!r}")
        sha_to_date = header.split(b"\0", 4)
        message = sha_to_date.pop() if len(sha_to_date) == 5 else b""
        record = b"\0".join(sha_to_date) + rest
    fields = record.split(b"\0")
    raws = fields[4::2]
    if raws:  # a newline parts the header from the first raw line
        raws[0] = raws[0].lstrip(b"\n")
    try:
        sha, *parents = fields[0].decode().split(" ")
        changes = []
        for raw, path in zip(raws, fields[5::2], strict=False):
            old_mode, new_mode, old_oid, new_oid, _status = raw[1:].decode().split(" ")
            changes.append(Change(old_mode, new_mode, old_oid, new_oid, path))
        return LoggedCommit(
            sha=sha,
            parents=tuple(p for p in parents if p),
            author_name=fields[1].decode("utf-8", "replace"),
            author_email=fields[2].decode("utf-8", "replace"),
            date=fields[3].decode(),
            changes=tuple(changes),
            message=message,
        )
    except (IndexError, ValueError) as exc:
        raise GitError(f"unexpected output from git log: {record[:200]!r}") from exc


def tree_blobs(commit: str, cwd: Path | str | None = None) -> Iterator[str]:
    """The object ids of every blob in a commit's tree."""
    return (blob for blob, _ in tree_blob_paths(commit, cwd))


def ref_tips(cwd: Path | str | None = None) -> list[tuple[str, str]]:
    """(commit, short ref name) of every ref, tags peeled to their commit; plus a detached HEAD."""
    output = run(
        ["for-each-ref", "--format=%(objectname) %(*objectname) %(refname:short)"], cwd
    ).decode("utf-8", "replace")
    tips: list[tuple[str, str]] = []
    for line in output.splitlines():
        oid, peeled, name = line.split(" ", 2)
        tips.append((peeled or oid, name))
    try:
        run(["symbolic-ref", "--quiet", "HEAD"], cwd)
    except GitError:
        head = resolve_commit("HEAD", cwd)
        if head is not None:
            tips.append((head, "HEAD"))
    return tips


def ref_held_blobs(cwd: Path | str | None = None) -> list[tuple[str, str, str]]:
    """(blob, path, short ref name) of every blob a ref reaches without a commit: a ref, or a
    tag, on a blob (path empty) or on a tree (each blob with its path in the tree).

    No commit records these, so the commit log never shows them; they are rare, and only
    refs whose target is not a commit cost more than the one `for-each-ref`.
    """
    output = run(
        [
            "for-each-ref",
            "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname) "
            "%(refname:short)",
        ],
        cwd,
    ).decode("utf-8", "replace")
    held: list[tuple[str, str, str]] = []
    for line in output.splitlines():
        kind, target, peeled_kind, peeled, ref, name = line.split(" ", 5)
        kind, target = (peeled_kind, peeled) if peeled_kind else (kind, target)
        if kind == "tag":
            # a tag on a tag: for-each-ref peels one level, rev-parse all of them
            target = run(["rev-parse", "--verify", f"{ref}^{{}}"], cwd).decode().strip()
            kind = run(["cat-file", "-t", target], cwd).decode().strip()
        if kind == "blob":
            held.append((target, "", name))
        elif kind == "tree":
            held.extend((blob, path, name) for blob, path in tree_blob_paths(target, cwd))
    return held


def tree_blob_paths(tree: str, cwd: Path | str | None = None) -> Iterator[tuple[str, str]]:
    """(object id, path) of every blob in a tree, at any depth."""
    process = spawn(["ls-tree", "-r", "-z", "--full-tree", tree], cwd)
    try:
        for record in stream_records(process, b"\0"):
            meta, _, path = record.partition(b"\t")
            fields = meta.split(b" ")
            if len(fields) == 3 and fields[1] == b"blob":
                yield fields[2].decode(), os.fsdecode(path)
    finally:
        finish(process, f"listing the tree {tree}")


def range_selection(ranges: Sequence[str], walk: bool) -> list[str]:
    """The commits of `ranges` and their order, for every log of a range: `range_commits` and
    `commit_messages` must list the very commits `range_patches` shows, in its order. Ends with
    the revisions (`revision_arguments`, maybe after `--end-of-options`): options go before."""
    return [
        "--reverse",
        "--topo-order",
        *([] if walk else ["--no-walk"]),
        *revision_arguments(ranges),
    ]


def range_patches(
    ranges: Sequence[str],
    cwd: Path | str | None = None,
    walk: bool = True,
    exclude: Sequence[bytes] = (),
) -> Iterator[tuple[LoggedCommit, bytes]]:
    """Each commit of `ranges` (parents first) with its `-U0` patch against its first parent.

    A merge shows only what its author changed by hand (`--remerge-diff`): what it brings from
    the merged branch belongs to that branch's own commits. Renames add nothing (`-M`). Without
    `walk`, `ranges` are single commits, each shown alone. Paths in `exclude` are left out.
    """
    mark = commit_mark()
    args = [
        "log",
        NO_SIGNATURES,
        "-p",
        "-U0",
        *STABLE_DIFF_OPTIONS,
        "--text",
        "-M",
        "--diff-filter=d",
        "--diff-merges=remerge",
        log_format(mark, "%x02"),
        *range_selection(ranges, walk),
        "--",
        *excluded_paths(exclude),
    ]
    process = spawn(args, cwd, env=no_merge_drivers(cwd))
    try:
        header: bytes | None = None
        patch: list[bytes] = []
        for line in stream_records(process, b"\n"):
            if line.startswith(mark):
                if header is not None:
                    yield range_commit(header), b"\n".join(patch) + b"\n"
                header, patch = line[len(mark) :], []
            else:
                patch.append(line)
        if header is not None:
            yield range_commit(header), b"\n".join(patch) + b"\n"
    finally:
        finish(process, "reading the range's patches")


def commit_patch(parent: str, sha: str, cwd: Path | str | None = None) -> bytes:
    """The `-U0` patch from `parent` to the commit `sha`, shown as `range_patches` shows one."""
    args = ["diff", *STABLE_DIFF_OPTIONS, "--text", "-U0", "-M", "--diff-filter=d"]
    return run([*args, "--end-of-options", parent, sha, "--"], cwd)


def no_merge_drivers(cwd: Path | str | None) -> dict[str, str]:
    """Configuration that turns each merge driver the repository's config names into `false`.

    `--remerge-diff` merges again in memory, and would run a driver that the config and the
    attributes (`.git/info/attributes`, out of any review) of an audited repository name. Given
    as GIT_CONFIG_* variables, which take any driver name as it is.
    """
    try:
        listed = run(["config", "-z", "--name-only", "--get-regexp", r"^merge\..+\.driver$"], cwd)
    except GitError:
        return {}  # none configured
    names = [os.fsdecode(name) for name in listed.split(b"\0") if name]
    # after any the user's environment already sets
    given = os.environ.get("GIT_CONFIG_COUNT", "")
    first = int(given) if given.isdigit() else 0
    settings = {"GIT_CONFIG_COUNT": str(first + len(names))}
    for index, name in enumerate(names, start=first):
        settings[f"GIT_CONFIG_KEY_{index}"] = name
        settings[f"GIT_CONFIG_VALUE_{index}"] = "false"
    return settings


def range_commit(header: bytes) -> LoggedCommit:
    return logged_commit(header.replace(b"\x02", b"\0"))


def range_commits(
    ranges: Sequence[str], cwd: Path | str | None = None, walk: bool = True
) -> list[LoggedCommit]:
    """The commits `range_patches` would show, in its order, each with the blobs it changes
    against its first parent: named, never read (no rename detection, which compares
    contents), so a partial clone can be asked about them without a fetch."""
    mark = commit_mark()
    args = [
        *RAW_LOG,
        "--no-textconv",
        "--no-ext-diff",
        log_format(mark),
        *range_selection(ranges, walk),
        "--",
    ]
    records = run(args, cwd).split(mark)
    return [logged_commit(record) for record in records[1:]]


def commit_messages(
    ranges: Sequence[str], cwd: Path | str | None = None, walk: bool = True
) -> list[LoggedCommit]:
    """The commits `range_patches` would show, each with its message and no changes: a log
    without diffs, which costs little next to the range's patches (whose line-by-line output
    cannot carry a message)."""
    mark, message_end = commit_mark(), commit_mark()
    args = [
        "log",
        NO_SIGNATURES,
        "-z",
        log_format(mark, message_end=message_end),
        *range_selection(ranges, walk),
        "--",
    ]
    records = run(args, cwd).split(mark)
    return whole_messages([logged_commit(record, message_end) for record in records[1:]], cwd)


def whole_messages(commits: list[LoggedCommit], cwd: Path | str | None) -> list[LoggedCommit]:
    """`commits`, each message read from the commit object where it holds a NUL: `%B` ends a
    message at its first NUL, and what follows is in every clone all the same. Elsewhere the
    log's message stays, re-encoded to UTF-8 as git shows it."""
    if not commits:
        return commits
    reader = BlobReader(cwd)
    try:
        objects = reader.read([commit.sha for commit in commits])
        whole = []
        for commit, (_, content) in zip(commits, objects, strict=True):
            # the header's continuation lines (a signature's) start with a space: the first
            # empty line ends it
            body = content.partition(b"\n\n")[2]
            whole.append(commit._replace(message=body) if b"\0" in body else commit)
        return whole
    finally:
        reader.close()


class TagMessage(NamedTuple):
    """An annotated tag's message, with the ref that names the tag and the commit it tags (None
    when it tags something else)."""

    tag: str
    name: str
    commit: str | None
    tagger_name: str
    tagger_email: str
    date: str
    message: bytes


def tag_messages(cwd: Path | str | None = None) -> list[TagMessage]:
    """Every annotated tag a ref names, once each (the first ref to name it), with its message
    without its signature; one `for-each-ref`, whatever the number of tags."""
    mark = commit_mark()
    fields = (
        "%(objecttype)",
        "%(objectname)",
        "%(refname:short)",
        "%(*objecttype)",
        "%(*objectname)",
        "%(taggername)",
        "%(taggeremail)",
        "%(taggerdate:iso-strict)",
        "%(contents:signature)",
        "%(contents)",
    )
    start = format_text(mark).replace("%x", "%")
    output = run(["for-each-ref", f"--format={start}{'%00'.join(fields)}"], cwd)
    tags: dict[str, TagMessage] = {}
    nested: list[tuple[str, str]] = []
    for record in output.split(mark)[1:]:
        parts = record.split(b"\0", len(fields) - 1)
        if len(parts) != len(fields):
            raise GitError(f"unexpected output from git for-each-ref: {record[:200]!r}")
        kind, oid, name, target_kind, target, tagger, email, date, signature, contents = parts
        if kind != b"tag" or oid.decode() in tags:
            continue
        # for-each-ref ends each record with a newline of its own
        contents = contents.removesuffix(b"\n")
        if signature and contents.endswith(signature):
            contents = contents[: -len(signature)]
        tags[oid.decode()] = TagMessage(
            tag=oid.decode(),
            name=name.decode("utf-8", "replace"),
            commit=target.decode() if target_kind == b"commit" else None,
            tagger_name=tagger.decode("utf-8", "replace"),
            tagger_email=email.decode("utf-8", "replace").removeprefix("<").removesuffix(">"),
            date=date.decode("utf-8", "replace"),
            message=contents,
        )
        if target_kind == b"tag":
            nested.append((target.decode(), name.decode("utf-8", "replace")))
    if tags:
        tags.update(whole_tag_messages(tags, cwd))
    if nested:
        tags.update(tags_within(nested, set(tags), cwd))
    return list(tags.values())


def whole_tag_messages(
    tags: dict[str, TagMessage], cwd: Path | str | None
) -> dict[str, TagMessage]:
    """The tags whose object's message holds a NUL, each with its message read from the object:
    `%(contents)` ends a message at its first NUL, and what follows is sent with the tag."""
    reader = BlobReader(cwd)
    try:
        whole: dict[str, TagMessage] = {}
        for oid, content in reader.read(list(tags)):
            tag, _, _ = raw_tag(oid, tags[oid].name, content)
            if b"\0" in tag.message:
                whole[oid] = tags[oid]._replace(message=tag.message)
        return whole
    finally:
        reader.close()


def tags_within(
    targets: list[tuple[str, str]], known: set[str], cwd: Path | str | None
) -> dict[str, TagMessage]:
    """The tag objects that tags name (a tag of a tag), down each chain, each named by the ref
    that reaches it: no ref may name them, yet a push of that ref sends them, message and all."""
    found: dict[str, TagMessage] = {}
    reader = BlobReader(cwd)
    try:
        while targets:
            targets = [(oid, ref) for oid, ref in targets if oid not in known]
            known.update(oid for oid, _ in targets)
            objects = reader.read([oid for oid, _ in targets])
            deeper: list[tuple[str, str]] = []
            for (oid, ref), (_, content) in zip(targets, objects, strict=True):
                message, kind, target = raw_tag(oid, ref, content)
                found[oid] = message
                if kind == b"tag":
                    deeper.append((target, ref))
            targets = deeper
    finally:
        reader.close()
    return found


def raw_tag(oid: str, ref: str, content: bytes) -> tuple[TagMessage, bytes, str]:
    """A tag object's message (without its signature), and the kind and id of what it tags."""
    header, _, message = content.partition(b"\n\n")
    fields = dict(line.split(b" ", 1) for line in header.split(b"\n") if b" " in line)
    tagger, _, when = fields.get(b"tagger", b"").rpartition(b"> ")
    name, _, email = tagger.partition(b" <")
    signature = max(
        message.rfind(b"-----BEGIN PGP SIGNATURE-----"),
        message.rfind(b"-----BEGIN SSH SIGNATURE-----"),
    )
    if signature >= 0:
        message = message[:signature]
    kind, target = fields.get(b"type", b""), fields.get(b"object", b"").decode()
    tag = TagMessage(
        tag=oid,
        name=ref,
        commit=target if kind == b"commit" else None,
        tagger_name=name.decode("utf-8", "replace"),
        tagger_email=email.decode("utf-8", "replace"),
        date=iso_date(when),
        message=message.removesuffix(b"\n"),
    )
    return tag, kind, target


def iso_date(raw: bytes) -> str:
    """`1700000000 +0130` as git's iso-strict date (`2023-11-14T23:43:20+01:30`); "" if it is
    no such thing."""
    from datetime import datetime, timedelta, timezone

    seconds, _, offset = raw.decode("ascii", "replace").partition(" ")
    try:
        sign = -1 if offset.startswith("-") else 1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return datetime.fromtimestamp(int(seconds), zone).isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


def missing_objects(commits: Sequence[str], cwd: Path | str | None = None) -> set[str]:
    """The objects of these commits' trees that the (partial) clone lacks: listed by rev-list,
    which neither reads nor fetches them."""
    if not commits:
        return set()
    args = ["rev-list", "--objects", "--no-object-names", "--missing=print", "--no-walk"]
    output = run([*args, *revision_arguments(commits)], cwd)
    return {line[1:].decode() for line in output.split() if line.startswith(b"?")}


# --- a work tree's files, as git lists them ----------------------------------------------------


def directory_ignored(cwd: Path | str) -> bool | None:
    """Whether git ignores the directory `cwd` (or one above it); None when `cwd` is not in a
    work tree, or git cannot say (not installed, refuses the repository)."""
    try:
        completed = run_completed(["check-ignore", "-q", "--", "."], cwd)
    except GitError:
        return None
    return {0: True, 1: False}.get(completed.returncode)


def unignored_files(cwd: Path | str) -> Iterator[str]:
    """The files below `cwd` that git does not ignore, tracked or not, relative to `cwd`, as git
    lists them (streamed: the first files are scanned while git lists the rest); a submodule
    or a nested repository is one entry (its directory).

    Tracked files first, from the index, which git lists at once; the untracked ones need a walk
    of the work tree, which a single `ls-files --cached --others` does before it prints
    anything, so the scan waited for it. Both start together: the walk runs beside the scan."""
    tracked = spawn(["ls-files", "-z", "--cached"], cwd)
    try:
        untracked = spawn(["ls-files", "-z", "--others", "--exclude-standard"], cwd)
    except BaseException:
        abandon(tracked)
        raise
    try:
        for process, command in ((tracked, "git ls-files --cached"), (untracked, "git ls-files")):
            for record in stream_records(process, b"\0"):
                if record:
                    yield os.fsdecode(record)
            finish(process, command)
    finally:
        for process in (tracked, untracked):
            if process.returncode is None:
                abandon(process)


def start_ignored_listing(cwd: Path | str) -> GitProcess:
    """What git ignores below `cwd` (read it with `ignored_entries`): started beside the listing
    of the files, so that it costs no time of its own. An ignored directory is one entry,
    ending in `/`, so listing it costs nothing however much it holds."""
    args = ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]
    return spawn(args, cwd)


def abandon(process: GitProcess) -> None:
    """Stop a streamed git process whose output is no longer wanted."""
    process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()
    process.errors.close()


def ignored_entries(process: GitProcess) -> list[str]:
    assert process.stdout is not None
    output = process.stdout.read()
    finish(process, "git ls-files")
    return [os.fsdecode(path) for path in output.split(b"\0") if path]


def excluded_paths(paths: Sequence[bytes]) -> list[str]:
    """Pathspecs that leave exactly these paths out (from the top, no wildcards)."""
    return [":(top,exclude,literal)" + os.fsdecode(path) for path in paths]


# --- audits: mirrors of remote repositories -------------------------------------------------

#: A remote git command must never wait for a person: no terminal prompt, no askpass program
#: (GIT_ASKPASS set but empty makes git skip core.askPass and SSH_ASKPASS too), no credential
#: manager window, no ssh askpass.
NON_INTERACTIVE = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS_REQUIRE": "never",
    "GCM_INTERACTIVE": "never",
}
#: What a mirror holds: branches and tags, not a hosting service's refs/pull/* and the like.
MIRROR_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


def init_bare(path: Path | str) -> None:
    """An empty bare repository; no template, so none of the template's hooks."""
    run(["init", "--bare", "--quiet", "--template=", "--", os.fspath(path)])


#: the only transports a remote command may use, whatever URL, redirect or config asks for
#: another (git's own allowlist: no `ext::`/`fd::` helper, no plain http)
REMOTE_PROTOCOLS = "https:ssh:git:file"
#: seconds a remote command may go without a byte of output (progress included) before it is
#: stopped: a server that accepts and never answers must not hang an audit
NETWORK_TIMEOUT = 120.0
#: what is kept of a remote command's stderr for its error message: the end, where git says why
STDERR_KEPT = 1 << 16


def run_remote(args: list[str], cwd: Path | str | None, timeout: float) -> bytes:
    """git's output, for a command that reaches another machine: it never waits for a person,
    uses only REMOTE_PROTOCOLS, and is stopped, with every process it started (ssh, `git
    remote-https`, in its own process group), once it has said nothing for `timeout` seconds."""
    env = {
        **environment(),
        **NON_INTERACTIVE,
        "GIT_ALLOW_PROTOCOL": REMOTE_PROTOCOLS,
    }
    with starting_git(cwd):
        process = subprocess.Popen(
            [*GIT, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # a group to stop at once; no controlling terminal, so ssh cannot prompt on it
            start_new_session=True,
        )
    try:
        stdout, stderr = read_until_silent(process, timeout)
    finally:
        # on the way out as on a timeout: nothing git started outlives it
        code = stop_group(process)
    if code != 0:
        raise GitError(describe_failure(stderr))
    return stdout


def read_until_silent(process: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """A process's stdout and the end of its stderr, read until both close or it has exited
    (a child it left behind may hold them); a GitError once neither has had anything for
    `timeout` seconds. The process is waited for but not reaped: see `stop_group`."""
    import selectors
    import time

    assert process.stdout is not None and process.stderr is not None
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            ready = selector.select(min(1.0, max(0.0, deadline - time.monotonic())))
            if not ready:
                if exited(process):
                    break
                if time.monotonic() >= deadline:
                    raise GitError(
                        f"the remote did not answer for {timeout:g} seconds (--network-timeout)"
                    )
                continue
            deadline = time.monotonic() + timeout
            for key, _ in ready:
                data = os.read(key.fd, PIPE_READ_SIZE)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(data)
                if key.data is err and len(err) > 2 * STDERR_KEPT:
                    del err[:-STDERR_KEPT]
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    return bytes(out), bytes(err)


def exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the process has exited, leaving it unreaped (`poll` would reap it)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, process.pid, flags) is not None


def stop_group(process: subprocess.Popen[bytes]) -> int:
    """Kill a session leader's whole process group, then reap the leader: its exit status.
    Until the leader is reaped its id names the group, so no other process can be hit."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    code = process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    return code


def remote_refs(url: str, timeout: float = NETWORK_TIMEOUT) -> tuple[dict[str, str], str | None]:
    """A remote's branches and tags (full name -> object id, tags unpeeled) and the branch its
    HEAD names (None when it names none, e.g. an empty repository)."""
    output = run_remote(
        ["ls-remote", "--symref", "--", url, "HEAD", "refs/heads/*", "refs/tags/*"], None, timeout
    ).decode("utf-8", "replace")
    refs: dict[str, str] = {}
    head: str | None = None
    for line in output.splitlines():
        value, _, name = line.partition("\t")
        if name == "HEAD" and value.startswith("ref: "):
            head = value.removeprefix("ref: ")
        elif name.startswith(("refs/heads/", "refs/tags/")) and not name.endswith("^{}"):
            refs[name] = value
    return refs, head


def fetch_mirror(path: Path | str, url: str, timeout: float = NETWORK_TIMEOUT) -> None:
    """Bring a mirror's branches and tags to the remote's, deleting those the remote deleted.
    With `--progress`, a slow transfer that still moves is not taken for a silent remote."""
    run_remote(
        [
            # a mirror runs no hooks, and a gc must not go on in the background while it is read
            "-c",
            f"core.hooksPath={os.devnull}",
            "-c",
            "gc.autoDetach=false",
            "-c",
            "maintenance.autoDetach=false",
            "fetch",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
            "--progress",
            "--",
            url,
            *MIRROR_REFSPECS,
        ],
        path,
        timeout,
    )


def set_head(path: Path | str, ref: str) -> None:
    run(["symbolic-ref", "--", "HEAD", ref], path)


def refs(cwd: Path | str | None = None) -> dict[str, str]:
    """Every ref's full name and the object it points to (a tag's own object, unpeeled)."""
    output = run(["for-each-ref", "--format=%(objectname) %(refname)"], cwd)
    pairs = (line.split(" ", 1) for line in output.decode("utf-8", "replace").splitlines())
    return {name: oid for oid, name in pairs}


class TreeFile(NamedTuple):
    """A regular file of a commit's tree: its root-relative path, blob id and size."""

    path: str
    oid: str
    size: int


#: the modes of regular files in a tree (links and submodules are never read as files)
REGULAR_MODES = (b"100644", b"100755")


def tree_files(revision: str, path: str, cwd: Path | str | None = None) -> list[TreeFile]:
    """The regular files at `path` in `revision`'s tree: the file itself, or every file under
    a directory; none when there is no such path."""
    args = ["ls-tree", "-r", "-z", "-l", "--full-tree", "--end-of-options", revision, "--", path]
    files = []
    for record in run(args, cwd).split(b"\0"):
        meta, _, name = record.partition(b"\t")
        fields = meta.split()
        if len(fields) == 4 and fields[0] in REGULAR_MODES and fields[3].isdigit():
            files.append(TreeFile(os.fsdecode(name), fields[2].decode(), int(fields[3])))
    return files


def file_at(
    revision: str, path: str, cwd: Path | str | None = None, limit: int = 10 * 1024 * 1024
) -> bytes | None:
    """The bytes of the regular file `revision:path`; None when there is none. A file larger
    than `limit` is an error: it is read into memory, and configs are small."""
    found = [item for item in tree_files(revision, path, cwd) if item.path == path]
    if not found:
        return None
    if found[0].size > limit:
        raise GitError(f"{revision}:{path}: {found[0].size} bytes, over the {limit}-byte limit")
    return read_blob(found[0].oid, cwd)


def read_blob(oid: str, cwd: Path | str | None = None) -> bytes:
    """The bytes of one blob, by its id (one the caller found in a tree, of a size it checked)."""
    return run(["cat-file", "blob", oid], cwd)
