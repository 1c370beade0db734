"""`keyleak staged` handed file names, as the pre-commit framework runs it, and the index states
it cannot scan: unmerged entries, a bare repository.

Keys are built at run time (tests/keys.py): no key-shaped literal may appear in this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.sources.diff import changed_paths
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key

KEYLEAK = Path(sys.executable).parent / "keyleak"
PROJECT = "openai-project-key"


def put(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def commit_all(repo: Path, message: str = "base") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def staged(capsys: pytest.CaptureFixture[str], cwd: Path, *names: str) -> Outcome:
    return keyleak(capsys, cwd, "staged", "--format", "json", "--", *names)


def skipped(outcome: Outcome) -> dict[str, str]:
    return {entry["path"]: entry["reason"] for entry in outcome.report()["skipped"]}


@pytest.fixture
def in_commit(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As git runs the hook during `git commit`: GIT_INDEX_FILE names the index."""
    monkeypatch.setenv("GIT_INDEX_FILE", str(repo / ".git" / "index"))
    return repo


# --- outside a commit: the named files, whole ------------------------------------------------


def test_named_files_are_scanned_whole_outside_a_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    put(repo, "config.py", f'KEY = "{key}"\n')
    put(repo, "app.py", "print(1)\n")
    commit_all(repo)

    assert staged(capsys, repo, "config.py").found() == [("config.py", 1, PROJECT)]
    clean = staged(capsys, repo, "app.py")
    assert clean.code == 0 and clean.found() == []


def test_a_name_starting_with_a_dash_is_a_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put(repo, "-leak.py", f'KEY = "{openai_key()}"\n')
    commit_all(repo)

    outcome = staged(capsys, repo, "-leak.py")

    assert outcome.code == 1
    assert outcome.found() == [("-leak.py", 1, PROJECT)]


def test_names_that_cannot_be_scanned_are_listed_not_errors(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = put(tmp_path, "outside.env", f'KEY = "{openai_key()}"\n')
    (repo / "link.py").symlink_to(secret)
    put(repo, "image.bin", b"\x00\x01\x02" * 10)
    os.mkfifo(repo / "pipe")
    (repo / "folder").mkdir()
    put(repo, "big.py", "x = 1\n" * 100)

    outcome = keyleak(
        capsys,
        repo,
        "staged",
        "--format",
        "json",
        "--max-file-size",
        "100",
        "--",
        "gone.py",
        "link.py",
        "image.bin",
        "pipe",
        "folder",
        "big.py",
        "big.py",
    )

    assert outcome.code == 0, outcome.err
    assert outcome.found() == []  # the symlink is never followed out of the tree
    assert skipped(outcome) == {
        "gone.py": "no such file (deleted?)",
        "link.py": "symlink",
        "image.bin": "binary",
        "pipe": "not a regular file",
        "folder": "not a regular file",
        "big.py": "larger than --max-file-size",
    }


def test_a_name_below_a_symlinked_directory_is_never_read(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the link is the file git tracks; a name through it reaches whatever it points at
    outside = tmp_path / "outside"
    put(outside, "creds.env", f'KEY = "{openai_key()}"\n')
    put(outside, "deeper/more.env", f'KEY = "{openai_key()}"\n')
    (repo / "linked").symlink_to(outside)
    put(repo, "real/ok.py", "x = 1\n")

    outcome = staged(capsys, repo, "linked/creds.env", "linked/deeper/more.env", "real/ok.py")

    assert outcome.code == 0, outcome.out
    assert outcome.found() == []
    assert skipped(outcome) == {
        "linked/creds.env": "symlink",
        "linked/deeper/more.env": "symlink",
    }


def test_names_under_the_config_path_allowlist_are_skipped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put(repo, ".keyleak.toml", '[allow]\npaths = ["fixtures/"]\n')
    put(repo, "fixtures/key.py", f'KEY = "{openai_key()}"\n')
    commit_all(repo)

    outcome = staged(capsys, repo, "fixtures/key.py")

    assert outcome.code == 0
    assert skipped(outcome) == {"fixtures/key.py": "path allowlist"}


# --- in a commit: the staged lines of the named files ----------------------------------------


def test_in_a_commit_only_the_staged_lines_of_the_named_files_are_scanned(
    in_commit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = in_commit
    old, new, other = openai_key(), openai_key(), openai_key()
    put(repo, "config.py", f'OLD = "{old}"\n')
    commit_all(repo)
    put(repo, "config.py", f'OLD = "{old}"\nNEW = "{new}"\n')
    put(repo, "other.py", f'OTHER = "{other}"\n')
    git(repo, "add", "config.py", "other.py")

    # pre-commit may split a long list over several calls: each scans its own names
    assert staged(capsys, repo, "config.py").found() == [("config.py", 2, PROJECT)]
    assert staged(capsys, repo, "other.py").found() == [("other.py", 1, PROJECT)]
    both = staged(capsys, repo, "config.py", "other.py")
    assert sorted(both.found()) == [("config.py", 2, PROJECT), ("other.py", 1, PROJECT)]


def test_in_a_commit_a_name_that_is_not_staged_means_the_files_whole(
    in_commit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIT_INDEX_FILE exported while `pre-commit run --files` runs: the names are not what the
    index changes, so they are not a commit's, and the files are scanned whole."""
    repo = in_commit
    put(repo, "config.py", f'KEY = "{openai_key()}"\n')
    put(repo, "app.py", "print(1)\n")
    commit_all(repo)
    put(repo, "app.py", "print(2)\n")
    git(repo, "add", "app.py")

    assert staged(capsys, repo, "config.py").found() == [("config.py", 1, PROJECT)]
    assert staged(capsys, repo, "app.py").found() == []


def test_a_merge_commit_is_charged_only_with_its_staged_lines(
    in_commit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Concluding a merge, pre-commit names the conflicted files and what the merge brings,
    staged or not: a conflict resolved to our side changes nothing, and its old key is not the
    merge's to answer for."""
    repo = in_commit
    old, new = openai_key(), openai_key()
    put(repo, "settings.py", f'KEY = "{old}"\nv = 1\n')
    put(repo, "notes.txt", "base\n")
    commit_all(repo)
    git(repo, "checkout", "-q", "-b", "side")
    put(repo, "settings.py", f'KEY = "{old}"\nv = 2\n')
    put(repo, "notes.txt", "side\n")
    commit_all(repo, "side")
    git(repo, "checkout", "-q", "main")
    put(repo, "settings.py", f'KEY = "{old}"\nv = 3\n')
    put(repo, "notes.txt", "main\n")
    commit_all(repo, "main")
    git(repo, "merge", "-q", "side", check=False)
    git(repo, "checkout", "-q", "--ours", "settings.py")
    put(repo, "notes.txt", f'resolved\nNEW = "{new}"\n')
    git(repo, "add", "settings.py", "notes.txt")

    outcome = staged(capsys, repo, "settings.py", "notes.txt")

    assert outcome.found() == [("notes.txt", 2, PROJECT)]


def test_a_staged_rename_or_mode_change_is_a_staged_name(
    in_commit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files the commit changes without adding a line are still its own: a committed key in a
    renamed file is not reported, as without names."""
    repo = in_commit
    put(repo, "old name.py", f'KEY = "{openai_key()}"\n')
    put(repo, "run.sh", f'KEY="{openai_key()}"\n')
    commit_all(repo)
    git(repo, "mv", "old name.py", "new name.py")
    (repo / "run.sh").chmod(0o755)
    git(repo, "add", "run.sh")

    outcome = staged(capsys, repo, "new name.py", "run.sh")

    assert outcome.code == 0, outcome.out
    assert outcome.found() == []


def test_changed_paths_reads_every_header() -> None:
    diff = (
        b"diff --git a/plain.py b/plain.py\nnew file mode 100644\n"
        b'diff --git "a/tab\\there" "b/tab\\there"\nold mode 100644\nnew mode 100755\n'
        b"diff --git a/a b/c d\nsimilarity index 100%\nrename from a\nrename to c d\n"
        b"diff --git a/x y b/x y\n--- a/x y\n+++ b/x y\t\n@@ -1 +1 @@\n-1\n+2\n"
    )
    assert changed_paths(diff) == {b"plain.py", b"tab\there", b"c d", b"x y"}


# --- item 5: unmerged entries, a bare repository ---------------------------------------------


@pytest.fixture
def conflicted(repo: Path) -> Path:
    """A merge stopped on a conflict in `config.py`, with `notes.txt` merged cleanly."""
    put(repo, "config.py", "NAME = 'base'\n")
    commit_all(repo)
    git(repo, "checkout", "-q", "-b", "theirs")
    put(repo, "config.py", f'KEY = "{openai_key()}"\n')
    commit_all(repo, "theirs")
    git(repo, "checkout", "-q", "main")
    put(repo, "config.py", "NAME = 'ours'\n")
    commit_all(repo, "ours")
    merged = git(repo, "merge", "theirs", check=False)
    assert merged.returncode != 0
    assert git(repo, "ls-files", "--unmerged").stdout
    return repo


def test_unmerged_entries_are_listed_as_not_scanned(
    conflicted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = keyleak(capsys, conflicted, "staged", "--format", "json")

    assert outcome.code == 0
    assert skipped(outcome) == {"config.py": "unmerged (a conflict being resolved)"}


def test_unmerged_entries_in_the_text_summary(
    conflicted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = keyleak(capsys, conflicted, "staged")

    assert outcome.code == 0
    assert "1 skipped: 1 unmerged (a conflict being resolved)" in outcome.out


def test_staged_in_a_bare_repository_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    git(source, "init", "-q", "-b", "main")
    put(source, "app.py", "print(1)\n")
    commit_all(source)
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))

    completed = subprocess.run(
        [str(KEYLEAK), "staged"], cwd=bare, capture_output=True, text=True, check=False
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "keyleak: error: a bare repository has no staged changes to scan (no work tree)"
    ]
