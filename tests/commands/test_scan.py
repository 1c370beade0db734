from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from tests.keys import openai_key
from tests.tree import build_tree


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(["scan", *args, "--format", "json"], capsys)
    assert "Traceback" not in err
    return code, json.loads(out)


def located(report: dict[str, Any]) -> set[tuple[str, int, int, str]]:
    return {
        (f["location"]["path"], f["location"]["line"], f["location"]["column"], f["rule_id"])
        for f in report["findings"]
    }


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    root = tmp_path_factory.mktemp("tree")
    return root, build_tree(root)


@pytest.mark.parametrize("engine", ["hyperscan", "regex"])
def test_every_openai_shape_in_every_context_with_its_line(
    tree: tuple[Path, list[Any]],
    engine: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, planted = tree
    monkeypatch.chdir(root)
    code, report = scan_json(capsys, "--engine", engine, "--no-redact")
    assert code == 1
    expected = {(p.path, p.line, p.column, p.rule_id) for p in planted}
    assert located(report) == expected
    secrets = {f["secret"] for f in report["findings"]}
    assert secrets == {p.key for p in planted}
    assert not any("\r" in s for s in secrets)


def test_engines_agree_on_the_whole_tree(
    tree: tuple[Path, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = tree
    reports = []
    for engine in ("hyperscan", "regex"):
        _, report = scan_json(capsys, str(root), "--engine", engine)
        reports.append(report["findings"])
    assert reports[0] == reports[1]
    assert reports[0]


def test_jobs_do_not_change_results(
    tree: tuple[Path, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = tree
    _, serial = scan_json(capsys, str(root), "--jobs", "1")
    _, parallel = scan_json(capsys, str(root), "--jobs", "4")
    assert serial["findings"] == parallel["findings"]


def test_placeholders_are_not_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tree import PLACEHOLDERS

    (tmp_path / "placeholders.env").write_text(PLACEHOLDERS, encoding="utf-8")
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert report["findings"] == []


def test_skips_git_binary_and_oversized_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(f"token = {key}\n")
    (tmp_path / "image.bin").write_bytes(b"\x89PNG\0\0" + key.encode())
    (tmp_path / "big.txt").write_text("x" * 2048 + key)
    code, report = scan_json(capsys, str(tmp_path), "--max-file-size", "1K")
    assert code == 0
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert reasons == {"image.bin": "binary", "big.txt": "larger than --max-file-size"}
    code, out, _ = run(["scan", str(tmp_path), "--max-file-size", "1K"], capsys)
    assert "1 larger than --max-file-size" in out


def test_symlinks_are_not_followed_out_of_the_tree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.env").write_text(f"KEY={openai_key()}\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link-dir").symlink_to(outside)
    (tree / "link-file").symlink_to(outside / "secret.env")
    (tree / "loop").symlink_to(tree)
    code, report = scan_json(capsys, str(tree))
    assert code == 0
    assert {Path(s["path"]).name for s in report["skipped"]} == {"link-dir", "link-file", "loop"}


def test_fifo_and_socket_are_never_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "pipe")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert {s["reason"] for s in report["skipped"]} == {"not a regular file"}


def test_explicit_file_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "one.py"
    target.write_text(f'KEY = "{openai_key()}"\n')
    code, report = scan_json(capsys, str(target))
    assert code == 1
    assert located(report) == {(str(target), 1, 8, "openai-project-key")}


def test_unreadable_file_is_skipped_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked.env"
    locked.write_text(f"KEY={openai_key()}\n")
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads whatever the mode says: refuse the open instead
        real_open = os.open

        def refusing_open(path: str, *args: Any, **kwargs: Any) -> int:
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", path)
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 0
    assert report["skipped"] == [{"path": str(locked), "reason": "unreadable (Permission denied)"}]


def test_missing_path_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["scan", str(tmp_path / "nope")], capsys)
    assert code == 2
    assert err.strip() == f"keyleak: error: {tmp_path / 'nope'}: no such file or directory"
    assert out == ""


def test_inline_allow_suppresses_and_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.py").write_text(
        f'KEY = "{openai_key()}"  # keyleak:allow\nOTHER = "{openai_key()}"\n'
    )
    code, report = scan_json(capsys, str(tmp_path))
    assert code == 1
    assert [f["location"]["line"] for f in report["findings"]] == [2]
    assert report["stats"]["suppressed"] == 1


@pytest.mark.parametrize(
    ("stat_size", "limit", "expected"), [(100, 1000, 100), (10, 1000, 100), (10, 50, 51)]
)
def test_a_file_that_grew_after_its_stat_is_read_to_its_end_or_just_past_the_limit(
    tmp_path: Path, stat_size: int, limit: int, expected: int
) -> None:
    from scanner.sources.named_files import read_all

    path = tmp_path / "growing.txt"
    path.write_bytes(bytes(range(100)))
    fd = os.open(path, os.O_RDONLY)
    try:
        content = read_all(fd, stat_size, limit)
    finally:
        os.close(fd)
    assert content == bytes(range(100))[:expected]
