"""Repositories in odd states, seen by `keyleak staged` and the installed hook.

Each case ends in the right result or one clear line on stderr with exit code 2; never a
traceback, and never a lock taken or a file changed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scanner.entry import main
from scanner.errors import GitError
from scanner.git import file_at, tree_files
from tests.conftest import git, run_process
from tests.keys import openai_key

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def staged(cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`keyleak staged --format json` in a child process, as a hook runs it."""
    completed = run_process(
        [sys.executable, "-m", "scanner", "staged", "--format", "json"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})},
    )
    assert "Traceback" not in completed.stderr
    return completed.returncode, completed.stdout, completed.stderr


def paths_found(stdout: str) -> list[str]:
    return [finding["location"]["path"] for finding in json.loads(stdout)["findings"]]


@pytest.fixture
def committed(repo: Path) -> Path:
    (repo / "README.md").write_text("# project\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    return repo


def stage_key(repo: Path, name: str = "settings.py") -> None:
    (repo / name).write_text(f'KEY = "{openai_key()}"\n')
    git(repo, "add", name)


def test_index_lock_present_hook_still_reads_and_leaves_the_lock(committed: Path) -> None:
    stage_key(committed)
    lock = committed / ".git" / "index.lock"
    lock.write_bytes(b"")
    index_before = (committed / ".git" / "index").read_bytes()

    code, out, _ = staged(committed)

    assert (code, paths_found(out)) == (1, ["settings.py"])
    assert lock.exists() and lock.read_bytes() == b""
    assert (committed / ".git" / "index").read_bytes() == index_before


def test_detached_head(committed: Path) -> None:
    git(committed, "checkout", "-q", "--detach")
    stage_key(committed)
    code, out, _ = staged(committed)
    assert (code, paths_found(out)) == (1, ["settings.py"])


def test_linked_worktree(committed: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(committed, "worktree", "add", "-q", str(linked), "-b", "feature")
    stage_key(linked, "feature.py")
    stage_key(committed, "main.py")

    code, out, _ = staged(linked)

    assert (code, paths_found(out)) == (1, ["feature.py"])


def test_git_dir_and_work_tree_from_the_environment(committed: Path, tmp_path: Path) -> None:
    stage_key(committed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_DIR": str(committed / ".git"), "GIT_WORK_TREE": str(committed)}

    code, out, _ = staged(elsewhere, env)

    assert (code, paths_found(out)) == (1, ["settings.py"])


def test_commit_all_uses_the_temporary_index_git_gives_the_hook(
    committed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `git commit -a` stages into a temporary index named by GIT_INDEX_FILE: the hook must read
    # that one, or a key in a tracked, modified, unstaged file slips through.
    monkeypatch.chdir(committed)
    with pytest.raises(SystemExit):
        main(["hook", "install"])
    (committed / "README.md").write_text(f"# project\nkey: {openai_key()}\n")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}

    completed = run_process(["git", "commit", "-a", "-m", "oops"], committed, env)

    assert completed.returncode != 0
    assert "README.md" in completed.stdout + completed.stderr
    assert git(committed, "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_git_missing_from_path(committed: Path, tmp_path: Path) -> None:
    stage_key(committed)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()

    code, out, err = staged(committed, {"PATH": str(empty_bin)})

    assert (code, out) == (2, "")
    assert err.strip() == "keyleak: error: git is not installed or not on PATH"


def test_not_a_repository(tmp_path: Path) -> None:
    code, out, err = staged(tmp_path, {"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert (code, out) == (2, "")
    assert err.strip() == "keyleak: error: not inside a git repository"


def test_missing_object_names_it(committed: Path) -> None:
    (committed / "data.txt").write_text("some staged text\n")
    git(committed, "add", "data.txt")
    blob = git(committed, "rev-parse", ":data.txt").stdout.strip()
    (committed / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    # a changed work tree file makes git read the staged blob instead of the file
    (committed / "data.txt").write_text("changed since staging\n")

    code, out, err = staged(committed)

    assert (code, out) == (2, "")
    assert err.startswith("keyleak: error: git: ")
    assert blob in err
    assert len(err.strip().splitlines()) == 1


def test_corrupt_pack(committed: Path) -> None:
    (committed / "data.txt").write_text("packed content\n" * 50)
    git(committed, "add", "data.txt")
    git(committed, "commit", "-qm", "data")
    git(committed, "repack", "-adq")
    for pack in (committed / ".git" / "objects" / "pack").glob("*.pack"):
        pack.chmod(0o644)
        content = bytearray(pack.read_bytes())
        content[len(content) // 2 : len(content) // 2 + 64] = b"\xff" * 64
        pack.write_bytes(bytes(content))
    (committed / "data.txt").write_text("packed content\n" * 50 + f"k={openai_key()}\n")
    git(committed, "add", "data.txt", check=False)

    code, _, err = staged(committed)

    # git may still answer from what survived, or fail: both are fine, a traceback is not
    assert code in (1, 2), err
    if code == 2:
        assert err.startswith("keyleak: error: ") and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the repository another owner")
def test_safe_directory_refusal_is_one_clear_line(committed: Path) -> None:
    stage_key(committed)
    for path in [committed, *committed.rglob("*")]:
        os.lchown(path, 12345, 12345)
    try:
        code, out, err = staged(committed)
    finally:
        for path in [committed, *committed.rglob("*")]:
            os.lchown(path, 0, 0)
    assert (code, out) == (2, "")
    assert "safe.directory" in err
    assert len(err.strip().splitlines()) == 1


def test_git_that_is_not_executable(committed: Path, tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text("not a program\n")
    fake_git.chmod(0o644)

    code, out, err = staged(committed, {"PATH": str(fake_bin)})

    assert (code, out) == (2, "")
    assert err.strip() == "keyleak: error: cannot run git: Permission denied"


def test_an_abandoned_stream_neither_waits_for_git_nor_hides_the_reason(committed: Path) -> None:
    # A history scan forks its workers while git is still listing objects, so they hold a copy
    # of git's output pipe: closing ours on Ctrl-C did not stop git, and the wait for it hung.
    from scanner import git as keyleak_git

    (committed / "big.txt").write_text("x" * 100_000)
    git(committed, "add", "big.txt")
    git(committed, "commit", "-qm", "big")
    oid = git(committed, "rev-parse", "HEAD:big.txt").stdout.strip()
    process = keyleak_git.spawn(["cat-file", "--batch"], committed, subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"{oid}\n".encode() * 200)  # 20 MB to write, far more than a pipe holds
    process.stdin.close()
    held_by_a_worker = os.dup(process.stdout.fileno())
    outcome: list[str] = []

    def consume() -> None:
        assert process.stdout is not None
        try:
            try:
                process.stdout.read(1000)
                raise RuntimeError("the consumer gave up")
            finally:
                keyleak_git.finish(process, "reading blobs")
        except RuntimeError as exc:
            outcome.append(str(exc))

    consumer = threading.Thread(target=consume)
    consumer.start()
    consumer.join(timeout=20)
    hung = consumer.is_alive()
    if hung:
        process.kill()
        consumer.join()
    os.close(held_by_a_worker)

    assert not hung
    assert outcome == ["the consumer gave up"]


def test_file_at_reads_regular_files_of_a_revision_only(repo: Path) -> None:
    (repo / "dir").mkdir()
    (repo / "dir" / "inner.txt").write_text("inner\n", encoding="utf-8")
    (repo / "plain.txt").write_text("plain\n", encoding="utf-8")
    (repo / "link.txt").symlink_to("plain.txt")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")

    assert file_at("HEAD", "plain.txt", repo) == b"plain\n"
    assert file_at("HEAD", "dir/inner.txt", repo) == b"inner\n"
    # a link, a directory and a missing path are no file
    assert file_at("HEAD", "link.txt", repo) is None
    assert file_at("HEAD", "dir", repo) is None
    assert file_at("HEAD", "missing.txt", repo) is None
    assert [item.path for item in tree_files("HEAD", "dir", repo)] == ["dir/inner.txt"]
    with pytest.raises(GitError, match="over the 3-byte limit"):
        file_at("HEAD", "plain.txt", repo, limit=3)


@pytest.mark.parametrize("args", [["history", "."], ["audit", "."]])
def test_a_repository_config_asking_to_check_signatures_runs_no_program(
    committed: Path, tmp_path: Path, args: list[str]
) -> None:
    """`log.showSignature` made the `git log` of a history or an audit start the repository's
    `gpg.program` for a signed commit: an audited repository's config ran its own code."""
    marker = tmp_path / "program-ran"
    program = tmp_path / "fake-gpg"
    program.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat >/dev/null\nexit 1\n")
    program.chmod(0o755)
    tree = git(committed, "rev-parse", "HEAD^{tree}").stdout.strip()
    parent = git(committed, "rev-parse", "HEAD").stdout.strip()
    signature = "-----BEGIN PGP SIGNATURE-----\n \n iQEz\n -----END PGP SIGNATURE-----"
    body = (
        f"tree {tree}\nparent {parent}\nauthor a <a@b> 1700000000 +0000\n"
        f"committer a <a@b> 1700000000 +0000\ngpgsig {signature}\n\nsigned\n"
    )
    signed = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=committed,
        input=body,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    git(committed, "update-ref", "HEAD", signed)
    git(committed, "config", "log.showSignature", "true")
    git(committed, "config", "gpg.program", str(program))
    assert git(committed, "log", "-1").returncode == 0 and marker.exists()  # git itself runs it
    marker.unlink()

    completed = run_process(
        [sys.executable, "-m", "scanner", *args],
        cwd=committed,
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "KEYLEAK_CACHE_DIR": str(tmp_path / "cache"),
        },
    )

    assert completed.returncode == 0, completed.stderr
    assert not marker.exists()


def test_a_repository_merge_driver_never_runs_when_a_range_shows_a_merge(
    committed: Path, tmp_path: Path
) -> None:
    """A range shows a merge as what its author changed by hand (--remerge-diff), which merges
    again in memory: a merge driver the repository's config and attributes name ran then."""
    marker = tmp_path / "driver-ran"
    driver = tmp_path / "driver"
    driver.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    driver.chmod(0o755)
    base = git(committed, "rev-parse", "HEAD").stdout.strip()
    (committed / "c.txt").write_text("base\n")
    git(committed, "add", "c.txt")
    git(committed, "commit", "-qm", "c")
    git(committed, "checkout", "-q", "-b", "side")
    (committed / "c.txt").write_text("side\n")
    git(committed, "commit", "-qam", "side")
    git(committed, "checkout", "-q", "-")
    (committed / "c.txt").write_text("main\n")
    git(committed, "commit", "-qam", "main")
    git(committed, "merge", "-q", "side", check=False)
    (committed / "c.txt").write_text("merged\n")
    git(committed, "commit", "-qam", "merge")
    git(committed, "config", "merge.hostile.driver", f"{driver} %O %A %B")
    (committed / ".git" / "info").mkdir(exist_ok=True)
    (committed / ".git" / "info" / "attributes").write_text("* merge=hostile\n")

    completed = run_process(
        [sys.executable, "-m", "scanner", "history", ".", "--range", f"{base}..HEAD"],
        cwd=committed,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )

    assert completed.returncode == 0, completed.stderr
    assert not marker.exists()


def test_errors_in_a_commit_read_as_outside_one(committed: Path, tmp_path: Path) -> None:
    """During a commit the hook starts its diff early (scanner.git_early): a git that is
    missing, cannot run or fails still ends in the same one line and exit code."""
    index = {"GIT_INDEX_FILE": str(committed / ".git" / "index")}
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    (fake_bin / "git").write_text("not a program\n")
    (fake_bin / "git").chmod(0o644)
    outside = tmp_path / "outside"
    outside.mkdir()
    ceiling = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    cases = [
        (committed, {"PATH": str(empty_bin)}, "git is not installed or not on PATH"),
        (committed, {"PATH": str(fake_bin)}, "cannot run git: Permission denied"),
        (outside, ceiling, "not inside a git repository"),
    ]
    for cwd, env, message in cases:
        completed = run_process(
            [sys.executable, "-m", "scanner", "staged"],  # the hook's own command line
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env, **index},
        )
        assert (completed.returncode, completed.stdout) == (2, "")
        assert completed.stderr == f"keyleak: error: {message}\n"
