"""The commit log read ahead by a thread while the workers scan the blobs."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from scanner.errors import GitError
from scanner.pipeline.read_ahead import Background, ReadAhead


def counting(total: int, made: list[str]) -> Iterator[int]:
    """0..total-1, each noting the thread that made it."""
    for number in range(total):
        made.append(threading.current_thread().name)
        yield number


def test_items_come_in_order_with_or_without_the_thread() -> None:
    made: list[str] = []
    started = ReadAhead(counting(10, made), lambda _: 1, 4)
    started.start()
    assert list(started) == list(range(10))
    assert list(ReadAhead(counting(10, []), lambda _: 1, 4)) == list(range(10))


def test_the_thread_stops_once_its_items_weigh_the_budget() -> None:
    made: list[str] = []
    ahead = ReadAhead(counting(10, made), lambda number: number, 6)
    ahead.start()
    assert ahead.thread is not None
    ahead.thread.join()

    # 0 + 1 + 2 + 3 reach 6: the rest is left for the caller
    assert made == ["keyleak-read-ahead"] * 4
    assert list(ahead) == list(range(10))
    assert made[4:] == [threading.current_thread().name] * 6


def test_an_error_of_the_thread_is_raised_after_the_items_made_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise GitError("the commit log does not start with a commit")

    ahead = ReadAhead(failing(), lambda _: 1, 100)
    ahead.start()
    got: list[int] = []
    with pytest.raises(GitError, match="does not start"):
        got.extend(ahead)
    assert got == [1, 2]


def test_stop_without_reading_ends_the_thread() -> None:
    ahead = ReadAhead(counting(1000, []), lambda _: 1, 10**9)
    ahead.start()
    ahead.stop()

    assert ahead.thread is None
    assert list(ahead) == list(range(1000))


def test_a_background_value_is_made_by_its_thread() -> None:
    made_by: list[str] = []

    def make() -> int:
        made_by.append(threading.current_thread().name)
        return 7

    value = Background(make)
    value.start()
    assert value.result() == 7
    assert value.result() == 7
    assert made_by == ["keyleak-background"]


def test_a_background_value_never_started_is_made_by_whoever_asks() -> None:
    made_by: list[str] = []

    def make() -> int:
        made_by.append(threading.current_thread().name)
        return 3

    value = Background(make)

    assert value.result() == 3
    assert made_by == [threading.current_thread().name]


def test_what_making_a_background_value_raised_is_raised_by_result() -> None:
    def failing() -> int:
        raise GitError("git is not installed or not on PATH")

    value = Background(failing)
    value.start()
    with pytest.raises(GitError, match="not installed"):
        value.result()
