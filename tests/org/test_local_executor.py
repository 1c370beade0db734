"""LocalExecutor: an audit's tasks in this process or in a pool of spawned worker processes,
each outcome once, as tasks finish; a task whose worker died is run once more.

The tasks are module-level functions of this file: spawned workers import them by name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.org.executor import Executor, TaskFailure
from scanner.org.local_executor import DIED, LocalExecutor


def square(number: int) -> int:
    return number * number


def fail_on_three(number: int) -> int:
    if number == 3:
        raise ValueError("three is broken")
    return number


def attempt(marker_dir: str, name: str) -> int:
    """Leaves a marker per attempt; the number of attempts so far, this one included."""
    directory = Path(marker_dir) / name
    directory.mkdir(parents=True, exist_ok=True)
    count = len(list(directory.iterdir())) + 1
    (directory / str(count)).touch()
    return count


def die_on_first_attempt(item: tuple[str, str]) -> str:
    """Kills its worker process the first time it runs for `die`, as an OOM kill would."""
    marker_dir, name = item
    if attempt(marker_dir, name) == 1 and name == "die":
        os._exit(1)
    return name


def die_always(item: tuple[str, str]) -> str:
    marker_dir, name = item
    attempt(marker_dir, name)
    if name == "die":
        os._exit(1)
    return name


def attempts(marker_dir: Path, name: str) -> int:
    return len(list((marker_dir / name).iterdir()))


def run_all(executor: Executor, function: Callable[[Any], Any], items: list[Any]) -> dict[int, Any]:
    outcomes: dict[int, Any] = {}
    try:
        for index, outcome in executor.run(function, items):
            assert index not in outcomes  # each item's outcome once
            outcomes[index] = outcome
    finally:
        executor.close()
    return outcomes


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_item_s_outcome_once_by_index(jobs: int) -> None:
    outcomes = run_all(LocalExecutor(jobs), square, list(range(7)))
    assert outcomes == {index: index * index for index in range(7)}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_that_raises_is_a_failure_and_the_others_go_on(jobs: int) -> None:
    outcomes = run_all(LocalExecutor(jobs), fail_on_three, [1, 2, 3, 4])
    assert outcomes == {0: 1, 1: 2, 2: TaskFailure("ValueError: three is broken"), 3: 4}


def test_a_task_whose_worker_died_runs_once_more(tmp_path: Path) -> None:
    names = ["a", "die", "b", "c", "d"]
    items = [(str(tmp_path), name) for name in names]

    outcomes = run_all(LocalExecutor(2), die_on_first_attempt, items)

    assert outcomes == dict(enumerate(names))
    assert attempts(tmp_path, "die") == 2


def test_a_task_that_kills_its_worker_twice_fails_alone(tmp_path: Path) -> None:
    names = ["a", "b", "die", "c", "d", "e"]
    items = [(str(tmp_path), name) for name in names]

    outcomes = run_all(LocalExecutor(2), die_always, items)

    assert outcomes == {
        index: TaskFailure(DIED) if name == "die" else name for index, name in enumerate(names)
    }
    assert attempts(tmp_path, "die") == 2
    # the tasks that shared the broken pool were run again and succeeded
    assert all(attempts(tmp_path, name) <= 2 for name in names)
