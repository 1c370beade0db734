"""`keyleak history`: what the command line names is a revision, never an option to git."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit, config_line


@pytest.mark.parametrize(
    "argv",
    [
        ("--range=--output=p.txt",),
        ("--range", "--output=p.txt..HEAD"),
        ("--range", "HEAD..--output=p.txt"),
        ("--range", "^--output=p.txt"),
        (".", "--", "--output=p.txt"),
        ("--", "--output=p.txt"),
        (".", "HEAD", "--", "--output=p.txt"),
    ],
)
def test_an_option_given_as_a_revision_is_a_usage_error_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    commit(repo, {"k.py": config_line(openai_key())}, "a secret")

    outcome = keyleak(capsys, repo, "history", *argv, "-j", "1")

    assert outcome.code == 2
    assert "--output=p.txt" in outcome.err
    assert not (repo / "p.txt").exists()
    assert git(repo, "status", "--porcelain").stdout == ""


@pytest.mark.parametrize("revision", ["nosuchbranch", "HEAD..nosuchbranch", "HEAD~5"])
def test_a_revision_that_names_no_commit_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], revision: str
) -> None:
    commit(repo, {"README.md": "x\n"}, "base")

    for argv in (("--range", revision), (".", revision)):
        outcome = keyleak(capsys, repo, "history", *argv, "-j", "1")
        assert outcome.code == 2, argv
        assert "revision" in outcome.err


@pytest.mark.parametrize(
    "revision", ["main", "HEAD", "HEAD~1..main", "HEAD~1...HEAD", "HEAD^!", "HEAD~1.."]
)
def test_revisions_and_ranges_by_name_still_find_the_secret(
    repo: Path, capsys: pytest.CaptureFixture[str], revision: str
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "x\n"}, "base")
    commit(repo, {"k.py": config_line(key)}, "a secret")

    for argv in (("--range", revision), (".", revision)):
        outcome = keyleak(
            capsys, repo, "history", *argv, "-j", "1", "--format", "json", "--no-redact"
        )
        assert outcome.code == 1, (argv, outcome.err)
        assert outcome.secrets() == {key}
