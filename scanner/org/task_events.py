"""A task's progress inside its repository (blobs and commits scanned), sent to the client.

A task calls `reporter`; where the events go is installed in the process that runs the task:
the client's progress bar when the task runs in the client, a pipe to the client in a local
worker process (`to_queue`, the pool's initializer). Nothing is installed on a Dask worker or
without a bar: there a task reports nothing and pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.queues import SimpleQueue

#: (repository, "blobs" or "commits", done, total: 0 while not known)
Event = tuple[str, str, int, int]
Sink = Callable[[Event], None]

_sink: Sink | None = None


def install(sink: Sink | None) -> Sink | None:
    """Events go to `sink` from now on; returns where they went before."""
    global _sink
    previous, _sink = _sink, sink
    return previous


def to_queue(queue: SimpleQueue[Event]) -> None:
    """A worker process's events go to the client through `queue`: a SimpleQueue, which has no
    feeder thread, since the task forks its blob workers."""
    install(queue.put)


def reporter(repository: str) -> Callable[[str, int, int], None] | None:
    """What a task's history scan reports its progress to, or None when nobody listens."""
    sink = _sink
    if sink is None:
        return None

    def report(what: str, done: int, total: int) -> None:
        sink((repository, what, done, total))

    return report
