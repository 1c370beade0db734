"""Where an audit's per-repository tasks run: local processes or a Dask cluster.

Both executors take a picklable function and its items, and yield each item's outcome as soon as
it is known, in completion order, tagged with the item's index, so that the report can be put
back in input order while the progress and the resume state move on as tasks finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class TaskFailure:
    """A task that gave no result: it raised, or its worker died on both attempts."""

    message: str


class Executor(Protocol):
    def run(
        self, function: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | TaskFailure]]:
        """Every item's outcome once, as tasks finish. A task whose worker died is run once
        more before it is reported as a TaskFailure; a task that raised is not retried."""
        ...

    def close(self) -> None: ...
