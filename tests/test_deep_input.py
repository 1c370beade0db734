"""Deeply nested JSON and TOML is bad input, not a crash: a notebook too deep to read as JSON
is scanned as plain text and listed as skipped with its reason, the other files' findings kept;
a baseline, a `keyleak verify` input or a config (TOML) nested too deeply is a clear error
(exit 2), never an internal error (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.match.notebooks import TOO_DEEP
from tests.cli_helpers import keyleak, scan_json, staged_json, write
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit

DEPTH = 50_000


def deep_json(depth: int = DEPTH) -> str:
    return "[" * depth + "]" * depth


def deep_notebook(key: str) -> str:
    """A notebook whose metadata nests 50,000 deep, with a key in a cell."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": [f'k = "{key}"\n']}
    head = json.dumps({"cells": [cell], "nbformat": 4}, indent=1)[:-2]
    return head + ',\n "metadata": {"x": ' + deep_json() + "}\n}\n"


@pytest.mark.parametrize("engine", ["hyperscan", "regex"])
def test_a_deep_notebook_is_scanned_as_text_and_listed_the_other_files_kept(
    repo: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    other, inside = openai_key(), openai_key()
    write(repo, "app.py", f"key = '{other}'\n")
    write(repo, "deep.ipynb", deep_notebook(inside))
    outcome = scan_json(capsys, repo, ".", "--engine", engine, "-j", "1")
    assert outcome.code == 1
    assert outcome.secrets() == {other, inside}
    assert {"path": "deep.ipynb", "reason": TOO_DEEP} in outcome.report()["skipped"]


def test_a_deep_notebook_in_a_parallel_scan(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [openai_key() for _ in range(3)]
    for number, key in enumerate(keys):
        write(repo, f"app{number}.py", f"key = '{key}'\n")
    write(repo, "deep.ipynb", deep_notebook(openai_key()))
    for number in range(200):  # enough files for the pool
        write(repo, f"filler/{number}.txt", "nothing here\n")
    outcome = scan_json(capsys, repo, ".", "-j", "2")
    assert outcome.code == 1
    assert set(keys) <= outcome.secrets()


def test_a_deep_notebook_staged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inside = openai_key()
    write(repo, "deep.ipynb", deep_notebook(inside))
    git(repo, "add", "deep.ipynb")
    outcome = staged_json(capsys, repo)
    assert outcome.code == 1
    assert outcome.secrets() == {inside}


def test_a_deep_notebook_in_history(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other, inside = openai_key(), openai_key()
    commit(repo, {"app.py": f"key = '{other}'\n", "deep.ipynb": deep_notebook(inside)}, "add")
    outcome = keyleak(
        capsys, repo, "history", str(repo), "--format", "json", "--no-redact", "-j", "1"
    )
    assert outcome.code == 1
    assert {other, inside} <= outcome.secrets()


def test_a_deep_baseline_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", f"key = '{openai_key()}'\n")
    write(repo, "known.json", '{"keyleak_baseline": 1, "entries": ' + deep_json(100_000) + "}")
    outcome = scan_json(capsys, repo, "app.py", "--baseline", "known.json")
    assert outcome.code == 2
    assert "known.json: not a keyleak baseline: nested too deeply" in outcome.err


@pytest.mark.parametrize("shape", ["json", "jsonl"])
def test_a_deep_verify_input_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str
) -> None:
    body = deep_json(100_000)
    text = body if shape == "json" else '{"rule_id": "x"}\n' + body + "\n"
    path = write(tmp_path, "report.json", text)
    outcome = keyleak(capsys, tmp_path, "verify", str(path))
    assert outcome.code == 2
    assert "report.json: nested too deeply to read as JSON" in outcome.err


DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"


def test_a_deep_config_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", f"key = '{openai_key()}'\n")
    write(repo, ".keyleak.toml", DEEP_TOML)
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert ".keyleak.toml: not valid TOML: nested too deeply" in outcome.err


def test_a_deep_inline_table_in_pyproject_is_a_clear_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "app.py", f"key = '{openai_key()}'\n")
    deep = "{a = " * 5000 + "1" + "}" * 5000
    write(repo, "pyproject.toml", f"[tool.keyleak]\nx = {deep}\n")
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "pyproject.toml: not valid TOML: nested too deeply" in outcome.err


def test_a_deep_rule_file_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "app.py", f"key = '{openai_key()}'\n")
    write(repo, "extra.toml", DEEP_TOML)
    write(repo, ".keyleak.toml", 'rules = ["extra.toml"]\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "extra.toml: not valid TOML: nested too deeply" in outcome.err


def test_a_deep_gitleaks_config_is_a_clear_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "app.py", f"key = '{openai_key()}'\n")
    write(repo, "gitleaks.toml", DEEP_TOML)
    write(repo, ".keyleak.toml", 'gitleaks_config = "gitleaks.toml"\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.code == 2
    assert "gitleaks.toml: not valid TOML: nested too deeply" in outcome.err
    imported = keyleak(capsys, repo, "rules", "import-gitleaks", "gitleaks.toml")
    assert imported.code == 2
    assert "nested too deeply" in imported.err
