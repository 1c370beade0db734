"""The only module that runs git.

Everything goes through `run`, which never lets git take optional locks (a hook must not fight
the `git commit` that started it for `index.lock`) and turns every failure into a GitError.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scanner.errors import GitError

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


def run(args: list[str], cwd: Path | str | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        completed = subprocess.run(
            ["git", "-c", "core.quotePath=true", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    except NotADirectoryError as exc:
        raise GitError(f"{cwd}: not a directory") from exc
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from exc
    if completed.returncode != 0:
        raise GitError(describe_failure(completed.stderr))
    return completed.stdout


def describe_failure(stderr: bytes) -> str:
    lines = [
        line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()
    ]
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
    args = ["diff", "--cached", *STABLE_DIFF_OPTIONS, "--text", "-U0", "-M", "--diff-filter=d"]
    try:
        return run(args, cwd)
    except GitError:
        # Outside a repository `git diff` turns into `git diff --no-index`, which fails with
        # "unknown option `cached'": let rev-parse say what is really wrong, if it can.
        run(["rev-parse", "--git-dir"], cwd)
        raise


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
