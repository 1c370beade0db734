"""The commit hook's diff, started early (scanner.git_early): its output serves only the very
command scanner.git would run, and no git it started outlives the hook."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner import git, git_early
from scanner.entry import main
from tests.conftest import git as run_git
from tests.keys import openai_key


@pytest.fixture
def staged_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (repo / "app.py").write_text("print(1)\n", encoding="utf-8")
    run_git(repo, "add", "app.py")
    run_git(repo, "commit", "-qm", "start")
    (repo / "app.py").write_text(f'print(1)\nKEY = "{openai_key()}"\n', encoding="utf-8")
    run_git(repo, "add", "app.py")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GIT_INDEX_FILE", str(repo / ".git" / "index"))
    return repo


def started_pid() -> int:
    git_early.start_staged_diff()
    assert git_early.running is not None
    return git_early.running.pid


def reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_early_diff_is_the_one_scanner_git_runs(staged_repo: Path) -> None:
    pid = started_pid()
    early = git_early.staged_diff()
    assert early is not None and b"+KEY = " in early
    assert early == git.staged_diff()
    assert reaped(pid) and git_early.running is None


def test_a_changed_environment_discards_it(
    staged_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = started_pid()
    monkeypatch.setenv("GIT_INDEX_FILE", str(staged_repo / ".git" / "other-index"))
    assert git_early.staged_diff() is None
    assert reaped(pid)


def test_another_directory_discards_it(
    staged_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = started_pid()
    monkeypatch.chdir(tmp_path)
    assert git_early.staged_diff() is None
    assert reaped(pid)


def test_a_failing_git_is_left_to_scanner_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    pid = started_pid()
    assert git_early.staged_diff() is None
    assert reaped(pid)


def test_git_missing_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    git_early.start_staged_diff()
    assert git_early.running is None
    assert git_early.staged_diff() is None


def test_without_posix_spawn_the_hook_runs_git_as_before(
    staged_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows has no os.posix_spawnp: the commit hook must still scan, through scanner.git
    monkeypatch.delattr(os, "posix_spawnp")
    git_early.start_staged_diff()
    assert git_early.running is None
    assert hook("staged", "--", "app.py") == 1


def test_a_discarded_diff_is_reaped(staged_repo: Path) -> None:
    pid = started_pid()
    git_early.discard()
    assert reaped(pid) and git_early.running is None
    git_early.discard()  # nothing left: a second call does nothing


def recording_start(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pids: list[int] = []
    original = git_early.start_staged_diff

    def start() -> None:
        original()
        assert git_early.running is not None
        pids.append(git_early.running.pid)

    monkeypatch.setattr(git_early, "start_staged_diff", start)
    return pids


def hook(*args: str) -> int:
    with pytest.raises(SystemExit) as ended:
        main(list(args))
    return int(ended.value.code or 0)


def test_the_hook_in_a_commit_uses_it_and_leaves_no_process(
    staged_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = recording_start(monkeypatch)
    ran: list[bool] = []

    def diff(cwd: object = None) -> bytes:
        ran.append(True)
        return b""

    monkeypatch.setattr(git, "staged_diff", diff)
    assert hook("staged", "--", "app.py") == 1  # the key, found in the early diff
    assert len(pids) == 1 and reaped(pids[0])
    assert ran == []  # scanner.git ran no diff of its own


def test_a_hook_that_fails_leaves_no_process(
    staged_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = recording_start(monkeypatch)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr("scanner.commands.staged.run_staged", broken)
    assert hook("staged", "--", "app.py") == 3
    assert len(pids) == 1 and reaped(pids[0]) and git_early.running is None


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("staged", "--help"), {}),
        (("staged", "--format", "json"), {}),
        (("scan", "."), {}),
        (("staged",), {"PRE_COMMIT_FROM_REF": "HEAD", "PRE_COMMIT_TO_REF": "HEAD"}),
        (("staged",), {"PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_LOCAL_BRANCH": "main"}),
    ],
)
def test_only_the_commit_path_starts_it(
    staged_repo: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pids = recording_start(monkeypatch)
    hook(*args)
    assert pids == []


def test_outside_a_commit_it_is_not_started(
    staged_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_INDEX_FILE")
    pids = recording_start(monkeypatch)
    assert hook("staged") == 1
    assert pids == []
