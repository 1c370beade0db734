"""Every file a config names, and the config itself, is read only if it is a regular file
within its cap: a scanned repository cannot make keyleak read /dev/zero, block on a FIFO or
load a file of gigabytes (scanner/util/small_file.py, at each place such a file is read)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.config import gitleaks, project
from scanner.policy import baseline
from tests.cli_helpers import Outcome, scan_json, staged_json, write
from tests.conftest import git
from tests.keys import openai_key


def oversized(path: Path, limit: int) -> Path:
    """A file of TOML comments one byte over `limit`."""
    line = b"# " + b"x" * 77 + b"\n"
    path.write_bytes(line * (limit // len(line) + 1))
    return path


def with_secret(repo: Path) -> None:
    write(repo, "app.py", f"key = '{openai_key()}'\n")


def test_a_gitleaks_config_naming_a_device_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # only a config the user names may point outside the repository, at a device among others
    with_secret(repo)
    mine = write(repo.parent, "mine.toml", 'gitleaks_config = "/dev/zero"\n')
    outcome = scan_json(capsys, repo, "app.py", "--config", str(mine))
    assert outcome.code == 2
    assert "/dev/zero: cannot read gitleaks config: not a regular file" in outcome.err


def test_a_repository_config_naming_a_device_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret(repo)
    write(repo, ".keyleak.toml", 'gitleaks_config = "/dev/zero"\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "outside the repository" in outcome.err


def test_a_gitleaks_config_over_its_cap_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret(repo)
    oversized(repo / "gitleaks.toml", gitleaks.CONFIG_LIMIT)
    write(repo, ".keyleak.toml", 'gitleaks_config = "gitleaks.toml"\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "larger than the 4 MiB limit" in outcome.err


def test_a_config_over_its_cap_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret(repo)
    oversized(repo / ".keyleak.toml", project.CONFIG_LIMIT)
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert ".keyleak.toml: cannot read config: larger than the 1 MiB limit" in outcome.err


def test_a_pyproject_over_the_config_cap_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret(repo)
    oversized(repo / "pyproject.toml", project.CONFIG_LIMIT)
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "pyproject.toml: cannot read config: larger than the 1 MiB limit" in outcome.err


@pytest.mark.parametrize("command", [scan_json, staged_json])
def test_a_config_that_is_a_fifo_is_a_config_error_not_a_hang_nor_ignored(
    repo: Path, capsys: pytest.CaptureFixture[str], command: Callable[..., Outcome]
) -> None:
    with_secret(repo)
    git(repo, "add", "app.py")
    os.mkfifo(repo / ".keyleak.toml")
    outcome = command(capsys, repo)
    assert outcome.code == 2
    assert ".keyleak.toml: cannot read config: not a regular file (a FIFO)" in outcome.err


def test_an_explicit_config_that_is_a_device_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret(repo)
    outcome = scan_json(capsys, repo, "app.py", "--config", "/dev/zero")
    assert outcome.code == 2
    assert "/dev/zero: cannot read config: not a regular file (a character device)" in outcome.err


def test_a_rule_file_over_its_cap_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner import rules

    with_secret(repo)
    oversized(repo / "extra.toml", rules.RULE_FILE_LIMIT)
    write(repo, ".keyleak.toml", 'rules = ["extra.toml"]\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "extra.toml: cannot read: larger than the 4 MiB limit" in outcome.err


def test_rule_files_over_their_total_cap_are_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner import rules

    with_secret(repo)
    monkeypatch.setattr(rules, "RULE_FILES_TOTAL_LIMIT", 1 << 20)
    (repo / "extra").mkdir()
    for name in ("a", "b"):
        oversized(repo / "extra" / f"{name}.toml", 600 << 10)
    write(repo, ".keyleak.toml", 'rules = ["extra"]\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "rule files: more than 1 MiB in all" in outcome.err


def test_a_gitleaksignore_over_its_cap_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_secret(repo)
    monkeypatch.setattr(gitleaks, "IGNORE_FILE_LIMIT", 4096)
    oversized(repo / ".gitleaksignore", 4096)
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert ".gitleaksignore: cannot read: larger than the 4 KiB limit" in outcome.err


def test_a_gitleaksignore_that_is_a_fifo_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_secret(repo)
    os.mkfifo(repo / ".gitleaksignore")
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert ".gitleaksignore: cannot read: not a regular file (a FIFO)" in outcome.err


def test_a_baseline_over_its_cap_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_secret(repo)
    monkeypatch.setattr(baseline, "BASELINE_LIMIT", 4096)
    oversized(repo / "known.json", 4096)
    outcome = scan_json(capsys, repo, "app.py", "--baseline", "known.json")
    assert outcome.code == 2
    assert "known.json: cannot read baseline: larger than the 4 KiB limit" in outcome.err


def test_every_cap_is_documented() -> None:
    from scanner import rules
    from scanner.util.small_file import describe

    text = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for limit in (
        project.CONFIG_LIMIT,
        rules.RULE_FILE_LIMIT,
        rules.RULE_FILES_TOTAL_LIMIT,
        gitleaks.CONFIG_LIMIT,
        gitleaks.IGNORE_FILE_LIMIT,
        baseline.BASELINE_LIMIT,
    ):
        assert describe(limit) in text
