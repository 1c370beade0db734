"""The end of every scan as the user sees it: the summary on stderr when the report goes to a
file, and an elapsed time that counts verification."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import keyleak
from tests.conftest import git
from tests.fake_provider import Answer, FakeProvider, fake_provider, make_key


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with fake_provider(environ=monkeypatch) as running:
        yield running


def leaky_tree(root: Path) -> str:
    key = make_key("openai")
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text(f'TOKEN = "{key}"\n', encoding="utf-8")
    return key


@pytest.mark.parametrize("format_name", ["text", "json", "sarif"])
def test_report_to_a_file_leaves_its_summary_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], format_name: str
) -> None:
    key = leaky_tree(tmp_path)
    out = tmp_path / "report.out"
    outcome = keyleak(capsys, tmp_path, "scan", "src", "--format", format_name, "-o", str(out))
    assert outcome.code == 1
    assert outcome.out == ""
    assert re.fullmatch(
        r"keyleak: 1 secret found in 1 file \(1 file scanned; \d+ B; \d+\.\d\ds\)\n", outcome.err
    )
    assert key not in outcome.err
    assert out.read_text(encoding="utf-8")


def test_clean_report_to_a_file_says_so_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    outcome = keyleak(capsys, tmp_path, "scan", ".", "-o", "report.txt")
    assert outcome.code == 0
    assert outcome.err.startswith("keyleak: no secrets found (")


def test_quiet_keeps_stderr_silent_with_a_report_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaky_tree(tmp_path)
    outcome = keyleak(capsys, tmp_path, "scan", "src", "-q", "--format", "json", "-o", "r.json")
    assert outcome.code == 1
    assert outcome.err == ""


def test_report_on_stdout_adds_nothing_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text on stdout ends with the summary already; a structured report on stdout is read by a
    program, often with `2>&1`, so stderr stays as it was."""
    leaky_tree(tmp_path)
    text = keyleak(capsys, tmp_path, "scan", "src")
    assert text.err == "" and "keyleak: 1 secret found" in text.out
    structured = keyleak(capsys, tmp_path, "scan", "src", "--format", "json", "-o", "-")
    assert structured.err == ""
    assert json.loads(structured.out)["stats"]["findings"] == 1


def test_staged_and_history_print_the_summary_with_a_report_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    leaky_tree(repo)
    git(repo, "add", ".")
    staged = keyleak(capsys, repo, "staged", "--format", "json", "-o", str(tmp_path / "s.json"))
    assert staged.code == 1
    assert staged.err.startswith("keyleak: 1 secret found in 1 file (1 staged file scanned;")
    git(repo, "commit", "-qm", "leak")
    history = keyleak(
        capsys, repo, "history", ".", "--no-progress", "-j", "1", "-o", str(tmp_path / "h.txt")
    )
    assert history.code == 1
    assert history.err.startswith("keyleak: 1 secret found in 1 file (1 commit; ")


def test_elapsed_time_counts_verification(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = leaky_tree(tmp_path)
    server.script(key, Answer(delay=1.2))
    outcome = keyleak(capsys, tmp_path, "scan", "src", "--verify", "--format", "json")
    assert outcome.code == 1
    assert json.loads(outcome.out)["stats"]["elapsed_seconds"] >= 1.2


def test_verify_of_a_report_says_how_many_findings_it_read(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaky_tree(tmp_path)
    report = tmp_path / "report.json"
    keyleak(capsys, tmp_path, "scan", "src", "--no-redact", "--format", "json", "-o", str(report))
    outcome = keyleak(capsys, tmp_path, "verify", "report.json")
    assert outcome.code == 1
    assert "(read 1 finding from report.json;" in outcome.out
    assert "inputs scanned" not in outcome.out
    to_file = keyleak(capsys, tmp_path, "verify", "report.json", "-o", "v.txt")
    assert "(read 1 finding from report.json;" in to_file.err
