"""A listed scan shared with forked helpers finds, skips and counts exactly what one process
does; a small one is not shared at all."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.model import Chunk, Provenance, Skipped
from scanner.pipeline import forked, run
from tests.test_interrupts import PROJECT_ROOT, child_env, keyleak_process
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
    monkeypatch.setattr(run, "WARM_BYTES", 1)
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


@linux_only
def test_the_first_bytes_are_matched_before_the_fork(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(10):
        (tmp_path / f"f{index}.txt").write_text("x" * 1000)
    shared: list[list[Any]] = []
    real_forked_map = forked.forked_map

    def spied(function: Any, items: list[Any], helpers: int) -> Any:
        shared.append(items)
        return real_forked_map(function, items, helpers)

    monkeypatch.setattr(forked, "forked_map", spied)
    monkeypatch.setattr(run, "SHARED_MIN_BYTES", 1)
    monkeypatch.setattr(run, "WARM_BYTES", 2500)
    report = scan_json(capsys, str(tmp_path), "--jobs", "2")
    assert report["stats"]["files_scanned"] == 10
    # three files make 2,500 bytes: the rest is shared
    assert [len(items) for items in shared] == [7]


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


#: Loaded by the child through PYTHONPATH: every file read is slow and says which process read it.
SLOW_READS = """
import os, signal, time
import scanner.sources.named_files as target

signal.signal(signal.SIGINT, signal.default_int_handler)
real = target.read_file

def slowed(*args, **kwargs):
    with open(os.environ["KEYLEAK_TEST_READERS"], "a") as readers:
        readers.write(f"{os.getpid()}\\n")
    # slow enough that on a busy machine the helper still finds most of the files left
    time.sleep(0.03)
    return real(*args, **kwargs)

target.read_file = slowed
"""


@linux_only
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_shared_scan_leaves_no_helper_behind(
    tmp_path: Path, number: signal.Signals
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for index in range(300):  # 4.8 MB: enough for a helper
        (tree / f"f{index:03}.txt").write_text("nothing to see here\n" * 800)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SLOW_READS)
    readers = tmp_path / "readers"
    env = {
        **child_env(tmp_path / "cache"),
        "PYTHONPATH": f"{hooks}{os.pathsep}{PROJECT_ROOT}",
        "KEYLEAK_TEST_READERS": str(readers),
    }
    report = tmp_path / "report.json"
    process = keyleak_process(
        ["scan", str(tree), "-j", "2", "--format", "json", "-o", str(report)], tmp_path, env
    )
    deadline = time.monotonic() + 60
    while len(pids_in(readers)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(number)
    _, err = process.communicate(timeout=30)

    assert process.returncode in (130, -number, 128 + number), err
    assert "Traceback" not in err
    assert not report.exists()
    helpers = pids_in(readers) - {process.pid}
    assert helpers
    for pid in helpers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def pids_in(readers: Path) -> set[int]:
    return {int(line) for line in readers.read_text().split()} if readers.exists() else set()
