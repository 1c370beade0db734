"""The terminal format as a person reads it: whole secrets, one number format, an encoded
secret apart from its encoded text, a committed `.env` by its variable names."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.model import RepositoryStatus
from scanner.report import ReportOptions, writer_for
from tests.cli_helpers import keyleak
from tests.keys import openai_key, secret_value
from tests.report.test_formats import clean_result, sample_result


def text_of(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    outcome = keyleak(capsys, tmp_path, "scan", ".", "-j", "1", *argv)
    assert outcome.code == 1, outcome.err
    return outcome.out


def test_no_redact_keeps_a_long_secret_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    key = openai_key(length=74)
    assert len(key) == 164
    (tmp_path / "settings.py").write_text(f'OPENAI_API_KEY = "{key}"  # prod\n', encoding="utf-8")
    lines = text_of(tmp_path, capsys, "--no-redact").splitlines()
    whole = [line for line in lines if key in line]
    # the offending line and the secret row, each holding the key whole
    assert len(whole) == 2
    assert any(line.startswith("    | ") for line in whole)
    assert any(line.startswith("    secret:") for line in whole)
    # and no row holds a piece of it
    pieces = [line for line in lines if key not in line and (key[:20] in line or key[-20:] in line)]
    assert pieces == []


def test_counts_have_thousands_separators_everywhere() -> None:
    result = replace(
        sample_result(),
        files_scanned=5584,
        commits_scanned=12345,
        repositories=(
            RepositoryStatus("big", "", "scanned", commits=5584, blobs=20000, findings=4),
        ),
    )
    stream = io.StringIO()
    writer_for("text")(result, stream, ReportOptions())
    text = stream.getvalue()
    assert "5,584 commits" in text and "20,000 blobs" in text
    assert "12,345 commits" in text and "5,584 files scanned" in text
    assert not re.search(r"\b\d{4,}\b (commit|blob|file|secret)", text)


def test_an_encoded_secret_is_shown_decoded_apart_from_its_encoded_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key(length=20)
    encoded = base64.b64encode(f"OPENAI_API_KEY={key}".encode()).decode()
    (tmp_path / "blob.py").write_text(f'BLOB = "{encoded}"\n', encoding="utf-8")
    out = text_of(tmp_path, capsys)
    code = next(line for line in out.splitlines() if line.startswith("    | "))
    # the line shows what the file holds, the encoded text, redacted: not the decoded key
    assert code.startswith('    | BLOB = "') and "sk-proj-" not in code
    assert encoded not in out
    decoded = [line for line in out.splitlines() if "decoded from base64" in line]
    assert len(decoded) == 1
    assert re.fullmatch(r"    decoded from base64: sk-proj-\S\S…\S{4} \(redacted\)", decoded[0])
    assert key not in out

    shown = text_of(tmp_path, capsys, "--no-redact")
    assert f"    decoded from base64: {key}\n" in shown


def test_a_committed_env_file_is_shown_by_its_variable_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = secret_value()
    (tmp_path / ".env").write_text(
        f"# local settings\nexport DEBUG=1\nDB_PASSWORD={password}\nAPI_URL = http://x\n",
        encoding="utf-8",
    )
    out = text_of(tmp_path, capsys)
    start = out.index(".env:1:1: Committed .env file")
    block = out[start : out.index("fix:", start)]
    assert "    file:        .env\n" in block
    assert "    variables:   DEBUG, DB_PASSWORD, API_URL\n" in block
    assert "| " not in block and "secret:" not in block
    assert password not in out


def test_a_clean_run_is_unchanged() -> None:
    stream = io.StringIO()
    writer_for("text")(clean_result(), stream, ReportOptions())
    assert stream.getvalue() == "keyleak: no secrets found (3 files scanned; 2.0 KB; 0.10s)\n"


def test_a_key_on_the_first_line_of_an_env_file_shows_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The `.env` finding is about the file's name: it hides nothing on the file's lines."""
    key = openai_key(length=20)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={key} # see .env docs\n", encoding="utf-8")
    out = text_of(tmp_path, capsys)
    assert "    | OPENAI_API_KEY=sk-proj-" in out
    assert "# see .env docs" in out
    assert key not in out
