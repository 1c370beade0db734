"""`keyleak audit` of a local repository reports whether a secret is still present and where
each ref dropped it as `keyleak history` does, and reads the same back from its state when the
repository has not moved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit, config_line


def audit(capsys: pytest.CaptureFixture[str], cwd: Path, *args: str) -> Outcome:
    argv = ("audit", *args, "--cache-dir", str(cwd / "cache"), "--format", "json", "--no-redact")
    return keyleak(capsys, cwd, *argv)


def test_a_key_a_merge_dropped_is_removed_at_the_merge_in_an_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "clones" / "app"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")
    commit(repo, {"README.md": "base\n"}, "base")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"key.py": config_line(openai_key())}, "add a key on the side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.txt": "main moves on\n"}, "main work")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "side")
    git(repo, "rm", "-q", "-f", "key.py")
    git(repo, "commit", "-q", "-m", "merge without the key")
    merge = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "branch", "-q", "-D", "side")

    first = audit(capsys, tmp_path, "clones")
    second = audit(capsys, tmp_path, "clones")

    name = os.path.join("clones", "app")
    assert [r["status"] for r in second.report()["repositories"]] == ["unchanged"]
    for outcome in (first, second):
        assert outcome.code == 1
        [finding] = outcome.findings()
        assert finding["location"]["repository"] == name
        history = finding["history"]
        assert history["still_present"] is False
        assert history["in_head"] is False
        assert history["removed"]["sha"] == merge
        assert [(r["ref"], r["sha"]) for r in history["removals"]] == [("main", merge)]
