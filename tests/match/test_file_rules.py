"""A committed .env file is a finding of its own (rules/dotenv.toml, match/file_rules.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.match.chunk import chunk_matches
from scanner.match.engine import build_matcher
from scanner.match.file_rules import file_matches, file_rules
from scanner.model import Chunk, Provenance, Severity
from scanner.rules import load_rules
from tests.conftest import git
from tests.keys import openai_key

SHIPPED = load_rules()
RULES = SHIPPED.by_id()
DOTENV = RULES["dotenv-file"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--format", "json", "--no-redact"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return int(exited.value.code or 0), report


def dotenv_findings(report: dict[str, Any]) -> list[tuple[str, int]]:
    return sorted(
        (Path(f["location"]["path"]).as_posix(), f["location"]["line"])
        for f in report["findings"]
        if f["rule_id"] == "dotenv-file"
    )


@pytest.mark.parametrize(
    ("name", "reported"),
    [
        (".env", True),
        (".env.local", True),
        (".env.production", True),
        ("config/.env.staging.local", True),
        (".env.example", False),
        (".env.sample", False),
        (".env.template", False),
        (".env.dist", False),
        ("settings.env", False),
        (".envrc", False),
        ("env", False),
    ],
)
def test_which_names_count(name: str, reported: bool) -> None:
    chunk = Chunk(b"DEBUG=1\n", Provenance(name))
    assert [rule for rule, _ in file_rules(RULES)] == [DOTENV]
    assert bool(file_matches(chunk, file_rules(RULES))) is reported


def test_scan_reports_dotenv_without_any_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("# local settings\nDEBUG=1\nPORT=8000\n")
    (tmp_path / ".env.example").write_text("DEBUG=1\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".env.production").write_text("LOG_LEVEL=info\n")
    code, report = run(["scan", str(tmp_path)], capsys)
    assert code == 1
    root = tmp_path.as_posix()
    assert dotenv_findings(report) == [(f"{root}/.env", 1), (f"{root}/app/.env.production", 1)]
    finding = report["findings"][0]
    assert finding["severity"] == Severity.MEDIUM.value
    assert "git rm --cached" in finding["remediation"]
    assert ".gitignore" in finding["remediation"]


def test_keys_inside_a_dotenv_are_reported_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={key}\n")
    _, report = run(["scan", str(tmp_path)], capsys)
    assert sorted(f["rule_id"] for f in report["findings"]) == ["dotenv-file", "openai-project-key"]


def test_inline_allow_on_the_first_line_silences_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("# keyleak:allow (fixtures for the test suite)\nDEBUG=1\n")
    code, report = run(["scan", str(tmp_path)], capsys)
    assert (code, report["findings"]) == (0, [])


def test_empty_dotenv_holds_nothing_to_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("")
    code, _ = run(["scan", str(tmp_path)], capsys)
    assert code == 0


def test_staged_dotenv_is_reported_at_its_first_added_line(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".env").write_text("DEBUG=1\n")
    (repo / ".env.example").write_text("DEBUG=1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "--no-verify", "-m", "base")
    (repo / ".env").write_text("DEBUG=1\nPORT=8000\n")
    git(repo, "add", ".env")
    monkeypatch.chdir(repo)
    code, report = run(["staged"], capsys)
    assert code == 1
    assert dotenv_findings(report) == [(".env", 2)]
    assert report["findings"][0]["location"]["kind"] == "staged"


def test_file_rule_never_matches_content() -> None:
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "regex")
    chunk = Chunk(b".env", Provenance("notes.txt"))
    assert chunk_matches(chunk, matcher, RULES).matches == ()
