"""`keyleak history` across merges: a secret is still present while some ref's tip holds it, and
each ref that reached it and dropped it names the commit of its first-parent line that did.

Every test builds a real repository under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit, config_line


def trail(capsys: pytest.CaptureFixture[str], repo: Path) -> dict[str, Any]:
    """The history of the one finding `keyleak history` reports."""
    outcome = keyleak(capsys, repo, "history", str(repo), "--format", "json", "-j", "1")
    assert outcome.code == 1
    [finding] = outcome.findings()
    history: dict[str, Any] = finding["history"]
    return history


def removals(history: dict[str, Any]) -> list[tuple[str, str]]:
    return [(removal["ref"], removal["sha"]) for removal in history["removals"]]


def side_branch_with_key(repo: Path, key: str) -> str:
    """main and a branch `side` off it whose commit adds `key.py`; main moved on; main is
    checked out. Returns the side commit."""
    commit(repo, {"README.md": "base\n"}, "base")
    git(repo, "checkout", "-q", "-b", "side")
    added = commit(repo, {"key.py": config_line(key)}, "add a key on the side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.txt": "main moves on\n"}, "main work")
    return added


def merge_side(repo: Path, keep: bool) -> str:
    """Merge `side` into main, keeping or dropping `key.py`, then delete `side`."""
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "side")
    if not keep:
        git(repo, "rm", "-q", "-f", "key.py")
    git(repo, "commit", "-q", "-m", "merge side")
    git(repo, "branch", "-q", "-D", "side")
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def test_a_merge_that_drops_the_file_removes_the_secret_at_the_merge(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    added = side_branch_with_key(repo, key)
    merge = merge_side(repo, keep=False)
    # later history on main must not move the removal
    commit(repo, {"README.md": "later\n"}, "later")

    history = trail(capsys, repo)

    assert history["introduced"]["sha"] == added
    assert history["last_present"]["sha"] == added
    assert history["still_present"] is False
    assert history["in_head"] is False
    assert history["removed"]["sha"] == merge
    assert removals(history) == [("main", merge)]
    assert history["refs"] == ["main"]


def test_a_merge_that_keeps_the_file_leaves_the_secret_present(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    side_branch_with_key(repo, openai_key())
    merge_side(repo, keep=True)

    history = trail(capsys, repo)

    assert history["still_present"] is True
    assert history["in_head"] is True
    assert history["removed"] is None
    assert history["removals"] == []


def test_removed_on_the_branch_then_merged_is_removed_where_the_branch_removed_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    side_branch_with_key(repo, openai_key())
    git(repo, "checkout", "-q", "side")
    deleted = commit(repo, {"key.py": None}, "drop the key on the side")
    git(repo, "checkout", "-q", "main")
    merge_side(repo, keep=True)

    history = trail(capsys, repo)

    assert history["still_present"] is False
    assert history["removed"]["sha"] == deleted
    assert removals(history) == [("main", deleted)]


def test_a_secret_deleted_then_added_back_is_present_with_no_removal(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    side_branch_with_key(repo, key)
    merge_side(repo, keep=True)
    commit(repo, {"key.py": None}, "delete the key")
    commit(repo, {"other.py": config_line(key)}, "the key comes back elsewhere")

    history = trail(capsys, repo)

    # a ref's removal is about its current state: its tip holds the key again
    assert history["still_present"] is True
    assert history["in_head"] is True
    assert history["removed"] is None
    assert history["removals"] == []


def test_deleted_added_back_and_deleted_again_is_removed_at_the_last_deletion(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    side_branch_with_key(repo, key)
    merge_side(repo, keep=True)
    commit(repo, {"key.py": None}, "delete the key")
    commit(repo, {"key.py": config_line(key)}, "the key comes back")
    last = commit(repo, {"key.py": None}, "delete it again")

    history = trail(capsys, repo)

    assert history["still_present"] is False
    assert history["removed"]["sha"] == last
    assert removals(history) == [("main", last)]


@pytest.mark.parametrize("checked_out", ["main", "release"])
def test_one_ref_keeps_it_and_one_dropped_it(
    repo: Path, capsys: pytest.CaptureFixture[str], checked_out: str
) -> None:
    key = openai_key()
    commit(repo, {"key.py": config_line(key)}, "add a key")
    git(repo, "checkout", "-q", "-b", "release")
    dropped = commit(repo, {"key.py": None}, "no key on the release branch")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README.md": "main keeps it\n"}, "main work")
    git(repo, "checkout", "-q", checked_out)

    history = trail(capsys, repo)

    assert history["still_present"] is True
    assert history["in_head"] is (checked_out == "main")
    assert history["removed"] is None
    assert removals(history) == [("release", dropped)]
    assert history["refs"] == ["main", "release"]


def test_two_refs_that_both_dropped_it_are_listed_and_the_earliest_is_removed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"key.py": config_line(key)}, "add a key")
    git(repo, "checkout", "-q", "-b", "release")
    early = commit(repo, {"key.py": None}, "no key on the release branch")
    git(repo, "checkout", "-q", "main")
    late = commit(repo, {"key.py": None}, "no key on main either")

    history = trail(capsys, repo)

    assert history["still_present"] is False
    assert history["removed"]["sha"] == early
    assert removals(history) == [("main", late), ("release", early)]


def test_a_key_only_on_a_side_branch_that_deleted_it_and_was_never_merged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    side_branch_with_key(repo, key)
    git(repo, "checkout", "-q", "side")
    deleted = commit(repo, {"key.py": None}, "drop the key on the side")
    git(repo, "checkout", "-q", "main")

    history = trail(capsys, repo)

    assert history["still_present"] is False
    assert history["in_head"] is False
    assert history["removed"]["sha"] == deleted
    assert removals(history) == [("side", deleted)]
    assert history["refs"] == ["side"]


def test_a_tag_on_an_old_commit_keeps_the_secret_present(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"key.py": config_line(key)}, "add a key")
    git(repo, "tag", "v1")
    dropped = commit(repo, {"key.py": None}, "drop it")

    history = trail(capsys, repo)

    assert history["still_present"] is True
    assert history["in_head"] is False
    assert history["removed"] is None
    assert removals(history) == [("main", dropped)]
