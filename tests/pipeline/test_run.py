"""A listed scan shared with forked helpers finds, skips and counts exactly what one process
does; a small one is not shared at all."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.model import Chunk, Provenance, Skipped
from scanner.pipeline import forked, run
from tests.tree import build_tree

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="forked helpers: Linux only")


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    with pytest.raises(SystemExit):
        main(["scan", *args, "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    report["stats"].pop("elapsed_seconds")
    return report


def tree_with_skips(root: Path) -> None:
    build_tree(root)
    (root / "image.bin").write_bytes(b"\0\1\2" * 100)
    (root / "big.txt").write_text("x" * 2000)
    (root / "placeholders.env").write_text("OPENAI_API_KEY=sk-your-key-here\n")


@linux_only
def test_a_shared_scan_reports_what_one_process_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree_with_skips(tmp_path)
    shared: list[int] = []
    real_forked_map = forked.forked_map

    def counted(*args: Any, **kwargs: Any) -> Any:
        shared.append(1)
        return real_forked_map(*args, **kwargs)

    monkeypatch.setattr(forked, "forked_map", counted)
    monkeypatch.setattr(run, "SHARED_MIN_BYTES", 1)
    common = (str(tmp_path), "--max-file-size", "1000", "--no-redact")
    serial = scan_json(capsys, *common, "--jobs", "1")
    assert not shared
    parallel = scan_json(capsys, *common, "--jobs", "2")
    assert shared
    assert parallel == serial
    assert serial["findings"] and serial["skipped"]
    assert serial["stats"]["suppressions"]["placeholder"]


@linux_only
def test_a_small_list_is_scanned_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build_tree(tmp_path)

    def no_fork(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a few kilobytes shared with a helper")

    monkeypatch.setattr(forked, "forked_map", no_fork)
    report = scan_json(capsys, str(tmp_path), "--jobs", "2")
    assert report["findings"]


def test_volume_counts_files_by_size_and_chunks_by_length(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a" * 600)
    (tmp_path / "b").write_bytes(b"b" * 300)
    chunk = Chunk(content=b"c" * 200, origin=Provenance(path="-"))
    files = [os.path.join(tmp_path, "a"), os.path.join(tmp_path, "b")]
    gone = [str(tmp_path / "gone"), Skipped(path="x", reason="binary")]
    assert run.volume_reaches([*gone, *files, chunk], 1100)
    assert not run.volume_reaches([*gone, *files, chunk], 1101)
    assert run.volume_reaches(files, 900)
    assert not run.volume_reaches(files, 901)
