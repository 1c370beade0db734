"""Work made by a thread while this one waits for other work to end.

A history's parent process has nothing to do while its workers scan the blobs, and everything
to do once they are done: the commit log to parse and its messages to scan before the walk,
the refs to read. Done meanwhile, they cost the end of the scan only what was left over.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """`items`, of which a thread started by `start` makes the first ones, until their
    `weight` adds up to `budget` (memory stays bounded, however long the history); iterating
    stops the thread, hands on what it made, then goes on with `items` in this thread.

    `items` is never advanced by two threads at once: iterating waits for the thread to end.
    An error the thread met is raised where iterating `items` would have raised it.
    """

    def __init__(self, items: Iterator[T], weight: Callable[[T], int], budget: int) -> None:
        self.items = items
        self.weight = weight
        self.budget = budget
        self.made: deque[T] = deque()
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.fill, name="keyleak-read-ahead", daemon=True)
        self.thread.start()

    def fill(self) -> None:
        used = 0
        try:
            # left by `return`, `items` stays where it is (a loop's end does not close it)
            for item in self.items:
                self.made.append(item)
                used += self.weight(item)
                if used >= self.budget or self.stopping.is_set():
                    return
        except BaseException as exc:  # raised in the thread that iterates, in its turn
            self.error = exc

    def stop(self) -> None:
        """Wait for the thread to end, having asked it to stop after its current item."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def __iter__(self) -> Iterator[T]:
        self.stop()
        while self.made:
            yield self.made.popleft()
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        yield from self.items


class Background(Generic[T]):
    """A value `make` makes, by a thread once `start` is called, else by whoever asks first."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self.made: list[T] = []
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="keyleak-background", daemon=True)
        self.thread.start()

    def run(self) -> None:
        try:
            self.made.append(self.make())
        except BaseException as exc:  # raised by `result`, in the thread that asks
            self.error = exc

    def stop(self) -> None:
        """Wait for the thread, if one was started."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def result(self) -> T:
        """The value, made here if no thread was started; what making it raised, raised here."""
        self.stop()
        if not self.made and self.error is None:
            self.run()
        if self.error is not None:
            raise self.error
        return self.made[0]
