"""A list worked through by this process and forked helpers: every item once, in order, errors
raised here, no helper left behind."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from scanner.pipeline.forked import HelperFailed, forked_map

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked helpers: Linux only")


def slow_pid(item: int) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that the helper takes batches before the list runs out
    return item, os.getpid()


def test_every_item_once_in_order_shared_with_a_helper() -> None:
    results = forked_map(slow_pid, list(range(300)), helpers=1)
    assert [item for item, _ in results] == list(range(300))
    pids = {pid for _, pid in results}
    assert os.getpid() in pids
    assert len(pids) == 2


def test_more_helpers_than_batches_and_an_empty_list() -> None:
    assert forked_map(str, [1, 2, 3], helpers=3) == ["1", "2", "3"]
    assert forked_map(str, [], helpers=1) == []


def test_a_helpers_exception_is_raised_here() -> None:
    parent = os.getpid()

    def failing(item: int) -> int:
        time.sleep(0.002)
        if os.getpid() != parent:
            raise ValueError(f"helper failed on {item}")
        return item

    with pytest.raises(ValueError, match="helper failed on"):
        forked_map(failing, list(range(300)), helpers=1)


def test_a_helper_that_dies_is_an_error_not_a_missing_result() -> None:
    parent = os.getpid()

    def dying(item: int) -> int:
        time.sleep(0.002)
        if os.getpid() != parent:
            os._exit(9)
        return item

    with pytest.raises(HelperFailed):
        forked_map(dying, list(range(300)), helpers=1)


def test_an_error_here_kills_and_reaps_the_helpers(tmp_path: Path) -> None:
    parent = os.getpid()
    pids = tmp_path / "pids"

    def failing_here(item: int) -> int:
        if os.getpid() != parent:
            with pids.open("a") as stream:
                stream.write(f"{os.getpid()}\n")
            time.sleep(0.05)  # still working when the parent gives up
        elif item > 40:
            # once a helper is at work: a busy machine can start it after this process is done
            deadline = time.monotonic() + 30
            while not pids.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            raise KeyboardInterrupt
        return item

    with pytest.raises(KeyboardInterrupt):
        forked_map(failing_here, list(range(400)), helpers=2)
    helpers = {int(line) for line in pids.read_text().split()}
    assert helpers
    for pid in helpers:
        with pytest.raises(ProcessLookupError):  # reaped, not a zombie
            os.kill(pid, 0)


def test_no_helper_can_be_forked_so_this_process_does_it_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    results = forked_map(slow_pid, list(range(20)), helpers=2)
    assert results == [(item, os.getpid()) for item in range(20)]


def test_no_pipe_for_a_helper_so_fewer_helpers_do_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of file descriptors (`--jobs` in the hundreds, or a low limit): the helpers that got
    their pipes share the work, as when a fork is refused."""
    real_pipe = os.pipe
    opened: list[int] = []

    def pipe() -> tuple[int, int]:
        opened.append(1)
        if len(opened) > 2:  # the batch numbers' pipe, then one helper's
            raise OSError(24, "Too many open files")
        return real_pipe()

    monkeypatch.setattr(os, "pipe", pipe)
    results = forked_map(slow_pid, list(range(300)), helpers=3)
    assert [item for item, _ in results] == list(range(300))
    assert len({pid for _, pid in results}) <= 2


def test_no_more_helpers_than_batches_to_take(monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper with no batch to take would only cost a fork: `--jobs 100000` forks no more
    helpers than there are batches besides this process's first."""
    real_fork = os.fork
    forks: list[int] = []

    def counted_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counted_fork)
    assert forked_map(str, list(range(12)), helpers=100) == [str(i) for i in range(12)]
    assert 0 < len(forks) <= 2  # 12 items: 3 batches of MIN_BATCH


class Stopped(Exception):
    """What the test's SIGTERM handler raises, as keyleak's raises Terminated."""


def test_a_signal_right_after_the_fork_still_reaps_the_helper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_fork = os.fork
    forked: list[int] = []

    def fork_then_signalled() -> int:
        pid = real_fork()
        if pid:  # the parent, before it can record its helper: the window a busy machine opens
            forked.append(pid)
            # taken by another thread, as a test runner's or a library's may: Python still runs
            # the handler in the main thread, at once
            signal.pthread_kill(other.ident, signal.SIGTERM)
        return pid

    def stop(number: int, frame: object) -> None:
        raise Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    monkeypatch.setattr(os, "fork", fork_then_signalled)
    other = threading.Thread(target=time.sleep, args=(2,), daemon=True)
    other.start()
    try:
        with pytest.raises(Stopped):
            forked_map(slow_pid, list(range(300)), helpers=1)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert forked
    with pytest.raises(ChildProcessError):  # killed and reaped: no child of ours left
        os.waitpid(forked[0], os.WNOHANG)
