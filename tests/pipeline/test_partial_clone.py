"""A partial clone (`--filter=blob:none`) is scanned without fetching a single object: the blobs
it lacks are reported as not scanned, by `keyleak history` in full, by revision and by range.

The clone's promisor remote is a bare repository served over file://, still reachable, so that
a fetch would succeed: the tests check that the object store did not grow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner.sources.blobs import NOT_FETCHED
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit, config_line


@dataclass
class Partial:
    clone: Path
    #: the commits, oldest first
    commits: list[str]
    #: the keys: in a.py's first version (missing from the clone), its second, and b.py
    keys: list[str]


@pytest.fixture
def partial(repo: Path, tmp_path: Path) -> Partial:
    keys = [openai_key() for _ in range(3)]
    commits = [
        commit(repo, {"a.py": config_line(keys[0]), "README.md": "x\n"}, "first"),
        commit(repo, {"a.py": config_line(keys[1])}, "second"),
        commit(repo, {"b.py": config_line(keys[2])}, "third"),
    ]
    bare = tmp_path / "source.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    git(bare, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-local", bare.as_uri(), str(clone))
    assert first_version_is_missing(clone)
    return Partial(clone, commits, keys)


def first_version_is_missing(clone: Path) -> bool:
    listed = git(clone, "rev-list", "--objects", "--missing=print", "--all").stdout
    blob = git(clone, "rev-parse", "HEAD~2:a.py", check=False).stdout.strip()
    return f"?{blob}" in listed.split()


def objects(clone: Path) -> str:
    return git(clone, "count-objects", "-v").stdout


def history(capsys: pytest.CaptureFixture[str], clone: Path, *args: str) -> Outcome:
    argv = ("history", str(clone), *args, "--format", "json", "--no-redact", "-j", "1")
    before = objects(clone)
    outcome = keyleak(capsys, clone, *argv)
    assert objects(clone) == before, "git fetched objects from the promisor remote"
    assert first_version_is_missing(clone)
    return outcome


def skipped(outcome: Outcome) -> set[tuple[str, str]]:
    return {(s["path"], s["reason"]) for s in outcome.report()["skipped"]}


def test_full_history_reports_the_missing_blob_as_not_scanned(
    partial: Partial, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = history(capsys, partial.clone)

    assert outcome.code == 1, outcome.err
    assert outcome.secrets() == {partial.keys[1], partial.keys[2]}
    assert skipped(outcome) == {("a.py", NOT_FETCHED)}


def test_a_revision_s_history_reports_the_missing_blob_as_not_scanned(
    partial: Partial, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = history(capsys, partial.clone, "HEAD~1")

    assert outcome.code == 1, outcome.err
    assert outcome.secrets() == {partial.keys[1]}
    assert skipped(outcome) == {("a.py", NOT_FETCHED)}


def test_a_range_skips_the_file_whose_blobs_are_missing_and_scans_the_rest(
    partial: Partial, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _, _ = partial.commits
    outcome = history(capsys, partial.clone, "--range", f"{first}..HEAD")

    assert outcome.code == 1, outcome.err
    assert outcome.secrets() == {partial.keys[2]}
    assert skipped(outcome) == {("a.py", NOT_FETCHED)}
    assert outcome.report()["stats"]["commits_scanned"] == 2


def test_a_range_whose_blobs_are_all_present_skips_nothing(
    partial: Partial, capsys: pytest.CaptureFixture[str]
) -> None:
    for ranges in (("--range", "HEAD~1..HEAD"), ("--range", "HEAD")):
        outcome = history(capsys, partial.clone, *ranges)

        assert outcome.code == 1, outcome.err
        assert outcome.secrets() == {partial.keys[2]}
        assert skipped(outcome) == set()


def test_a_lone_commit_with_a_missing_blob_is_reported_not_scanned(
    partial: Partial, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = history(capsys, partial.clone, "--range", "HEAD~1")

    assert outcome.code == 0, outcome.err
    assert skipped(outcome) == {("a.py", NOT_FETCHED)}


def test_the_hook_never_fetches_an_index_blob_the_clone_lacks(
    partial: Partial, capsys: pytest.CaptureFixture[str]
) -> None:
    lacking = git(partial.clone, "rev-parse", "HEAD~2:a.py").stdout.strip()
    git(partial.clone, "update-index", "--add", "--cacheinfo", f"100644,{lacking},old.py")
    before = objects(partial.clone)

    outcome = keyleak(capsys, partial.clone, "staged")

    assert objects(partial.clone) == before, "git fetched objects from the promisor remote"
    assert outcome.code == 2
    assert f"object {lacking} is missing from this partial clone" in outcome.err


def test_a_merge_of_blobs_the_clone_lacks_is_reported_not_scanned(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    base = commit(repo, {"a.py": "one = 1\n\ntwo = 2\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"a.py": "one = 11\n\ntwo = 2\n"}, "feature")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"a.py": "one = 1\n\ntwo = 22\n"}, "main")
    git(repo, "merge", "-q", "--no-edit", "feature")
    commit(repo, {"b.py": config_line(key)}, "after the merge")
    bare = tmp_path / "source.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    git(bare, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-local", bare.as_uri(), str(clone))

    outcome = history(capsys, clone, "--range", f"{base}..HEAD")

    assert outcome.code == 1, outcome.err
    assert outcome.secrets() == {key}
    assert {reason for _, reason in skipped(outcome)} == {NOT_FETCHED}
