"""Only a regular file is read, and no more than its cap (scanner/util/small_file.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from scanner.util.small_file import FileRefused, read_small_file


def test_a_regular_file_within_its_cap_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_bytes(b"x" * 100)
    assert read_small_file(path, 100) == b"x" * 100


def test_a_file_over_its_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileRefused, match="larger than the 100 bytes limit"):
        read_small_file(path, 100)


def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(FileRefused, match=r"not a regular file \(a character device\)"):
        read_small_file(Path("/dev/zero"), 1 << 20)


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "config.toml"
    link.symlink_to("/dev/zero")
    with pytest.raises(FileRefused, match="character device"):
        read_small_file(link, 1 << 20)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match=r"\(a directory\)"):
        read_small_file(tmp_path, 1 << 20)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            read_small_file(fifo, 1 << 20)
        except BaseException as exc:  # handed to the test, whatever it is
            outcome.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # unblock the open so that the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert len(outcome) == 1
    assert isinstance(outcome[0], FileRefused)
    assert "a FIFO" in str(outcome[0])


def test_a_missing_file_is_an_os_error_not_a_refusal(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_small_file(tmp_path / "missing.toml", 100)
