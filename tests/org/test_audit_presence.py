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
from tests.repos import merged_and_dropped


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
    merge = merged_and_dropped(repo, openai_key())

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
