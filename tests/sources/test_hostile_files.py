"""Files a scanner meets in real repositories: odd encodings, odd names, odd sizes, odd types.

Every case must end in a correct result or a `skipped` entry with a reason; never a traceback,
never a hang, and the exit code is decided by findings alone.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.sources.named_files import read_file
from tests.conftest import git, run_process
from tests.keys import openai_key

PROJECT = "openai-project-key"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return int(exited.value.code or 0), captured.out, captured.err


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(["scan", "--format", "json", *args], capsys)
    return code, json.loads(out)


def found(report: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [
        (Path(f["location"]["path"]).name, f["location"]["line"], f["location"]["column"])
        for f in report["findings"]
    ]


# --- encodings ------------------------------------------------------------------------------

UTF16_CASES = {
    "utf-16-le with BOM": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be with BOM": (codecs.BOM_UTF16_BE, "utf-16-be"),
    "utf-16-le without BOM": (b"", "utf-16-le"),
    "utf-16-be without BOM": (b"", "utf-16-be"),
}


@pytest.mark.parametrize("case", UTF16_CASES)
def test_utf16_files_are_decoded_and_scanned(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bom, codec = UTF16_CASES[case]
    key = openai_key()
    text = f"# saved by a Windows editor, café\r\nname = 1\r\nOPENAI_API_KEY={key}\r\n"
    (tmp_path / "settings.ini").write_bytes(bom + text.encode(codec))

    code, report = scan_json(capsys, str(tmp_path), "--no-redact")

    assert code == 1
    assert found(report) == [("settings.ini", 3, 16)]
    assert report["findings"][0]["secret"] == key


@pytest.mark.parametrize("case", UTF16_CASES)
def test_staged_utf16_files_are_decoded_and_scanned(
    case: str, repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bom, codec = UTF16_CASES[case]
    before = "line one\r\nline two\r\n"
    (repo / "notes.txt").write_bytes(bom + before.encode(codec))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "utf-16 file")
    after = before + f"token: {openai_key()}\r\n"
    (repo / "notes.txt").write_bytes(bom + after.encode(codec))
    git(repo, "add", "-A")
    monkeypatch.chdir(repo)

    code, out, _ = run(["staged", "--format", "json"], capsys)

    assert code == 1
    assert found(json.loads(out)) == [("notes.txt", 3, 8)]


def test_utf16_looking_binary_is_still_binary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every other byte NUL, like UTF-16, but the other bytes are control codes, not text
    (tmp_path / "table.bin").write_bytes(bytes([1, 0, 2, 0, 3, 0, 4, 0]) * 500)
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert report["skipped"] == [{"path": str(tmp_path / "table.bin"), "reason": "binary"}]


def test_cr_only_line_endings_give_editor_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "classic-mac.txt").write_bytes(
        f"first\rsecond\r  key = {openai_key()}\rlast\r".encode()
    )
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    assert found(report) == [("classic-mac.txt", 3, 9)]


def test_invalid_utf8_around_a_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "latin1.py").write_bytes(
        b"# r\xe9sum\xe9 \xff\xfe\n" + f'KEY = "{openai_key()}"\n'.encode() + b"\xc3\x28\n"
    )
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    assert found(report) == [("latin1.py", 2, 8)]


def test_nul_laden_file_is_skipped_as_binary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dump.dat").write_bytes(b"\0" * 64 + f"KEY={openai_key()}\n".encode() + b"\0\0")
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert [s["reason"] for s in report["skipped"]] == ["binary"]


# --- sizes ----------------------------------------------------------------------------------


def test_sparse_gigabyte_file_is_skipped_by_size_and_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tmp_path / "disk.img").open("wb") as handle:
        handle.truncate(1024**3)
    (tmp_path / "small.env").write_text(f"KEY={openai_key()}\n")

    code, out, _ = run(["scan", str(tmp_path)], capsys)

    assert code == 1
    assert "1 skipped: 1 larger than --max-file-size" in out


def test_fifty_megabyte_single_line_is_scanned_to_its_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filler = b"abcdefghijklmnopqrstuvwxyz0123456789+/=" * (50 * 1024**2 // 39)
    (tmp_path / "bundle.min.js").write_bytes(filler + f';k="{openai_key()}"'.encode())

    code, report = scan_json(capsys, str(tmp_path), "--max-file-size", "60M")

    assert code == 1
    assert found(report) == [("bundle.min.js", 1, len(filler) + 5)]


# --- names and file types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [b"new\nline.env", b"invalid-\xff\xfe-utf8.env", b"tab\tand \x1b[31mescape.env"],
    ids=["newline", "invalid-utf8", "control-chars"],
)
@pytest.mark.parametrize("format_name", ["text", "json", "jsonl"])
def test_hostile_file_names_are_reported_without_breaking_the_report(
    name: bytes, format_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / os.fsdecode(name)).write_text(f"KEY={openai_key()}\n")

    code, out, _ = run(["scan", str(tmp_path), "--format", format_name], capsys)

    assert code == 1
    if format_name == "json":
        paths = [f["location"]["path"] for f in json.loads(out)["findings"]]
        assert len(paths) == 1
        assert "\n" not in out.split('"path": ')[1].split("\n")[0]
    elif format_name == "jsonl":
        assert all(json.loads(line) for line in out.splitlines())
    else:
        # one finding, and no raw newline or escape sequence from the name reaches the terminal
        assert "\x1b" not in out
        assert "line.env" not in out or "new\\nline.env" in out


def test_hostile_file_name_written_to_a_report_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / os.fsdecode(b"bad-\xff.env")).write_text(f"KEY={openai_key()}\n")
    report = tmp_path / "report.json"

    code, _, _ = run(["scan", str(tree), "--format", "json", "-o", str(report)], capsys)

    assert code == 1
    assert len(json.loads(report.read_text(encoding="utf-8"))["findings"]) == 1


def test_named_fifo_and_device_are_never_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, report = scan_json(capsys, str(fifo), "/dev/zero")
    assert code == 0
    assert report["skipped"] == [
        {"path": str(fifo), "reason": "not a regular file"},
        {"path": "/dev/zero", "reason": "not a regular file"},
    ]


def test_named_symlink_loop_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    code, report = scan_json(capsys, str(tmp_path / "a"))
    assert code == 0
    assert [s["reason"] for s in report["skipped"]] == [
        "unreadable (Too many levels of symbolic links)"
    ]


def test_file_deleted_during_the_scan(tmp_path: Path) -> None:
    doomed = tmp_path / "doomed.env"
    doomed.write_text("X=1\n")
    doomed.unlink()
    skipped = read_file(str(doomed), max_size=1024)
    assert skipped.__class__.__name__ == "Skipped"
    assert getattr(skipped, "reason", None) == "vanished during the scan"


def test_unreadable_files_do_not_change_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clean.txt").write_text("nothing here\n")
    sealed = tmp_path / "sealed"
    sealed.mkdir()
    (sealed / "x.env").write_text(f"KEY={openai_key()}\n")
    sealed.chmod(0)
    if os.geteuid() == 0:  # root ignores modes: refuse the directory listing instead
        real_scandir = os.scandir

        def refusing_scandir(path: Any) -> Any:
            if Path(path) == sealed:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", refusing_scandir)
    try:
        code, report = scan_json(capsys, str(tmp_path))
    finally:
        sealed.chmod(0o755)
    assert code == 0
    assert report["skipped"] == [
        {"path": str(sealed), "reason": "unreadable directory (Permission denied)"}
    ]


def test_hundred_thousand_small_files(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for directory in range(100):
        folder = root / f"d{directory:03}"
        folder.mkdir(parents=True)
        for number in range(1000):
            (folder / f"f{number:04}.txt").write_bytes(b"value = %d\n" % number)
    (root / "d042" / "f0420.txt").write_text(f"KEY={openai_key()}\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    completed = run_process(
        [sys.executable, "-m", "scanner", "scan", str(root), "--format", "json", "-j", "2"],
        cwd=tmp_path,
        env=env,
        timeout=300,
    )

    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    assert report["stats"]["files_scanned"] == 100_000
    assert found(report) == [("f0420.txt", 1, 5)]


def test_a_tree_deeper_than_the_recursion_limit_is_walked_to_its_bottom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1,200 nested folders (within PATH_MAX) ended the run with a RecursionError, exit 3."""
    depth = max(1200, sys.getrecursionlimit() + 100)
    bottom = tmp_path
    for _ in range(depth):  # one by one: mkdir(parents=True) recurses too
        bottom = bottom / "d"
        bottom.mkdir()
    key = openai_key()
    (bottom / "k.py").write_text(f'KEY = "{key}"\n', encoding="utf-8")

    try:
        code, report = scan_json(capsys, str(tmp_path), "--no-redact")
    finally:
        # bottom up, one by one: pytest's own clean-up (shutil.rmtree) recurses too
        (bottom / "k.py").unlink()
        while bottom != tmp_path:
            bottom.rmdir()
            bottom = bottom.parent

    assert code == 1
    assert [finding["secret"] for finding in report["findings"]] == [key]
