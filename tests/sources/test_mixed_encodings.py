"""UTF-16 text after UTF-8 text in one file (what PowerShell 5's `>>` appends) is decoded
wherever it starts, and a file that starts with a UTF-16 BOM but is not UTF-16 is scanned as
its bytes (scanner/sources/content.py): in scan, staged and history modes."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from scanner.sources.content import as_text, lines_as_text
from tests.cli_helpers import keyleak, scan_json, staged_json
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit

PROJECT = "openai-project-key"


def mixed(key: str, head_lines: int = 2) -> bytes:
    """UTF-8 lines, then a line PowerShell 5 appended as UTF-16LE (no BOM); the key on the
    last line, `head_lines + 2`."""
    head = "".join(f"# setting {number}: café\n" for number in range(head_lines))
    tail = f"NAME=demo\r\nOPENAI_API_KEY={key}\r\n"
    return head.encode("utf-8") + tail.encode("utf-16-le")


@pytest.mark.parametrize("head_lines", [2, 1000], ids=["utf-16 within 8000 bytes", "after"])
def test_a_utf16_section_after_utf8_text_is_decoded(head_lines: int) -> None:
    key = openai_key()
    text = as_text(mixed(key, head_lines))
    assert text is not None
    lines = text.split(b"\n")
    assert lines[0] == "# setting 0: café".encode()
    assert lines[head_lines + 1] == f"OPENAI_API_KEY={key}\r".encode()


def test_utf8_text_after_a_utf16_section_is_kept() -> None:
    key, later = openai_key(), openai_key()
    content = mixed(key) + f"LATER={later}\n".encode()
    text = as_text(content)
    assert text is not None
    assert f"OPENAI_API_KEY={key}\r\nLATER={later}\n".encode() in text


def test_a_utf16_bom_on_text_that_is_not_utf16_leaves_the_bytes_scanned() -> None:
    key = openai_key()
    content = codecs.BOM_UTF16_LE + f'API_KEY = "{key}"\n'.encode()
    text = as_text(content)
    assert text is not None
    assert key.encode() in text


@pytest.mark.parametrize(
    "content",
    [
        b"abc\0def\nkey = 1\n",  # a stray NUL early on: binary, as git has it
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4,
        b"text first\n" + bytes([1, 0, 2, 0, 3, 0, 4, 0]) * 500,
        b"GIF89a" + bytes([7, 0, 200, 0, 150, 0, 16, 0, 0, 0]) * 100,
    ],
    ids=["stray NUL", "png", "control codes interleaved", "gif"],
)
def test_binary_stays_binary(content: bytes) -> None:
    assert as_text(content) is None


def test_staged_lines_of_a_mixed_file_are_decoded_line_by_line() -> None:
    key = openai_key()
    lines = mixed(key).split(b"\n")[:-1]
    decoded = lines_as_text(lines)
    assert decoded is not None
    assert decoded[0] == "# setting 0: café".encode()
    assert decoded[3] == f"OPENAI_API_KEY={key}\r".encode()


def test_scan_finds_a_key_in_a_utf16_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    (tmp_path / "settings.env").write_bytes(mixed(key))
    outcome = scan_json(capsys, tmp_path, ".")
    assert outcome.code == 1
    assert outcome.found() == [("settings.env", 4, PROJECT)]
    assert outcome.secrets() == {key}
    assert outcome.report()["skipped"] == []


def test_scan_finds_a_key_behind_a_bom_that_is_not_utf16(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    (tmp_path / "odd.env").write_bytes(codecs.BOM_UTF16_LE + f"\nOPENAI_API_KEY={key}\n".encode())
    outcome = scan_json(capsys, tmp_path, ".")
    assert outcome.found() == [("odd.env", 2, PROJECT)]


def test_staged_finds_a_key_in_a_utf16_section(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, first = openai_key(), openai_key()
    (repo / "settings.env").write_bytes(f"FIRST_KEY={first}\n".encode() + mixed(key))
    git(repo, "add", "settings.env")
    outcome = staged_json(capsys, repo)
    assert outcome.code == 1
    assert outcome.found() == [("settings.env", 1, PROJECT), ("settings.env", 5, PROJECT)]
    assert outcome.secrets() == {first, key}


def test_staged_finds_a_key_in_an_appended_utf16_section(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"settings.env": "# settings\nNAME=demo\n"}, "start")
    with (repo / "settings.env").open("ab") as handle:
        handle.write(f"OPENAI_API_KEY={key}\r\n".encode("utf-16-le"))
    git(repo, "add", "settings.env")
    outcome = staged_json(capsys, repo)
    assert outcome.found() == [("settings.env", 3, PROJECT)]


def test_history_finds_a_key_in_a_utf16_section(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"settings.env": mixed(key, head_lines=1000)}, "settings")
    outcome = keyleak(
        capsys, repo, "history", str(repo), "--format", "json", "--no-redact", "-j", "1"
    )
    assert outcome.code == 1
    assert outcome.found() == [("settings.env", 1002, PROJECT)]


def test_a_range_scan_decodes_utf16_whole_and_appended(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole, appended = openai_key(), openai_key()
    base = commit(repo, {"settings.env": "# settings\nNAME=demo\n"}, "start")
    utf16 = codecs.BOM_UTF16_LE + f"name = 1\r\nOPENAI_API_KEY={whole}\r\n".encode("utf-16-le")
    grown = (repo / "settings.env").read_bytes() + f"KEY={appended}\r\n".encode("utf-16-le")
    head = commit(repo, {"windows.ini": utf16, "settings.env": grown}, "more")
    outcome = keyleak(
        capsys, repo, "history", str(repo), "--range", f"{base}..{head}",
        "--format", "json", "--no-redact",
    )  # fmt: skip
    assert outcome.code == 1
    assert sorted(outcome.found()) == [("settings.env", 3, PROJECT), ("windows.ini", 2, PROJECT)]
    assert outcome.secrets() == {whole, appended}
